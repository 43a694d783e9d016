import type { Logger } from 'pino';
import type { KindredConfig } from '../../config/settings.js';
import type { Engine } from '../engine.js';
import { ModelRegistry } from './model-registry.js';
import { ModelServing } from './model-serving.js';
import { Trainer } from './trainer.js';

/** The models module as the roles and the HTTP layer see it. */
export interface ModelServices {
  readonly registry: ModelRegistry;
  readonly serving: ModelServing;
  readonly trainer: Trainer;
  /** Loads the active model and trending; with `schedule`, trains on schedule and at start. */
  start(options: { schedule: boolean }): Promise<void>;
  stop(): Promise<void>;
}

export function createModelServices(
  engine: Engine,
  config: KindredConfig,
  logger: Logger,
): ModelServices {
  const registry = new ModelRegistry(engine.store);
  const serving = new ModelServing(
    engine,
    registry,
    logger,
    config.recommend.trendingHalfLifeHours,
  );
  const trainer = new Trainer({
    engine,
    registry,
    config,
    logger,
    onTrained: (record, artifact) => serving.activate(record.version, artifact),
  });
  return {
    registry,
    serving,
    trainer,
    async start({ schedule }) {
      await serving.start();
      if (schedule) trainer.startSchedule(serving.activeVersion !== null);
    },
    async stop() {
      await trainer.stop();
      serving.stop();
    },
  };
}
