import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { KindredConfig } from '../../config/settings.js';
import { ConfigError } from '../../config/load.js';
import { EventTypes, type ModelTrainedPayload } from '../../core/events/event-types.js';
import { newEventId } from '../../core/events/event-id.js';
import {
  describePipeline,
  parsePipelineConfig,
  type PipelineConfig,
} from '../../core/recommend/blend-config.js';
import { KindredError } from '../../errors/catalog.js';
import type { Engine } from '../engine.js';
import type { ModelRecord, ModelRegistry } from './model-registry.js';
import {
  SERVER_HOLDOUT,
  SERVER_VALIDATION,
  type TrainingJob,
  type TrainingReply,
} from './training-job.js';

export type TrainingReason = 'api' | 'cli' | 'schedule' | 'events' | 'start';

export interface TrainingStatus {
  readonly running: boolean;
  readonly reason?: TrainingReason;
  readonly startedAt?: string;
  readonly stage?: string;
  readonly lastFinishedAt?: string;
  readonly lastError?: string;
  /** Interactions applied since the last training started. */
  readonly newInteractions: number;
}

export interface TrainerOptions {
  readonly engine: Engine;
  readonly registry: ModelRegistry;
  readonly config: KindredConfig;
  readonly logger: Logger;
  /** Called with each stored version before the trainer resolves (serving swaps to it). */
  readonly onTrained?: (record: ModelRecord, artifact: Uint8Array) => Promise<void>;
}

/**
 * Trains models: takes a consistent snapshot of the interactions at a log offset, fits
 * the pipeline in a worker thread (search, holdout evaluation, final fit), stores the
 * versioned artifact with its metrics in the registry, makes it active, and announces it
 * with a `model.trained` event. One training at a time; in a server it also runs on a
 * schedule and after every `training.everyEvents` new interactions.
 */
export class Trainer {
  private running: Promise<ModelRecord> | undefined;
  private worker: Worker | undefined;
  private state: {
    reason?: TrainingReason;
    startedAt?: string;
    stage?: string;
    lastFinishedAt?: string;
    lastError?: string;
  } = {};
  private newInteractions = 0;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private stopped = false;
  private readonly pinned: PipelineConfig | undefined;

  constructor(private readonly options: TrainerOptions) {
    const pipeline = options.config.training.pipeline;
    try {
      this.pinned =
        pipeline === null || pipeline === undefined ? undefined : parsePipelineConfig(pipeline);
    } catch (error) {
      throw new ConfigError(`training.pipeline: ${(error as Error).message}`);
    }
  }

  status(): TrainingStatus {
    return {
      running: this.running !== undefined,
      ...this.state,
      newInteractions: this.newInteractions,
    };
  }

