import { readFileSync } from 'node:fs';
import { ConfigError } from './config-error.js';
import type { KindredConfig } from './settings.js';

const ORIGIN = 'auth.masterKeyFile (KINDRED_MASTER_KEY_FILE, --master-key-file)';

/** The config with `auth.masterKey` read from `auth.masterKeyFile`, when that is set. */
export function withMasterKeyFromFile(config: KindredConfig): KindredConfig {
  const path = config.auth.masterKeyFile;
  if (path === '') return config;
  if (config.auth.masterKey !== '')
    throw new ConfigError(`${ORIGIN}: set either it or auth.masterKey, not both`);
  let key: string;
  try {
    key = readFileSync(path, 'utf8').trim();
  } catch (error) {
    throw new ConfigError(`${ORIGIN}: cannot read ${path}: ${(error as Error).message}`);
  }
  // An empty key would silently turn authentication off.
  if (key === '') throw new ConfigError(`${ORIGIN}: ${path} is empty`);
  return { ...config, auth: { ...config.auth, masterKey: key } };
}
