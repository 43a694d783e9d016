import type { Logger } from 'pino';
import type { KindredConfig } from '../../config/settings.js';
import type { Engine } from '../engine.js';
import { ModelRegistry } from './model-registry.js';
import { ModelServing } from '../serving/model-serving.js';
import { Trainer } from './trainer.js';
import { RecommendationService } from '../serving/recommendation-service.js';
import { RecommendationStreams } from '../serving/recommendation-stream.js';
import { runInSlices } from '../run-in-slices.js';

/** Users whose recommendations are computed (and thrown away) before a server is ready. */
const WARM_UP_USERS = 500;

/** The models module as the roles and the HTTP layer see it. */
export interface ModelServices {
  readonly registry: ModelRegistry;
  readonly serving: ModelServing;
  readonly trainer: Trainer;
  /** The four-stage recommendation pipeline over the active model. */
  readonly recommendations: RecommendationService;
  /** Live recommendation lists pushed to connected clients. */
  readonly streams: RecommendationStreams;
  /**
   * Loads the active model and trending; with `schedule`, trains on schedule and at
   * start; with `warmUp`, runs the request path for a few hundred users first (a server
   * about to take traffic).
   */
  start(options: { schedule: boolean; warmUp?: boolean }): Promise<void>;
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
    config.serving.annMinItems,
  );
  const trainer = new Trainer({
    engine,
    registry,
    config,
    logger,
    onTrained: (record, artifact) => serving.activate(record.version, artifact),
  });
  const recommendations = new RecommendationService(engine, serving, config, logger);
  const streams = new RecommendationStreams(
    engine.readModels,
    recommendations,
    serving,
    {
      maxConnections: config.serving.streamMaxConnections,
      heartbeatMs: config.serving.streamHeartbeatMs,
      debounceMs: config.serving.streamDebounceMs,
    },
    logger,
  );
  return {
    registry,
    serving,
    trainer,
    recommendations,
    streams,
    async start({ schedule, warmUp = false }) {
      await serving.start();
      if (warmUp) {
        const started = performance.now();
        const users = await runInSlices(recommendations.warmUp(WARM_UP_USERS), {
          task: 'warm-up',
        });
        logger.info(
          { users, ms: Math.round(performance.now() - started) },
          'request path warmed up',
        );
      }
      recommendations.start();
      streams.start();
      if (schedule) trainer.startSchedule(serving.activeVersion !== null);
    },
    async stop() {
      streams.close();
      await trainer.stop();
      await recommendations.stop();
      serving.stop();
    },
  };
}
