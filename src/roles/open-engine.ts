import type { Logger } from 'pino';
import { Engine } from '../app/engine.js';
import { openEventLog, openStateStore } from '../adapters/registry.js';
import type { KindredConfig } from '../config/settings.js';

/** Opens the storage the config names and the engine over it (not yet started). */
export function openEngine(config: KindredConfig, logger: Logger): Engine {
  const storage = {
    dataDir: config.data.dir,
    eventLog: config.storage.eventLog,
    state: config.storage.state,
    synchronous: config.storage.synchronous,
  };
  return new Engine({ config, log: openEventLog(storage), store: openStateStore(storage), logger });
}
