import type { Command } from 'commander';
import { loadConfig, readConfigFile } from '../config/load.js';
import { SETTINGS, type KindredConfig } from '../config/settings.js';

/** Every command takes these; each maps onto a config setting. */
export function addCommonOptions(command: Command): Command {
  return command
    .option('--config <file>', 'JSON config file (also KINDRED_CONFIG)')
    .option('--data <dir>', 'data directory of the embedded store (KINDRED_DATA_DIR)')
    .option('--log-level <level>', 'log level (KINDRED_LOG_LEVEL)');
}

/** Defaults, then config file, then KINDRED_* env variables, then flags. */
export function configFromOptions(options: Record<string, unknown>): KindredConfig {
  const file = (options['config'] as string | undefined) ?? process.env['KINDRED_CONFIG'];
  const flags: Record<string, string | number | boolean | undefined> = {};
  for (const setting of SETTINGS) {
    if (!setting.flag) continue;
    const key = setting.flag
      .replace(/^--/, '')
      .replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    const value = options[key];
    if (value !== undefined) flags[setting.path] = value as string;
  }
  return loadConfig({ file: file ? readConfigFile(file) : undefined, env: process.env, flags });
}
