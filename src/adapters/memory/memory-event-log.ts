import type { EventEnvelope, StoredEvent } from '../../core/events/envelope.js';
import type {
  AppendOutcome,
  BatchListener,
  SubscribeOptions,
  EventLog,
  Subscription,
} from '../../ports/event-log.js';
import { toEventJson } from '../../ports/event-json.js';
import { LogSubscription } from '../../ports/log-subscription.js';

export interface MemoryEventLogOptions {
  /** Most events handed to a subscriber in one listener call. */
  readonly deliveryBatchSize?: number;
}

/** An event as kept in memory: JSON text, like every durable adapter keeps it. */
interface EventRecord {
  readonly id: string;
  readonly type: string;
  readonly version: number;
  readonly occurredAt: number;
  readonly receivedAt: number;
  readonly partitionKey: string;
  readonly payloadJson: string;
  readonly metadataJson: string;
}

/** In-process event log for unit tests and throwaway runs; nothing survives the process. */
export class MemoryEventLog implements EventLog {
  /** The record at index i has offset i + 1. */
  private readonly records: EventRecord[] = [];
  private readonly offsetById = new Map<string, number>();
  private readonly subscriptions = new Set<LogSubscription>();
  private readonly deliveryBatchSize: number;
  private closed = false;

  constructor(options: MemoryEventLogOptions = {}) {
    this.deliveryBatchSize = options.deliveryBatchSize ?? 1000;
  }

  async append(events: readonly EventEnvelope[]): Promise<AppendOutcome[]> {
    this.assertOpen();
    // Serialise the whole batch before touching the log so a bad event writes nothing.
    const records = events.map(toRecord);
    const outcomes: AppendOutcome[] = [];
    let appended = false;
    for (const record of records) {
      const existing = this.offsetById.get(record.id);
      if (existing !== undefined) {
        outcomes.push({ offset: existing, duplicate: true });
        continue;
      }
      this.records.push(record);
      const offset = this.records.length;
      this.offsetById.set(record.id, offset);
      outcomes.push({ offset, duplicate: false });
      appended = true;
    }
    if (appended) for (const subscription of this.subscriptions) subscription.wake();
    return outcomes;
  }

  async readAfter(afterOffset: number, limit: number): Promise<StoredEvent[]> {
    this.assertOpen();
    assertValidLimit(limit);
    const start = Math.max(0, Math.floor(afterOffset));
    return this.records
      .slice(start, start + limit)
      .map((record, index) => toStoredEvent(start + index + 1, record));
  }

  async lastOffset(): Promise<number> {
    this.assertOpen();
    return this.records.length;
  }

  async count(): Promise<number> {
    this.assertOpen();
    return this.records.length;
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
      (ended) => this.subscriptions.delete(ended),
      options.position,
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // A listener that failed has already reported its error; closing must still finish.
    await Promise.allSettled([...this.subscriptions].map((subscription) => subscription.close()));
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the event log is closed');
  }
}

function toRecord(event: EventEnvelope): EventRecord {
  return {
    id: event.id,
    type: event.type,
    version: event.version,
    occurredAt: event.occurredAt,
    receivedAt: event.receivedAt,
    partitionKey: event.partitionKey,
    payloadJson: toEventJson(event, 'payload'),
    metadataJson: toEventJson(event, 'metadata'),
  };
}

function toStoredEvent(offset: number, record: EventRecord): StoredEvent {
  return {
    offset,
    id: record.id,
    type: record.type,
    version: record.version,
    occurredAt: record.occurredAt,
    receivedAt: record.receivedAt,
    partitionKey: record.partitionKey,
    payload: JSON.parse(record.payloadJson) as unknown,
    metadata: JSON.parse(record.metadataJson) as Record<string, string>,
  };
}

function assertValidLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 0) {
    throw new RangeError(`limit must be a non-negative integer, got ${limit}`);
  }
}
