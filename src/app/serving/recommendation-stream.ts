import type { Logger } from 'pino';
import type { StoredEvent } from '../../core/events/envelope.js';
import {
  EventTypes,
  type InteractionRecordedPayload,
  type UserDeletedPayload,
  type UserPatchedPayload,
  type UserUpsertedPayload,
} from '../../core/events/event-types.js';
import type { ReadModels } from '../../core/projections/read-models.js';
import { KindredError } from '../../errors/catalog.js';
import { catalogErrorOf } from '../../errors/core-errors.js';
import { telemetry } from '../../observability/metrics.js';
import { NO_TRACE } from '../../observability/tracing.js';
import type { ModelServing } from './model-serving.js';
import type {
  RecommendParams,
  RecommendationAnswer,
  RecommendationService,
} from './recommendation-service.js';

/** Why a list was pushed. */
export type StreamTrigger = 'initial' | 'interaction' | 'model';

/** Where a stream's lists go: the HTTP layer writes them as server-sent events. */
export interface StreamSink {
  /** Writes one list. False when the connection is not keeping up (the list was not sent). */
  send(answer: RecommendationAnswer, trigger: StreamTrigger): boolean;
  /** Says nothing, so intermediaries keep an idle connection open. */
  heartbeat(): void;
  /** Ends the stream after an error event (its scenario was deleted, the engine stops...). */
  fail(error: KindredError): void;
}

/** A live stream as its owner sees it. */
export interface StreamSubscription {
  /** The client went away: forget the stream. */
  close(): void;
  /** The connection drained after `send` returned false: push the current list. */
  resume(): void;
}

export interface StreamOptions {
  readonly maxConnections: number;
  readonly heartbeatMs: number;
  readonly debounceMs: number;
}

/** Per connection: who, with which parameters, and whether a recompute is due. */
interface Subscriber {
  readonly userId: string;
  /** Dense user index, or -1 while the user has none (not seen yet, or deleted). */
  user: number;
  readonly params: RecommendParams;
  readonly sink: StreamSink;
  queued: boolean;
  trigger: StreamTrigger;
  closed: boolean;
}

/** Recomputes run in slices of at most this long, then yield to the event loop. */
const SLICE_MS = 4;

/**
 * Live recommendation lists: each stream gets its user's current list on connect and a
 * fresh one whenever that user's state changes (an interaction, their attributes) or the
 * serving model is swapped.
 *
 * Cheap with thousands connected: a stream is a small record, found from an applied event
 * through its user's dense index (no scan of the connections per event); a user's
 * changes are coalesced for `debounceMs` into one recompute; recomputes (all streams at
 * once after a model swap) run in slices of a few ms that yield to the event loop; one
 * timer sends every heartbeat.
 */
export class RecommendationStreams {
  private readonly all = new Set<Subscriber>();
  private readonly byUser = new Map<number, Subscriber[]>();
  /** Streams of users without a dense index yet, by external id. */
  private readonly byExternalId = new Map<string, Subscriber[]>();
  private readonly dirtyUsers = new Set<number>();
  private readonly queue: Subscriber[] = [];
  private queueHead = 0;
  private debounce: NodeJS.Timeout | undefined;
  private draining = false;
  private heartbeat: NodeJS.Timeout | undefined;
  private unsubscribe: Array<() => void> = [];
  private recomputes = 0;

  constructor(
    private readonly readModels: ReadModels,
    private readonly service: RecommendationService,
    private readonly serving: ModelServing,
    private readonly options: StreamOptions,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.unsubscribe = [
      this.readModels.onApplied((events) => this.onApplied(events)),
      this.serving.onSwap(() => this.onModelSwap()),
    ];
    this.heartbeat = setInterval(() => this.beat(), this.options.heartbeatMs);
    this.heartbeat.unref();
  }

