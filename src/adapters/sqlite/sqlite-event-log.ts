import { Worker } from 'node:worker_threads';
import type { EventEnvelope, StoredEvent } from '../../core/events/envelope.js';
import type {
  AppendOptions,
  AppendOutcome,
  BatchListener,
  SubscribeOptions,
  EventLog,
  Subscription,
} from '../../ports/event-log.js';
import { LogSubscription } from '../../ports/log-subscription.js';
import {
  isSqliteBusy,
  openSqliteDatabase,
  type SqliteDatabase,
  type SqliteSynchronous,
} from './sqlite-database.js';
import { type AppendPath, prepareAppendPath } from './sqlite-event-append.js';
import { copySqliteDatabase } from './sqlite-copy.js';
import type { CheckpointWorkerSetup } from './checkpoint-worker.js';
import {
  EVENTS_VIEW,
  SEGMENT_SCHEMA,
  decodeSegment,
  migrateRowPerEventLog,
} from './sqlite-event-segments.js';

export { openSqliteDatabase } from './sqlite-database.js';

export interface SqliteEventLogOptions {
  /** A file path, or ':memory:' for a private in-memory log. */
  readonly path: string;
  /** See `SqliteDatabaseOptions.synchronous`; 'full' means an acknowledged append is fsynced. */
  readonly synchronous?: SqliteSynchronous;
  /** How often idle subscriptions look for events appended by other connections. */
  readonly pollIntervalMs?: number;
  /** Most events handed to a subscriber in one listener call. */
  readonly deliveryBatchSize?: number;
  /**
   * Events appended before checkpoints move to a worker thread (default 10,000; 0: at
   * once). A small log keeps SQLite's automatic checkpoints; ignored for ':memory:'.
   */
  readonly backgroundCheckpointAfter?: number;
}

/** How often the checkpoint worker copies the WAL into the database. */
const CHECKPOINT_INTERVAL_MS = 1000;
/** SQLite's default: the writer checkpoints once the WAL holds this many pages. */
const AUTO_CHECKPOINT_PAGES = 1000;

interface SegmentRow {
  readonly first_offset: number;
  readonly events: string;
}

/**
 * The embedded event log: segments of consecutive events in one SQLite table (see
 * `sqlite-event-segments.ts`). Offsets are contiguous and only grow, since segments are
 * never deleted and a rolled-back batch frees the offsets it would have used.
 */
export class SqliteEventLog implements EventLog {
  private readonly db: SqliteDatabase;
  private readonly appendPath: AppendPath;
  private readonly selectStartOfSegment;
  private readonly selectSegmentsFrom;
  private readonly selectLastOffset;
  private readonly selectCount;
  private readonly subscriptions = new Set<LogSubscription>();
  private readonly pollIntervalMs: number;
  private readonly deliveryBatchSize: number;
  private pollTimer: NodeJS.Timeout | undefined;
  /** Newest offset this instance knows of, so a poll only wakes subscribers on news. */
  private newestKnownOffset: number;
  private closed = false;
  private readonly synchronousFull: boolean;
  private readonly path: string;
  private checkpointer: Worker | undefined;
  /** Appended events left before the checkpoint worker starts (-1: never, or started). */
  private appendsBeforeCheckpointer: number;

  constructor(options: SqliteEventLogOptions) {
    this.pollIntervalMs = options.pollIntervalMs ?? 50;
    this.deliveryBatchSize = options.deliveryBatchSize ?? 1000;
    this.synchronousFull = (options.synchronous ?? 'full') === 'full';
    this.path = options.path;
    this.appendsBeforeCheckpointer =
      options.path === ':memory:' ? -1 : Math.max(0, options.backgroundCheckpointAfter ?? 10_000);
    this.db = openSqliteDatabase(options.path, { synchronous: options.synchronous ?? 'full' });
    try {
      this.db.exec(SEGMENT_SCHEMA);
      migrateRowPerEventLog(this.db);
      this.db.exec(EVENTS_VIEW);
    } catch (error) {
      this.db.close();
      throw error;
    }

    this.appendPath = prepareAppendPath(this.db);
    this.selectStartOfSegment = this.db
      .prepare<
        [number],
        number
      >('SELECT first_offset FROM event_segments WHERE first_offset <= ? ORDER BY first_offset DESC LIMIT 1')
      .pluck();
    this.selectSegmentsFrom = this.db.prepare<[number], SegmentRow>(
      'SELECT first_offset, events FROM event_segments WHERE first_offset >= ? ORDER BY first_offset',
    );
    this.selectLastOffset = this.db
      .prepare<
        [],
        number
      >('SELECT last_offset FROM event_segments ORDER BY first_offset DESC LIMIT 1')
      .pluck();
    this.selectCount = this.db
      .prepare<
        [],
        number
      >('SELECT coalesce(sum(last_offset - first_offset + 1), 0) FROM event_segments')
      .pluck();
    this.newestKnownOffset = this.selectLastOffset.get() ?? 0;
  }

  async copyTo(path: string): Promise<number> {
    this.assertOpen();
    if (this.path === ':memory:') throw new Error('an in-memory log has no file to copy');
    const last = await copySqliteDatabase({
      source: this.path,
      destination: path,
      probe: 'SELECT coalesce(max(last_offset), 0) FROM event_segments',
    });
    return last ?? 0;
  }

  async prepareAppends(): Promise<void> {
    this.assertOpen();
    this.appendPath.indexStoredEvents();
  }

