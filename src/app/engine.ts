import type { Logger } from 'pino';
import { InteractionTypes } from '../core/domain/interaction.js';
import { defaultUpcasters, type UpcasterRegistry } from '../core/events/upcasters.js';
import { ReadModels } from '../core/projections/read-models.js';
import {
  decodeSnapshot,
  detachSnapshot,
  encodeSnapshotInSlices,
} from '../core/projections/snapshot-codec.js';
import { runInSlices } from './run-in-slices.js';
import type { EventLog } from '../ports/event-log.js';
import type { StateStore } from '../ports/state-store.js';
import type { KindredConfig } from '../config/settings.js';
import { Projector } from './projector.js';
import { WriteService } from './write-service.js';
import { SearchIndex } from '../core/search/index.js';
import { searchSettings, type SearchSettings } from './search-settings.js';

const SNAPSHOT_NAMESPACE = 'snapshots';
const READ_MODELS_KEY = 'read-models';

export interface EngineParts {
  readonly config: KindredConfig;
  readonly log: EventLog;
  readonly store: StateStore;
  readonly logger: Logger;
  readonly upcasters?: UpcasterRegistry;
}

export interface StartOptions {
  /** Ignore snapshots and rebuild every read model from the first event. */
  readonly fromScratch?: boolean;
  /** Follow events other processes append (a server does; a one-shot command does not). */
  readonly follow?: boolean;
  readonly onProgress?: (applied: number, total: number) => void;
  /** Stop at this offset (the log's last when absent): the read models as they were then. */
  readonly upTo?: number;
}

/**
 * The engine as the roles see it: the log, the read models kept level with it, the
 * write path, and snapshots that make restarts fast. No HTTP here.
 */
/** Rows added since the last pack before histories are packed again (or a quarter of all). */
const PACK_MIN_ROWS = 100_000;

export class Engine {
  readonly readModels: ReadModels;
  /** Full-text search over the catalog: a read model fed after the catalog. */
  readonly search: SearchIndex;
  readonly searchSettings: SearchSettings;
  readonly projector: Projector;
  readonly writes: WriteService;
  readonly log: EventLog;
  readonly store: StateStore;
  private readonly logger: Logger;
  private readonly config: KindredConfig;
  private snapshotTimer: NodeJS.Timeout | undefined;
  private lastSnapshotCheckpoint = 0;
  private snapshotRunning: Promise<void> | undefined;
  private packing = false;
  private closed = false;

  constructor(parts: EngineParts) {
    this.config = parts.config;
    this.log = parts.log;
    this.store = parts.store;
    this.logger = parts.logger;
    const types = new InteractionTypes(
      parts.config.interactions.types,
      parts.config.interactions.ratingMidpoint,
    );
    this.readModels = new ReadModels(types);
    this.searchSettings = searchSettings(parts.config);
    this.search = new SearchIndex(this.readModels.catalog, this.searchSettings.index);
    this.readModels.register(this.search);
    this.projector = new Projector(
      this.log,
      this.readModels,
      parts.upcasters ?? defaultUpcasters(),
    );
    this.writes = new WriteService(this.log, this.projector, this.readModels, {
      unknownEntities: parts.config.events.unknownEntities,
      futureToleranceMs: parts.config.events.futureToleranceMs,
      maxBatch: parts.config.events.maxBatch,
    });
  }

  /** Restores the latest snapshot, replays the log after it, then follows the log. */
  async start(options: StartOptions = {}): Promise<void> {
    const started = performance.now();
    if (!options.fromScratch) await this.restoreSnapshot();
    const restoredAt = this.readModels.checkpoint;
    const lastOffset = Math.min(
      await this.log.lastOffset(),
      options.upTo ?? Number.POSITIVE_INFINITY,
    );
    await this.projector.catchUp(lastOffset, (offset) =>
      options.onProgress?.(offset - restoredAt, lastOffset - restoredAt),
    );
    // Replayed writes sit in the index's delta segment; queries run faster on one.
    if (this.readModels.checkpoint > restoredAt) this.search.compact();
    this.lastSnapshotCheckpoint = options.fromScratch ? 0 : restoredAt;
    this.logger.info(
      {
        checkpoint: this.readModels.checkpoint,
        replayed: this.readModels.checkpoint - restoredAt,
        items: this.readModels.catalog.size,
        users: this.readModels.users.size,
        interactions: this.readModels.histories.size,
        ms: Math.round(performance.now() - started),
      },
      'read models ready',
    );
    if (options.follow) {
      this.packHistories();
      this.projector.follow();
      this.readModels.onApplied(() => {
        this.maybeSnapshot();
        this.maybePackHistories();
      });
      this.snapshotTimer = setInterval(
        () => void this.snapshotIfBehind(),
        this.config.snapshots.everySeconds * 1000,
      );
      this.snapshotTimer.unref();
    }
  }

