import { Value } from '@sinclair/typebox/value';
import { ConfigError } from './config-error.js';
import type { SettingDefinition, SettingKind } from './setting-table.js';

const UNPARSABLE = Symbol('unparsable');

/** Env variables and flags arrive as text; a config file may hold either text or JSON values. */
function parse(kind: SettingKind, raw: unknown): unknown {
  switch (kind.kind) {
    case 'integer':
    case 'number':
      return typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
    case 'boolean':
      if (raw === 'true' || raw === '1') return true;
      if (raw === 'false' || raw === '0') return false;
      return raw;
    case 'json':
      if (typeof raw !== 'string') return raw;
      try {
        return JSON.parse(raw) as unknown;
      } catch {
        return UNPARSABLE;
      }
    default:
      return raw;
  }
}

function expectation(kind: SettingKind): string {
  switch (kind.kind) {
    case 'string':
      return 'a string';
    case 'integer':
      return `an integer from ${kind.min} to ${kind.max}`;
    case 'number':
      return `a number from ${kind.min} to ${kind.max}`;
    case 'boolean':
      return 'true or false';
    case 'enum':
      return `one of ${kind.values.join(', ')}`;
    case 'json':
      return 'valid JSON';
  }
}

/**
 * The value of `setting` given as `raw` by `origin` (e.g. `env KINDRED_PORT`), checked against
 * the setting's schema; a bad one stops the start with the setting and its origin named.
 */
export function settingValue(setting: SettingDefinition, raw: unknown, origin: string): unknown {
  const value = parse(setting.type, raw);
  if (value !== UNPARSABLE && Value.Check(setting.schema, value)) return value;
  // A secret's value is never echoed, not even a mistyped one.
  const got = setting.secret ? '' : `, got ${JSON.stringify(raw)}`;
  throw new ConfigError(`${origin}: ${setting.path} must be ${expectation(setting.type)}${got}`);
}
