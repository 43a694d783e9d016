import type { StoredEvent } from '../core/events/envelope.js';
import type { BatchListener, Subscription } from './event-log.js';

/** What a subscription needs from the log it follows. */
export interface SubscriptionSource {
  readAfter(afterOffset: number, limit: number): Promise<StoredEvent[]>;
}

/**
 * The delivery loop shared by event-log adapters: read a page after the cursor, hand it to
 * the listener, wait for it, advance; when caught up, sleep until the adapter calls
 * `wake()` (its own append, or a poll that saw another process append).
 *
 * Because the cursor only moves forward and one loop owns it, an event is never delivered
 * twice or out of order, however many wake-ups arrive. A listener that throws ends the
 * subscription and the error surfaces as an unhandled rejection (and from `close()`):
 * silently skipping a batch would leave a projection quietly wrong.
 */
export class LogSubscription implements Subscription {
  private stopped = false;
  private wakeRequested = false;
  private resolveSleep: (() => void) | undefined;
  private readonly finished: Promise<void>;

  constructor(
    private readonly source: SubscriptionSource,
    afterOffset: number,
    private readonly listener: BatchListener,
    private readonly batchSize: number,
    private readonly onEnded: (subscription: LogSubscription) => void,
    private readonly position?: () => number,
  ) {
    this.finished = this.deliver(afterOffset);
  }

  /** True while caught up and waiting for new events. */
  get isWaiting(): boolean {
    return this.resolveSleep !== undefined;
  }

  /** Tells the subscription that events past its cursor may exist. Cheap; call freely. */
  wake(): void {
    // Deferred past the current microtasks, so a writer that applies its own append in
    // the continuation of that append has advanced `position` before this reads.
    if (this.wakeScheduled) return;
    this.wakeScheduled = true;
    setImmediate(() => {
      this.wakeScheduled = false;
      this.wakeNow();
    });
  }

  private wakeScheduled = false;

  private wakeNow(): void {
    const resolve = this.resolveSleep;
    if (resolve === undefined) {
      // Busy reading or in the listener: an append may have landed after its last read.
      this.wakeRequested = true;
      return;
    }
    this.resolveSleep = undefined;
    resolve();
  }

  /** Stops delivery; resolves once an in-flight listener call has returned. */
  async close(): Promise<void> {
    this.stopped = true;
    this.wakeNow();
    await this.finished;
  }

  private async deliver(afterOffset: number): Promise<void> {
    let cursor = afterOffset;
    try {
      while (!this.stopped) {
        if (this.position) cursor = Math.max(cursor, this.position());
        let batch = await this.source.readAfter(cursor, this.batchSize);
        if (this.stopped) break;
        const last = batch.at(-1);
        if (last === undefined) {
          await this.sleep();
          continue;
        }
        if (this.position) {
          const known = this.position();
          if ((batch[0] as StoredEvent).offset <= known)
            batch = batch.filter((e) => e.offset > known);
        }
        if (batch.length > 0) await this.listener(batch);
        cursor = last.offset;
      }
    } finally {
      this.onEnded(this);
    }
  }

  private sleep(): Promise<void> {
    if (this.wakeRequested) {
      this.wakeRequested = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.resolveSleep = resolve;
    });
  }
}
