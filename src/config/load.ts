import { readFileSync } from 'node:fs';
import { ConfigError } from './config-error.js';
import { withMasterKeyFromFile } from './master-key-file.js';
import { SETTINGS } from './setting-table.js';
import { settingValue } from './setting-value.js';
import type { KindredConfig } from './settings.js';

export { ConfigError };

export interface ConfigSources {
  /** Parsed config-file content (keys as dotted paths or nested objects). */
  readonly file?: Record<string, unknown>;
  /** The config file's path, named in errors about its values. */
  readonly fileName?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Values given on the command line, keyed by setting path. */
  readonly flags?: Readonly<Record<string, string | number | boolean | undefined>>;
}

function lookup(source: Record<string, unknown>, path: string): unknown {
  if (path in source) return source[path];
  let node: unknown = source;
  for (const part of path.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

function assign(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (next === null || typeof next !== 'object') node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1] as string] = value;
}

/** Defaults, then the config file, then env variables, then flags: the last one wins. */
export function loadConfig(sources: ConfigSources = {}): KindredConfig {
  const fileOrigin = sources.fileName ? `config file ${sources.fileName}` : 'config file';
  if (sources.file) refuseUnknownKeys(sources.file, fileOrigin);
  const config: Record<string, unknown> = {};
  for (const setting of SETTINGS) {
    let value = setting.default;
    const fromFile = sources.file ? lookup(sources.file, setting.path) : undefined;
    if (fromFile !== undefined) value = settingValue(setting, fromFile, fileOrigin);
    const fromEnv = sources.env?.[setting.env];
    if (fromEnv !== undefined && fromEnv !== '')
      value = settingValue(setting, fromEnv, `env ${setting.env}`);
    const fromFlag = sources.flags?.[setting.path];
    if (fromFlag !== undefined)
      value = settingValue(setting, fromFlag, `flag ${setting.flag?.name ?? setting.path}`);
    assign(config, setting.path, value);
  }
  return withMasterKeyFromFile(config as unknown as KindredConfig);
}

function refuseUnknownKeys(file: Record<string, unknown>, origin: string): void {
  for (const [key, value] of Object.entries(flattenKeys(file))) {
    if (SETTINGS.some((s) => s.path === key)) continue;
    if (!SETTINGS.some((s) => s.path.startsWith(`${key}.`)))
      throw new ConfigError(`${origin}: unknown setting ${key}`);
    // A group such as `server` given a plain value would otherwise be silently ignored.
    throw new ConfigError(
      `${origin}: ${key} must be an object of settings, got ${JSON.stringify(value)}`,
    );
  }
}

/** Leaf keys of a nested object as dotted paths; `json` settings count as leaves. */
function flattenKeys(source: Record<string, unknown>, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) {
    const path = prefix ? `${prefix}.${key}` : key;
    const isJsonSetting = SETTINGS.some((s) => s.path === path && s.type.kind === 'json');
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && !isJsonSetting)
      Object.assign(out, flattenKeys(value as Record<string, unknown>, path));
    else out[path] = value;
  }
  return out;
}

export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config file ${path}: ${(error as Error).message}`);
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new ConfigError(`config file ${path} must hold a JSON object`);
    return parsed as Record<string, unknown>;
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`config file ${path} is not valid JSON: ${(error as Error).message}`);
  }
}

/** The effective config with secrets masked, for `kindred config` and start-up logs. */
export function redactedConfig(config: KindredConfig): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(config)) as Record<string, unknown>;
  for (const setting of SETTINGS) {
    if (setting.secret && lookup(copy, setting.path)) assign(copy, setting.path, '***');
  }
  return copy;
}