  private async restoreSnapshot(): Promise<void> {
    let bytes: Uint8Array | undefined;
    try {
      bytes = await this.store.get(SNAPSHOT_NAMESPACE, READ_MODELS_KEY);
      if (!bytes) return;
      const contents = decodeSnapshot(bytes);
      const lastOffset = await this.log.lastOffset();
      if (contents.checkpoint > lastOffset) {
        this.logger.warn(
          { snapshot: contents.checkpoint, log: lastOffset },
          'snapshot is ahead of the log; replaying',
        );
        return;
      }
      if (!this.readModels.restore(contents)) {
        this.logger.info('snapshot was made under other settings; replaying the log');
        return;
      }
      this.logger.info(
        { checkpoint: contents.checkpoint, bytes: bytes.byteLength },
        'snapshot restored',
      );
    } catch (error) {
      this.logger.warn({ err: error }, 'snapshot unreadable; replaying the log');
    }
  }

  /**
   * Lays each user's interactions out contiguously again once many were added since the
   * last time (see InteractionHistories.pack), a few ms at a time between requests.
   */
  private maybePackHistories(): void {
    const histories = this.readModels.histories;
    if (histories.unpackedRows >= Math.max(PACK_MIN_ROWS, histories.written / 4))
      this.packHistories();
  }

  private packHistories(): void {
    if (this.packing || this.closed) return;
    this.packing = true;
    const started = performance.now();
    void runInSlices(this.readModels.histories.pack(), {
      keepGoing: () => !this.closed,
      task: 'pack-histories',
    })
      .then(
        () =>
          this.logger.debug(
            {
              rows: this.readModels.histories.written,
              ms: Math.round(performance.now() - started),
            },
            'histories packed',
          ),
        (error: unknown) => this.logger.error({ err: error }, 'packing histories failed'),
      )
      .finally(() => {
        this.packing = false;
      });
  }

  private maybeSnapshot(): void {
    if (
      this.readModels.checkpoint - this.lastSnapshotCheckpoint >=
      this.config.snapshots.everyEvents
    )
      void this.snapshotIfBehind();
  }

  private async snapshotIfBehind(): Promise<void> {
    if (this.closed || this.readModels.checkpoint === this.lastSnapshotCheckpoint) return;
    await this.writeSnapshot().catch((error: unknown) =>
      this.logger.error({ err: error }, 'snapshot failed'),
    );
  }

  /** Writes the read models' state; a restart then replays only what came after. */
  writeSnapshot(): Promise<void> {
    if (this.snapshotRunning) return this.snapshotRunning;
    const run = (async () => {
      const started = performance.now();
      // Taken at once (a consistent checkpoint), encoded between requests: the encoding of
      // 100,000 items' state held the event loop for 0.3 - 0.9 s.
      const contents = detachSnapshot(this.readModels.snapshot());
      const heldMs = performance.now() - started;
      const bytes = (await runInSlices(encodeSnapshotInSlices(contents), { task: 'snapshot' }))!;
      const byteLength = bytes.byteLength;
      await this.store.put(SNAPSHOT_NAMESPACE, READ_MODELS_KEY, bytes, { handOver: true });
      this.lastSnapshotCheckpoint = contents.checkpoint;
      this.logger.info(
        {
          checkpoint: contents.checkpoint,
          bytes: byteLength,
          ms: Math.round(performance.now() - started),
          heldMs: Math.round(heldMs),
        },
        'snapshot written',
      );
    })().finally(() => {
      this.snapshotRunning = undefined;
    });
    this.snapshotRunning = run;
    return run;
  }

  async status(): Promise<{ checkpoint: number; lastOffset: number; events: number; lag: number }> {
    const lastOffset = await this.log.lastOffset();
    return {
      checkpoint: this.readModels.checkpoint,
      lastOffset,
      events: await this.log.count(),
      lag: lastOffset - this.readModels.checkpoint,
    };
  }

  /** Stops following, snapshots, and closes storage. Idempotent. */
  async close(options: { snapshot?: boolean } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.snapshotTimer) clearInterval(this.snapshotTimer);
    await this.projector.stop();
    await this.snapshotRunning;
    if (options.snapshot !== false && this.readModels.checkpoint !== this.lastSnapshotCheckpoint) {
      await this.writeSnapshot().catch((error: unknown) =>
        this.logger.error({ err: error }, 'final snapshot failed'),
      );
    }
    await this.log.close();
    await this.store.close();
  }
}