  async append(
    events: readonly EventEnvelope[],
    options: AppendOptions = {},
  ): Promise<AppendOutcome[]> {
    this.assertOpen();
    if (events.length === 0) return [];
    // better-sqlite3 is synchronous, so concurrent append calls cannot interleave.
    let outcomes: AppendOutcome[];
    if (options.durability === 'deferred' && this.synchronousFull) {
      // The commit's fsync holds the event loop (about a millisecond); a deferred batch
      // skips it. Its WAL frames come before any later commit's, so the next synchronous
      // commit (or checkpoint) makes them durable too.
      this.db.pragma('synchronous = NORMAL');
      try {
        outcomes = this.appendPath.append(events);
      } finally {
        this.db.pragma('synchronous = FULL');
      }
    } else outcomes = this.appendPath.append(events);
    if (this.appendsBeforeCheckpointer >= 0) {
      this.appendsBeforeCheckpointer -= events.length;
      if (this.appendsBeforeCheckpointer <= 0) this.startCheckpointer();
    }
    let newestAppended = 0;
    for (const outcome of outcomes) {
      if (!outcome.duplicate) newestAppended = outcome.offset;
    }
    if (newestAppended > 0) this.announce(newestAppended);
    return outcomes;
  }

  async readAfter(afterOffset: number, limit: number): Promise<StoredEvent[]> {
    this.assertOpen();
    if (!Number.isInteger(limit) || limit < 0) {
      throw new RangeError(`limit must be a non-negative integer, got ${limit}`);
    }
    const events: StoredEvent[] = [];
    if (limit === 0) return events;
    const from = this.selectStartOfSegment.get(afterOffset + 1) ?? 0;
    for (const segment of this.selectSegmentsFrom.iterate(from)) {
      decodeSegment(
        segment.first_offset,
        segment.events,
        afterOffset,
        limit - events.length,
        events,
      );
      if (events.length >= limit) break;
    }
    return events;
  }

  async lastOffset(): Promise<number> {
    this.assertOpen();
    return this.selectLastOffset.get() ?? 0;
  }

  /** Scans the segments: cheap enough for stats and tests, not for a hot path. */
  async count(): Promise<number> {
    this.assertOpen();
    return this.selectCount.get() ?? 0;
  }

  subscribe(
    afterOffset: number,
    listener: BatchListener,
    options: SubscribeOptions = {},
  ): Subscription {
    this.assertOpen();
    const subscription = new LogSubscription(
      this,
      afterOffset,
      listener,
      this.deliveryBatchSize,
      (ended) => this.forget(ended),
      options.position,
    );
    this.subscriptions.add(subscription);
    this.startPolling();
    return subscription;
  }

  /** Every event after `afterOffset`, a page at a time; for replays and exports. */
  async *iterateAll(batchSize = 1000, afterOffset = 0): AsyncGenerator<StoredEvent[]> {
    let cursor = afterOffset;
    for (;;) {
      const batch = await this.readAfter(cursor, batchSize);
      const last = batch.at(-1);
      if (last === undefined) return;
      yield batch;
      cursor = last.offset;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // A listener that failed has already reported its error; closing must still finish.
    await Promise.allSettled([...this.subscriptions].map((subscription) => subscription.close()));
    this.stopPolling();
    await this.stopCheckpointer();
    this.db.close();
  }

  /** From now on a worker thread checkpoints; this connection no longer does. */
  private startCheckpointer(): void {
    this.appendsBeforeCheckpointer = -1;
    const setup: CheckpointWorkerSetup = {
      path: this.path,
      synchronous: this.synchronousFull ? 'full' : 'normal',
      intervalMs: CHECKPOINT_INTERVAL_MS,
    };
    const worker = new Worker(new URL('./checkpoint-worker.js', import.meta.url), {
      workerData: setup,
    });
    const fallBack = (): void => {
      if (this.checkpointer !== worker) return;
      this.checkpointer = undefined;
      // Without the worker the WAL would grow without bound: checkpoint here again.
      if (!this.closed) this.db.pragma(`wal_autocheckpoint = ${AUTO_CHECKPOINT_PAGES}`);
    };
    worker.on('error', fallBack);
    worker.on('exit', fallBack);
    worker.unref();
    this.checkpointer = worker;
    this.db.pragma('wal_autocheckpoint = 0');
  }

  private async stopCheckpointer(): Promise<void> {
    const worker = this.checkpointer;
    if (worker === undefined) return;
    this.checkpointer = undefined;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    // Unreferenced while it works; closing must wait for it to let go of the file.
    worker.ref();
    worker.postMessage('close');
    await exited;
  }

  private announce(newestOffset: number): void {
    if (newestOffset <= this.newestKnownOffset) return;
    this.newestKnownOffset = newestOffset;
    for (const subscription of this.subscriptions) subscription.wake();
  }

  private forget(subscription: LogSubscription): void {
    this.subscriptions.delete(subscription);
    if (this.subscriptions.size === 0) this.stopPolling();
  }

  private startPolling(): void {
    if (this.pollTimer !== undefined) return;
    this.pollTimer = setInterval(() => this.pollForOtherWriters(), this.pollIntervalMs);
    // Waiting for events must never be what keeps the process alive.
    this.pollTimer.unref();
  }

  private stopPolling(): void {
    clearInterval(this.pollTimer);
    this.pollTimer = undefined;
  }

  /** Appends through this instance announce themselves; other connections are polled for. */
  private pollForOtherWriters(): void {
    if (this.closed) return;
    let someoneWaits = false;
    for (const subscription of this.subscriptions) someoneWaits ||= subscription.isWaiting;
    if (!someoneWaits) return;
    try {
      this.announce(this.selectLastOffset.get() ?? 0);
    } catch (error) {
      // A writer mid-checkpoint can hold us off briefly; the next tick tries again.
      if (!isSqliteBusy(error)) throw error;
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the event log is closed');
  }
}
