import { readFileSync } from 'node:fs';
import { SETTINGS, type KindredConfig, type SettingDefinition } from './settings.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface ConfigSources {
  /** Parsed config-file content (keys as dotted paths or nested objects). */
  readonly file?: Record<string, unknown>;
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

function coerce(setting: SettingDefinition, raw: unknown, origin: string): unknown {
  const fail = (expected: string): never => {
    throw new ConfigError(
      `${origin}: ${setting.path} must be ${expected}, got ${JSON.stringify(raw)}`,
    );
  };
  const type = setting.type;
  switch (type.kind) {
    case 'string':
      return typeof raw === 'string' ? raw : fail('a string');
    case 'integer':
    case 'number': {
      const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
      if (typeof value !== 'number' || !Number.isFinite(value)) return fail('a number');
      if (type.kind === 'integer' && !Number.isInteger(value)) return fail('an integer');
      if (value < type.min || value > type.max) return fail(`between ${type.min} and ${type.max}`);
      return value;
    }
    case 'boolean':
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === '1') return true;
      if (raw === 'false' || raw === '0') return false;
      return fail('true or false');
    case 'enum':
      return typeof raw === 'string' && type.values.includes(raw)
        ? raw
        : fail(`one of ${type.values.join(', ')}`);
    case 'json':
      if (typeof raw !== 'string') return raw;
      try {
        return JSON.parse(raw) as unknown;
      } catch {
        return fail('valid JSON');
      }
  }
}

/** Defaults, then the config file, then env variables, then flags: the last one wins. */
export function loadConfig(sources: ConfigSources = {}): KindredConfig {
  const config: Record<string, unknown> = {};
  const knownPaths = new Set(SETTINGS.map((s) => s.path));
  if (sources.file) {
    for (const key of Object.keys(flattenKeys(sources.file))) {
      if (!knownPaths.has(key) && !SETTINGS.some((s) => s.path.startsWith(`${key}.`)))
        throw new ConfigError(`config file: unknown setting ${key}`);
    }
  }
  for (const setting of SETTINGS) {
    let value = setting.default;
    const fromFile = sources.file ? lookup(sources.file, setting.path) : undefined;
    if (fromFile !== undefined) value = coerce(setting, fromFile, 'config file');
    const fromEnv = sources.env?.[setting.env];
    if (fromEnv !== undefined && fromEnv !== '') value = coerce(setting, fromEnv, setting.env);
    const fromFlag = sources.flags?.[setting.path];
    if (fromFlag !== undefined) value = coerce(setting, fromFlag, setting.flag ?? setting.path);
    assign(config, setting.path, value);
  }
  return config as unknown as KindredConfig;
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
