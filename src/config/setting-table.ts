import { Kind, type TObject, type TProperties, type TSchema } from '@sinclair/typebox';
import { sourcesOf, type FlagSpec } from './setting-schema.js';
import { CONFIG_SCHEMA } from './settings.js';

/** Dotted paths of the schema's leaves: the config-file keys. */
type LeafPaths<Properties extends TProperties> = {
  [Key in keyof Properties & string]: Properties[Key] extends TObject<infer Inner>
    ? `${Key}.${LeafPaths<Inner>}`
    : Key;
}[keyof Properties & string];

export type SettingPath = LeafPaths<(typeof CONFIG_SCHEMA)['properties']>;

export type SettingKind =
  | { kind: 'string' }
  | { kind: 'integer'; min: number; max: number }
  | { kind: 'number'; min: number; max: number }
  | { kind: 'boolean' }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'json' };

export interface SettingDefinition {
  /** Dotted path in the config object, and the key in the config file. */
  readonly path: SettingPath;
  readonly env: string;
  readonly flag?: FlagSpec;
  readonly type: SettingKind;
  readonly default: unknown;
  readonly doc: string;
  /** Printed as `***` by `kindred config` and never logged. */
  readonly secret: boolean;
  /** The setting's own schema, which every value from any source must pass. */
  readonly schema: TSchema;
}

function kindOf(path: string, schema: TSchema): SettingKind {
  const range = { min: schema['minimum'] as number, max: schema['maximum'] as number };
  switch (schema[Kind]) {
    case 'String':
      return { kind: 'string' };
    case 'Integer':
      return { kind: 'integer', ...range };
    case 'Number':
      return { kind: 'number', ...range };
    case 'Boolean':
      return { kind: 'boolean' };
    case 'Union':
      return {
        kind: 'enum',
        values: (schema['anyOf'] as TSchema[]).map((literal) => literal['const'] as string),
      };
    case 'Unknown':
      return { kind: 'json' };
    default:
      throw new Error(`setting ${path}: no setting kind for schema kind ${String(schema[Kind])}`);
  }
}

/** The settings of a schema made of groups and setting builders' leaves. */
export function settingsOf(schema: TObject, prefix = ''): SettingDefinition[] {
  return Object.entries(schema.properties).flatMap(([key, child]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    const sources = sourcesOf(child);
    if (sources === undefined) {
      // A plain object groups settings; a leaf made without a setting builder has no env variable.
      if (child[Kind] !== 'Object')
        throw new Error(`setting ${path} was not made by a setting builder`);
      return settingsOf(child as TObject, path);
    }
    return [
      {
        path: path as SettingPath,
        env: sources.env,
        ...(sources.flag ? { flag: sources.flag } : {}),
        type: kindOf(path, child),
        default: child.default as unknown,
        doc: child.description ?? '',
        secret: sources.secret === true,
        schema: child,
      },
    ];
  });
}

/** Every setting, in schema order: what loading, flags and docs iterate over. */
export const SETTINGS: readonly SettingDefinition[] = settingsOf(CONFIG_SCHEMA);