  /** Ends every stream (the server is closing) and stops following changes. */
  close(): void {
    for (const stop of this.unsubscribe) stop();
    this.unsubscribe = [];
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.debounce) clearTimeout(this.debounce);
    this.heartbeat = undefined;
    this.debounce = undefined;
    this.endAll();
  }

  /** Ends every open stream with NOT_READY (the server is draining); new ones may still open. */
  endAll(): void {
    const ending = new KindredError('NOT_READY', 'the engine is shutting down; reconnect later');
    for (const subscriber of [...this.all]) {
      this.remove(subscriber);
      subscriber.sink.fail(ending);
    }
  }

  /** Streams open now. */
  get size(): number {
    return this.all.size;
  }

  /** Lists computed for streams since start (initial ones included). */
  get recomputed(): number {
    return this.recomputes;
  }

  /**
   * Opens a stream: checks the cap, computes the first list (its errors, a bad rule or an
   * unknown scenario, are thrown before anything is sent) and sends it. Every list is a
   * fresh one: `params.recommendationId` (paging on) does not apply to streams.
   */
  open(userId: string, params: RecommendParams, sink: StreamSink): StreamSubscription {
    if (this.all.size >= this.options.maxConnections) {
      telemetry.streamRefused();
      throw new KindredError(
        'TOO_MANY_STREAMS',
        `${this.options.maxConnections} recommendation streams are open, the most serving.streamMaxConnections allows`,
        { limit: this.options.maxConnections },
      );
    }
    if (params.recommendationId !== undefined)
      throw new KindredError('INVALID_REQUEST', 'a stream cannot page on a recommendationId', {
        path: 'recommendationId',
      });
    const first = this.compute(userId, params);
    const subscriber: Subscriber = {
      userId,
      user: -1,
      params,
      sink,
      queued: false,
      trigger: 'initial',
      closed: false,
    };
    this.add(subscriber);
    telemetry.streamsOpen(1);
    this.deliver(subscriber, first, 'initial');
    return {
      close: () => this.remove(subscriber),
      resume: () => this.enqueue(subscriber, subscriber.trigger),
    };
  }

  private compute(userId: string, params: RecommendParams): RecommendationAnswer {
    this.recomputes++;
    return this.service.forUser(userId, params, NO_TRACE);
  }

  private deliver(
    subscriber: Subscriber,
    answer: RecommendationAnswer,
    trigger: StreamTrigger,
  ): void {
    if (subscriber.sink.send(answer, trigger)) telemetry.streamPushed(trigger);
  }

  private add(subscriber: Subscriber): void {
    this.all.add(subscriber);
    const user = this.readModels.users.ids.indexOf(subscriber.userId);
    if (user !== undefined) {
      subscriber.user = user;
      pushTo(this.byUser, user, subscriber);
    } else pushTo(this.byExternalId, subscriber.userId, subscriber);
  }

  private remove(subscriber: Subscriber): void {
    if (subscriber.closed) return;
    subscriber.closed = true;
    this.all.delete(subscriber);
    telemetry.streamsOpen(-1);
    if (subscriber.user >= 0) removeFrom(this.byUser, subscriber.user, subscriber);
    else removeFrom(this.byExternalId, subscriber.userId, subscriber);
  }

  private onApplied(events: readonly StoredEvent[]): void {
    if (this.all.size === 0) return;
    for (const event of events) {
      switch (event.type) {
        case EventTypes.interactionRecorded.type:
          this.userChanged((event.payload as InteractionRecordedPayload).userId);
          break;
        case EventTypes.userUpserted.type:
          this.userChanged((event.payload as UserUpsertedPayload).user.id);
          break;
        case EventTypes.userPatched.type:
          this.userChanged((event.payload as UserPatchedPayload).id);
          break;
        case EventTypes.userDeleted.type:
          this.userDeleted((event.payload as UserDeletedPayload).id);
          break;
        default:
      }
    }
  }

  /** Marks the user's streams for a recompute once the debounce window closes. */
  private userChanged(userId: string): void {
    const user = this.readModels.users.ids.indexOf(userId);
    if (user === undefined) return;
    if (this.byExternalId.size > 0) {
      const waiting = this.byExternalId.get(userId);
      if (waiting !== undefined) {
        // The user's first event gave them a dense index: their streams move there.
        this.byExternalId.delete(userId);
        for (const subscriber of waiting) {
          subscriber.user = user;
          pushTo(this.byUser, user, subscriber);
        }
      }
    }
    if (!this.byUser.has(user)) return;
    this.dirtyUsers.add(user);
    this.debounce ??= setTimeout(() => this.flushDirty(), this.options.debounceMs);
  }

  /** A deleted user's id is forgotten (and may come back with another index): rare, so a scan. */
  private userDeleted(userId: string): void {
    for (const [user, subscribers] of this.byUser) {
      if (subscribers[0]?.userId !== userId) continue;
      this.byUser.delete(user);
      this.dirtyUsers.delete(user);
      for (const subscriber of subscribers) {
        subscriber.user = -1;
        pushTo(this.byExternalId, userId, subscriber);
        this.enqueue(subscriber, 'interaction');
      }
    }
  }

  private flushDirty(): void {
    this.debounce = undefined;
    for (const user of this.dirtyUsers)
      for (const subscriber of this.byUser.get(user) ?? []) this.enqueue(subscriber, 'interaction');
    this.dirtyUsers.clear();
  }

  private onModelSwap(): void {
    for (const subscriber of this.all) this.enqueue(subscriber, 'model');
  }

  private enqueue(subscriber: Subscriber, trigger: StreamTrigger): void {
    if (subscriber.closed) return;
    if (subscriber.queued) {
      if (trigger === 'model') subscriber.trigger = trigger;
      return;
    }
    subscriber.queued = true;
    subscriber.trigger = trigger;
    this.queue.push(subscriber);
    if (!this.draining) {
      this.draining = true;
      setImmediate(() => this.drain());
    }
  }

  /** Recomputes queued streams for a few ms, then yields and goes on. */
  private drain(): void {
    const deadline = performance.now() + SLICE_MS;
    while (this.queueHead < this.queue.length) {
      const subscriber = this.queue[this.queueHead++]!;
      subscriber.queued = false;
      if (subscriber.closed) continue;
      try {
        this.deliver(
          subscriber,
          this.compute(subscriber.userId, subscriber.params),
          subscriber.trigger,
        );
      } catch (error) {
        this.remove(subscriber);
        const known = catalogErrorOf(error);
        if (known !== undefined) subscriber.sink.fail(known);
        else {
          this.logger.error({ err: error }, 'a live recommendation list could not be computed');
          subscriber.sink.fail(new KindredError('INTERNAL', 'the list could not be computed'));
        }
      }
      if (performance.now() >= deadline) break;
    }
    if (this.queueHead < this.queue.length) {
      setImmediate(() => this.drain());
      return;
    }
    this.queue.length = 0;
    this.queueHead = 0;
    this.draining = false;
  }

  private beat(): void {
    for (const subscriber of this.all) subscriber.sink.heartbeat();
  }
}

function pushTo<K>(map: Map<K, Subscriber[]>, key: K, subscriber: Subscriber): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [subscriber]);
  else list.push(subscriber);
}

function removeFrom<K>(map: Map<K, Subscriber[]>, key: K, subscriber: Subscriber): void {
  const list = map.get(key);
  if (list === undefined) return;
  const at = list.indexOf(subscriber);
  if (at >= 0) list.splice(at, 1);
  if (list.length === 0) map.delete(key);
}
