import { SETTINGS, type SettingDefinition, type SettingPath } from './setting-table.js';

/** JSON defaults longer than this get a block of their own below the table. */
const INLINE_DEFAULT_CHARS = 40;

/** What a JSON default needs said beside it. */
const DEFAULT_NOTES: Partial<Record<SettingPath, string>> = {
  'interactions.types': [
    '`weight` is how much one such interaction says about taste (negative pushes the item away);',
    '`valueIsRating` makes the value the signal, centred on `interactions.ratingMidpoint`;',
    '`marksSeen` decides whether the item counts as already seen.',
  ].join('\n'),
};

const INTRODUCTION = [
  '# Configuration',
  '',
  'Generated from the settings schema, `src/config/settings.ts`, by `node scripts/gen-docs.mjs`',
  '(`kindred config --docs` prints the same); do not edit by hand.',
  '',
  'Every setting has a `KINDRED_*` environment variable and a key in the JSON config file',
  '(`--config FILE` or `KINDRED_CONFIG`; keys nested like `{"server":{"port":7878}}` or dotted',
  'like `{"server.port":7878}`); those an operator sets per run also have a flag.',
  '',
  'Precedence: command-line flag, then environment variable (an empty one counts as unset), then',
  'the config file, then the default. An unknown key in the file or a bad value from any source',
  '(wrong type, out of range, not one of the choices) stops the engine at start with a message',
  'naming the setting and where the value came from (`flag --port`, `env KINDRED_PORT`,',
  '`config file FILE`).',
  '',
  'Flags marked *serve* are taken by `kindred serve` (and by `kindred config`, which prints the',
  'effective configuration); the others by every command. A boolean flag `--x` has a `--no-x`.',
  '',
].join('\n');

function typeCell(setting: SettingDefinition): string {
  const type = setting.type;
  switch (type.kind) {
    case 'integer':
    case 'number':
      return `${type.kind}, ${type.min} to ${type.max}`;
    case 'enum':
      return type.values.join(' \\| ');
    default:
      return type.kind;
  }
}

function flagCell(setting: SettingDefinition): string {
  const flag = setting.flag;
  if (flag === undefined) return '';
  const name =
    setting.type.kind === 'boolean'
      ? `--[no-]${flag.name.slice(2)}`
      : `${flag.name} <${flag.value ?? 'value'}>`;
  return flag.commands === 'serve' ? `\`${name}\` (*serve*)` : `\`${name}\``;
}

function hasBlockDefault(setting: SettingDefinition): boolean {
  return (
    setting.type.kind === 'json' && JSON.stringify(setting.default).length > INLINE_DEFAULT_CHARS
  );
}

function defaultCell(setting: SettingDefinition): string {
  if (hasBlockDefault(setting)) return 'see below';
  return `\`${JSON.stringify(setting.default)}\``;
}

/** The table of every setting: config-file key, env variable, flag, type, default, meaning. */
export function settingsMarkdown(): string {
  const rows = SETTINGS.map(
    (s) =>
      `| \`${s.path}\` | \`${s.env}\` | ${flagCell(s)} | ${typeCell(s)} | ${defaultCell(s)} | ${s.doc} |`,
  );
  return [
    '| setting (config file key) | env variable | flag | type | default | meaning |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}

function blockDefaults(): string[] {
  return SETTINGS.filter(hasBlockDefault).flatMap((setting) => {
    const note = DEFAULT_NOTES[setting.path];
    return [
      `## Default of \`${setting.path}\``,
      '',
      '```json',
      JSON.stringify(setting.default, null, 2),
      '```',
      '',
      ...(note === undefined ? [] : [note, '']),
    ];
  });
}

/** docs/configuration.md. */
export function configurationMarkdown(): string {
  return [INTRODUCTION, settingsMarkdown(), ...blockDefaults()].join('\n');
}
