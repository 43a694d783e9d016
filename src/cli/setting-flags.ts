import { Option, type Command } from 'commander';
import type { FlagCommands } from '../config/setting-schema.js';
import { SETTINGS, type SettingDefinition } from '../config/setting-table.js';

/** What `--help` says of a flag: the doc's first sentence, its env variable and default. */
function flagHelp(setting: SettingDefinition): string {
  // A sentence ends before a capital, so that "e.g. http://..." does not end one.
  const firstSentence = /^.*?[.!?](?=\s+[A-Z`]|$)/.exec(setting.doc)?.[0] ?? setting.doc;
  const notes = [setting.env];
  if (setting.type.kind === 'enum') notes.push(`one of ${setting.type.values.join(', ')}`);
  if (setting.default !== '') notes.push(`default ${String(setting.default)}`);
  return `${firstSentence} (${notes.join('; ')})`;
}

function takesFlag(setting: SettingDefinition, commands: FlagCommands): boolean {
  if (setting.flag === undefined) return false;
  return setting.flag.commands === 'every' || commands === 'serve';
}

/**
 * Adds the flag of every setting whose schema marks one for these commands. No commander
 * defaults: a flag left out must leave the env variable, the file and the default in force.
 */
export function addSettingFlags(command: Command, commands: FlagCommands): Command {
  for (const setting of SETTINGS) {
    const flag = setting.flag;
    if (flag === undefined || !takesFlag(setting, commands)) continue;
    if (setting.type.kind === 'boolean') {
      command.addOption(new Option(flag.name, flagHelp(setting)));
      command.addOption(
        new Option(
          `--no-${flag.name.slice(2)}`,
          `turns ${setting.path} off (as ${setting.env}=false)`,
        ),
      );
    } else
      command.addOption(new Option(`${flag.name} <${flag.value ?? 'value'}>`, flagHelp(setting)));
  }
  return command;
}

/** The flags given on the command line, keyed by setting path, as `loadConfig` takes them. */
export function settingFlagValues(
  options: Record<string, unknown>,
): Record<string, string | boolean> {
  const values: Record<string, string | boolean> = {};
  for (const setting of SETTINGS) {
    if (setting.flag === undefined) continue;
    const value = options[new Option(setting.flag.name).attributeName()];
    if (typeof value === 'string' || typeof value === 'boolean') values[setting.path] = value;
  }
  return values;
}
