import {
  Kind,
  Type,
  type TBoolean,
  type TInteger,
  type TLiteral,
  type TNumber,
  type TSchema,
  type TString,
  type TUnion,
  type TUnsafe,
} from '@sinclair/typebox';

/**
 * Builders of one setting's schema. Each leaf of the config schema is made by one of these,
 * so a setting cannot exist without its env variable, default and doc: the settings table,
 * the flags and docs/configuration.md are all read back from the schema.
 */

/** The schema keyword that carries what JSON Schema has no word for. */
export const SETTING_SOURCES = 'x-kindred';

/** Which commands take a setting's flag. */
export type FlagCommands =
  /** every command that takes the common options (all that open the data directory) */
  | 'every'
  /** `serve` (and `config`, which shows its effect): what only a running server reads */
  | 'serve';

export interface FlagSpec {
  /** Booleans also get `--no-<name>`. */
  readonly name: `--${string}`;
  /** Placeholder in `--help`, e.g. `dir` for `--data <dir>`; booleans take none. */
  readonly value?: string;
  readonly commands: FlagCommands;
}

export interface SettingSources {
  readonly env: `KINDRED_${string}`;
  readonly flag?: FlagSpec;
  /** Printed as `***` by `kindred config` and never logged. */
  readonly secret?: boolean;
}

interface SettingOptions<T> extends SettingSources {
  readonly default: T;
  readonly doc: string;
}

interface RangeOptions extends SettingOptions<number> {
  readonly min: number;
  readonly max: number;
}

function annotations<T>(options: SettingOptions<T>): Record<string, unknown> {
  const sources: SettingSources = {
    env: options.env,
    ...(options.flag ? { flag: options.flag } : {}),
    ...(options.secret ? { secret: true } : {}),
  };
  return { default: options.default, description: options.doc, [SETTING_SOURCES]: sources };
}

export function stringSetting(options: SettingOptions<string>): TString {
  return Type.String(annotations(options));
}

export function integerSetting(options: RangeOptions): TInteger {
  return Type.Integer({ minimum: options.min, maximum: options.max, ...annotations(options) });
}

export function numberSetting(options: RangeOptions): TNumber {
  return Type.Number({ minimum: options.min, maximum: options.max, ...annotations(options) });
}

export function booleanSetting(options: SettingOptions<boolean>): TBoolean {
  return Type.Boolean(annotations(options));
}

export function oneOfSetting<const Values extends readonly [string, ...string[]]>(
  values: Values,
  options: SettingOptions<Values[number]>,
): TUnion<TLiteral<Values[number]>[]> {
  const literals = values.map((value) => Type.Literal(value)) as TLiteral<Values[number]>[];
  return Type.Union(literals, annotations(options));
}

/**
 * A structured setting given as JSON (in env variables and flags as a JSON string). Any JSON
 * passes here; the component that reads it checks its shape, as it always has.
 */
export function jsonSetting<T>(options: SettingOptions<T>): TUnsafe<T> {
  return Type.Unsafe<T>({ [Kind]: 'Unknown', ...annotations(options) });
}

export function sourcesOf(schema: TSchema): SettingSources | undefined {
  return (schema as Record<string, unknown>)[SETTING_SOURCES] as SettingSources | undefined;
}
