import type { StoredEvent } from '../core/events/envelope.js';
import type { UpcasterRegistry } from '../core/events/upcasters.js';
import type { ReadModels } from '../core/projections/read-models.js';
import type { EventLog, Subscription } from '../ports/event-log.js';

const CATCH_UP_BATCH = 10_000;

/**
 * Keeps the read models level with the log. Our own appends are applied at once (that
 * is what makes writes read-your-own); events other processes append arrive through the
 * log subscription. Work is serialized so both paths apply each event exactly once.
 */
export class Projector {
  private queue: Promise<unknown> = Promise.resolve();
  private subscription: Subscription | undefined;

  constructor(
    private readonly log: EventLog,
    readonly readModels: ReadModels,
    private readonly upcasters: UpcasterRegistry,
  ) {}

  /** Applies freshly appended events, first fetching any gap before them. */
  advance(appended: readonly StoredEvent[]): Promise<void> {
    if (appended.length === 0) return Promise.resolve();
    const first = appended[0] as StoredEvent;
    const last = appended[appended.length - 1] as StoredEvent;
    // Fast path: nothing queued and no gap, apply synchronously.
    if (this.idle && first.offset === this.readModels.checkpoint + 1) {
      this.readModels.apply(appended.map((e) => this.upcasters.upcast(e)));
      return Promise.resolve();
    }
    return this.serialize(async () => {
      await this.catchUp(first.offset - 1);
      this.readModels.apply(appended.map((e) => this.upcasters.upcast(e)));
      await this.catchUp(last.offset);
    });
  }

  /** Replays the log into the read models until the checkpoint reaches `target` (or the end). */
  catchUp(target = Number.POSITIVE_INFINITY, onProgress?: (offset: number) => void): Promise<void> {
    return this.runCatchUp(target, onProgress);
  }

  private async runCatchUp(target: number, onProgress?: (offset: number) => void): Promise<void> {
    while (this.readModels.checkpoint < target) {
      const batch = await this.log.readAfter(this.readModels.checkpoint, CATCH_UP_BATCH);
      if (batch.length === 0) return;
      const upcast = batch.filter((e) => e.offset <= target).map((e) => this.upcasters.upcast(e));
      if (upcast.length === 0) return;
      this.readModels.apply(upcast);
      onProgress?.(this.readModels.checkpoint);
    }
  }

  /** Follows events appended by other processes (an import, another API node). */
  follow(): void {
    if (this.subscription) return;
    this.subscription = this.log.subscribe(
      this.readModels.checkpoint,
      (batch) =>
        this.serialize(async () => {
          const fresh = batch.filter((e) => e.offset > this.readModels.checkpoint);
          if (fresh.length === 0) return;
          await this.catchUp((fresh[0] as StoredEvent).offset - 1);
          this.readModels.apply(fresh.map((e) => this.upcasters.upcast(e)));
        }),
      // Our own appends are applied on the write path; only others' need reading.
      { position: () => this.readModels.checkpoint },
    );
  }

  async stop(): Promise<void> {
    await this.subscription?.close();
    this.subscription = undefined;
    await this.queue;
  }

  private pending = 0;
  private get idle(): boolean {
    return this.pending === 0;
  }

  private serialize<T>(work: () => Promise<T>): Promise<T> {
    this.pending++;
    const run = this.queue.then(work).finally(() => {
      this.pending--;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}