  /** Trains now. Rejects with TRAINING_IN_PROGRESS, NOT_ENOUGH_DATA or TRAINING_FAILED. */
  train(reason: TrainingReason, options: { budgetSeconds?: number } = {}): Promise<ModelRecord> {
    if (this.running !== undefined)
      throw new KindredError('TRAINING_IN_PROGRESS', 'a training is already running', {
        reason: this.state.reason,
        startedAt: this.state.startedAt,
      });
    const { engine, config } = this.options;
    const interactions = engine.readModels.histories.size;
    if (interactions < config.training.minInteractions)
      throw new KindredError(
        'NOT_ENOUGH_DATA',
        `${interactions} interactions; training needs at least ${config.training.minInteractions}`,
        { interactions, minimum: config.training.minInteractions },
      );
    this.state = { ...this.state, reason, startedAt: new Date().toISOString(), stage: 'snapshot' };
    this.newInteractions = 0;
    const run = this.run(
      reason,
      options.budgetSeconds ?? this.options.config.training.budgetSeconds,
    ).then(
      (record) => {
        this.state = { lastFinishedAt: new Date().toISOString() };
        return record;
      },
      (error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        this.state = { lastFinishedAt: new Date().toISOString(), lastError: message };
        throw error instanceof KindredError
          ? error
          : new KindredError('TRAINING_FAILED', `training failed: ${message}`);
      },
    );
    this.running = run.finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async run(reason: TrainingReason, budgetSeconds: number): Promise<ModelRecord> {
    const { engine, registry, config, logger } = this.options;
    const started = performance.now();
    const models = engine.readModels;
    // The snapshot: everything applied up to this offset, copied in one synchronous step.
    const offset = models.checkpoint;
    const columns = models.histories.columns();
    const job: TrainingJob = {
      columns: {
        users: columns.users.slice(),
        items: columns.items.slice(),
        types: columns.types.slice(),
        values: columns.values.slice(),
        times: columns.times.slice(),
      },
      size: { users: models.users.capacity, items: models.catalog.capacity },
      interactionTypes: {
        table: models.interactionTypes.table,
        ratingMidpoint: models.interactionTypes.ratingMidpoint,
      },
      ...(this.pinned === undefined ? {} : { pipeline: this.pinned }),
      budgetSeconds,
      requestBudgetMs: config.training.requestBudgetMs,
      threads: config.training.threads,
      k: config.recommend.defaultK,
      holdout: SERVER_HOLDOUT,
      validation: SERVER_VALIDATION,
      // As deep as the server keeps lists; a quarter of the search's budget at most.
      listsAhead: {
        depth: config.serving.materializedDepth,
        users: config.serving.materializedUsers,
        seconds: Math.max(5, budgetSeconds / 4),
      },
      trendingHalfLifeSeconds: config.recommend.trendingHalfLifeHours * 3600,
      offset,
      fingerprint: models.fingerprint(),
    };
    logger.info({ reason, offset, interactions: models.histories.size }, 'training started');
    const reply = await this.runWorker(job);
    const version = await registry.nextVersion();
    const record: ModelRecord = {
      version,
      createdAt: new Date().toISOString(),
      reason,
      offset,
      interactions: reply.interactions,
      users: job.size.users,
      items: job.size.items,
      description: describePipeline(reply.config),
      pipeline: reply.config,
      ...(reply.evaluation === undefined ? {} : { evaluation: reply.evaluation }),
      ...(reply.search === undefined
        ? {}
        : {
            search: {
              budgetSeconds: reply.search.budgetSeconds,
              seconds: reply.search.seconds,
              budgetExhausted: reply.search.budgetExhausted,
              protocol: reply.search.protocol,
              validationUsers: reply.search.validation.users,
              validationNdcg: reply.search.validationNdcg,
              k: reply.search.k,
              trials: reply.search.trials,
              ...(reply.search.requestCost === undefined
                ? {}
                : { requestCost: reply.search.requestCost }),
            },
          }),
      seconds: { total: (performance.now() - started) / 1000, ...reply.seconds },
      artifactBytes: reply.artifact.byteLength,
      fingerprint: job.fingerprint,
    };
    await registry.put(record, reply.artifact);
    if (!(await registry.setActive(version, 'trained'))) {
      // Another trainer sharing the store finished a newer version first: this one is kept
      // (listed, loadable, a rollback target) but does not replace it.
      logger.warn({ version }, 'a newer model is active: this one is stored, not served');
      return record;
    }
    await this.options.onTrained?.(record, reply.artifact);
    const now = Date.now();
    const payload: ModelTrainedPayload = {
      version,
      offset,
      interactions: record.interactions,
      pipeline: record.description,
      ...(record.evaluation === undefined ? {} : { ndcg: record.evaluation.metrics.ndcg }),
    };
    await engine.writes.append([
      {
        id: newEventId(now),
        type: EventTypes.modelTrained.type,
        version: EventTypes.modelTrained.version,
        occurredAt: now,
        receivedAt: now,
        partitionKey: 'models',
        payload,
        metadata: { source: 'trainer' },
      },
    ]);
    const pruned = await registry.prune(config.training.keepModels);
    logger.info(
      {
        version,
        reason,
        offset,
        pipeline: record.description,
        ndcg: record.evaluation?.metrics.ndcg,
        seconds: Math.round(record.seconds.total * 10) / 10,
        ...(pruned.length > 0 ? { pruned } : {}),
      },
      'model trained',
    );
    return record;
  }

  private runWorker(job: TrainingJob): Promise<Extract<TrainingReply, { kind: 'done' }>> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(new URL('./training-worker.js', import.meta.url), {
        workerData: job,
        transferList: [
          job.columns.users.buffer,
          job.columns.items.buffer,
          job.columns.types.buffer,
          job.columns.values.buffer,
          job.columns.times.buffer,
        ] as ArrayBuffer[],
      });
      this.worker = worker;
      let settled = false;
      const finish = (): void => {
        settled = true;
        this.worker = undefined;
        void worker.terminate();
      };
      worker.on('message', (reply: TrainingReply) => {
        if (reply.kind === 'progress') {
          this.state = { ...this.state, stage: reply.stage };
          this.options.logger.debug({ stage: reply.stage, ...reply.detail }, 'training');
        } else if (reply.kind === 'done') {
          finish();
          resolve(reply);
        } else {
          finish();
          reject(new Error(reply.error));
        }
      });
      worker.on('error', (error) => {
        if (settled) return;
        finish();
        reject(error);
      });
      worker.on('exit', (code) => {
        if (settled) return;
        settled = true;
        this.worker = undefined;
        reject(
          new Error(this.stopped ? 'training stopped' : `training thread exited with code ${code}`),
        );
      });
    });
  }

  /**
   * Retrains on a schedule (when interactions arrived since the last training), after
   * `training.everyEvents` new interactions, and at start when there is no model yet.
   */
  startSchedule(hasModel: boolean): void {
    const { engine, config, logger } = this.options;
    const { everySeconds, everyEvents, onStart } = config.training;
    this.unsubscribe = engine.readModels.onApplied((events) => {
      for (const event of events)
        if (event.type === EventTypes.interactionRecorded.type) this.newInteractions++;
      if (everyEvents > 0 && this.newInteractions >= everyEvents) this.background('events');
    });
    if (everySeconds > 0) {
      this.timer = setInterval(() => {
        if (this.newInteractions > 0) this.background('schedule');
      }, everySeconds * 1000);
      this.timer.unref();
    }
    if (onStart && !hasModel && engine.readModels.histories.size >= config.training.minInteractions)
      this.background('start');
    logger.debug({ everySeconds, everyEvents }, 'training schedule');
  }

  private background(reason: TrainingReason): void {
    if (this.running !== undefined || this.stopped) return;
    try {
      this.train(reason).catch((error: unknown) =>
        this.options.logger.error(
          { err: error, reason },
          'training failed; the previous model keeps serving',
        ),
      );
    } catch (error) {
      this.options.logger.debug({ err: error, reason }, 'training not started');
    }
  }

  /** Stops the schedule and any training in flight (its result is dropped). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.unsubscribe?.();
    const worker = this.worker;
    if (worker !== undefined) await worker.terminate();
    await this.running?.catch(() => undefined);
  }
}
