import type { EventEnvelope, StoredEvent } from '../core/events/envelope.js';

export interface AppendOutcome {
  /** The offset the event has in the log (the earlier one when it was a duplicate). */
  readonly offset: number;
  /** True when an event with this id was already in the log; nothing was written. */
  readonly duplicate: boolean;
}

export interface Subscription {
  close(): Promise<void>;
}

export interface SubscribeOptions {
  /**
   * How far the subscriber already is by other means (a writer that applies its own
   * appends at once). The subscription never reads nor delivers events at or below it,
   * so a process does not read back what it has just written.
   */
  readonly position?: () => number;
}

export interface AppendOptions {
  /**
   * `acknowledged` (default): durable when the promise resolves. `deferred`, for what the
   * engine records about itself (impressions): ordered and readable like any other
   * event, made durable with the next acknowledged append or checkpoint; a power loss may
   * lose it, never an event appended before or after it with `acknowledged`.
   */
  readonly durability?: 'acknowledged' | 'deferred';
}

export type BatchListener = (events: readonly StoredEvent[]) => void | Promise<void>;

/**
 * The append-only event log. Adapters: SQLite (embedded), later PostgreSQL and NATS
 * JetStream. Every adapter passes the shared contract suite in `event-log.contract.ts`.
 */
export interface EventLog {
  /**
   * Appends a batch atomically, in order. When the promise resolves, every event in the
   * batch is durable (unless `durability: 'deferred'`). Duplicate ids (already in the log,
   * or repeated inside the batch) are not written again and report the offset of the
   * first copy.
   */
  append(events: readonly EventEnvelope[], options?: AppendOptions): Promise<AppendOutcome[]>;
  /** Up to `limit` events with offset > `afterOffset`, in offset order. */
  readAfter(afterOffset: number, limit: number): Promise<StoredEvent[]>;
  /** The offset of the newest event, or 0 when the log is empty. */
  lastOffset(): Promise<number>;
  /** Number of events in the log. */
  count(): Promise<number>;
  /**
   * Delivers every event with offset > `afterOffset`, in order, as it arrives (including
   * events appended by other processes sharing the log). The listener is awaited before
   * the next batch is delivered.
   */
  subscribe(afterOffset: number, listener: BatchListener, options?: SubscribeOptions): Subscription;
  /**
   * Loads what the append path keeps in memory (the SQLite adapter's index of event ids),
   * so that a server's first append, made by its first served request, costs what later
   * ones do. Optional; appends work without it.
   */
  prepareAppends?(): Promise<void>;
  /**
   * Writes a consistent copy of the whole log, as of one moment while appends go on, to
   * the new file `path` in the embedded format, and returns the last offset it holds
   * (backups). Absent on cluster adapters: their database has backups of its own.
   */
  copyTo?(path: string): Promise<number>;
  close(): Promise<void>;
}
