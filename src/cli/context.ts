import type { Command } from 'commander';
import { loadConfig, readConfigFile } from '../config/load.js';
import type { FlagCommands } from '../config/setting-schema.js';
import type { KindredConfig } from '../config/settings.js';
import { addSettingFlags, settingFlagValues } from './setting-flags.js';

/**
 * Every command takes `--config` and the flags the settings schema marks for every command;
 * `serve` (and `config`, to show their effect) also those only a running server reads.
 */
export function addCommonOptions(command: Command, commands: FlagCommands = 'every'): Command {
  command.option('--config <file>', 'JSON config file (also KINDRED_CONFIG)');
  return addSettingFlags(command, commands);
}

/** Defaults, then config file, then KINDRED_* env variables, then flags. */
export function configFromOptions(options: Record<string, unknown>): KindredConfig {
  const fileName = (options['config'] as string | undefined) ?? process.env['KINDRED_CONFIG'];
  return loadConfig({
    ...(fileName ? { file: readConfigFile(fileName), fileName } : {}),
    env: process.env,
    flags: settingFlagValues(options),
  });
}
