import type { Logger } from 'pino';
import { newEventId } from '../../core/events/event-id.js';
import {
  EventTypes,
  type Impression,
  type RecommendationsServedPayload,
} from '../../core/events/event-types.js';
import type { WriteService } from '../write-service.js';

/**
 * Most impressions in one event. Encoding and inserting an event holds the event loop:
 * 1,000 impressions took 3 ms on average and up to 17 ms under load, long enough to show
 * in the p99 of every request queued behind it; a few hundred keep each flush short.
 */
const MAX_BATCH = 250;

/**
 * Logs impressions off the request path: they are queued and written as one
 * `recommendations.served` event per batch, at most every `flushMs`, so serving pays
 * for an array push, not a durable write. Their durability is deferred to the next
 * acknowledged write: a commit's fsync would hold the event loop at every flush.
 */
export class ImpressionWriter {
  private queue: Impression[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly writes: WriteService,
    private readonly flushMs: number,
    private readonly logger: Logger,
  ) {}

  add(impression: Impression): void {
    this.queue.push(impression);
    if (this.queue.length >= MAX_BATCH) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.flushMs).unref();
  }

  /** Writes what is queued; resolves when it (and earlier batches) are durable. */
  flush(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.queue.length === 0) return this.writing;
    const impressions = this.queue;
    this.queue = [];
    const now = Date.now();
    const payload: RecommendationsServedPayload = { impressions };
    this.writing = this.writing
      .then(() =>
        this.writes.append(
          [
            {
              id: newEventId(now),
              type: EventTypes.recommendationsServed.type,
              version: EventTypes.recommendationsServed.version,
              occurredAt: now,
              receivedAt: now,
              partitionKey: 'impressions',
              payload,
              metadata: { source: 'serving' },
            },
          ],
          { durability: 'deferred' },
        ),
      )
      .then(
        () => undefined,
        (error: unknown) =>
          this.logger.warn(
            { err: error, impressions: impressions.length },
            'impressions not logged',
          ),
      );
    return this.writing;
  }
}
