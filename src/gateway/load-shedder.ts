import { requestActivity } from '../app/request-activity.js';
import { POOLS, type Pool } from './route-policy.js';

export const POOL_INDEX: Readonly<Record<Pool, number>> = {
  read: 0,
  write: 1,
  bulk: 2,
  admin: 3,
  exempt: 4,
};
export const EXEMPT = POOL_INDEX.exempt;
const READ = POOL_INDEX.read;
const WRITE = POOL_INDEX.write;
const BULK = POOL_INDEX.bulk;
const ADMIN = POOL_INDEX.admin;

export const ADMITTED = 0;
export const SHED_POOL_FULL = 1;
export const SHED_QUEUE_DELAY = 2;
export type Admission = typeof ADMITTED | typeof SHED_POOL_FULL | typeof SHED_QUEUE_DELAY;

export interface LoadShedderOptions {
  /** In-flight limit of each pool (0: unlimited). `exempt` has none. */
  readonly limits: Readonly<Record<Exclude<Pool, 'exempt'>, number>>;
  /**
   * Most a read or an admin call may wait in the queue, in ms (0: the delay guard is off).
   * The target itself adapts below this ceiling (see `serviceFactor`).
   */
  readonly maxDelayMs: number;
  /**
   * Reads and admin calls may wait this many times their pool's typical service time (an
   * average over the last few dozen requests), at least `minDelayMs` (default 2).
   */
  readonly serviceFactor?: number;
  /** Floor of the adaptive target in ms (default 3): a few queued cheap requests are not an overload. */
  readonly minDelayMs?: number;
  /** Writes may wait this many times `maxDelayMs`, a fixed target (default 10). */
  readonly writeDelayFactor?: number;
  /** How long requests must keep running late before shedding starts (default 5 x maxDelayMs, at least 20 ms). */
  readonly graceMs?: number;
  /**
   * Closed-loop clients (each waits for its answer before it asks again) tolerated without
   * shedding, however long their requests take (default 16): they can queue at most one
   * request each, so a queue of this many or more is the proof of an overload.
   */
  readonly closedLoopClients?: number;
  /** Shedding pauses once this long without proof, to see whether the overload is over (default 8,000 ms; doubles while it is not, up to 8x). */
  readonly probeAfterMs?: number;
  readonly now?: () => number;
}

/** Two turns closer than this ran back to back: requests of the second waited through the first. */
const BACK_TO_BACK_MS = 0.5;
/**
 * A request counts as late only with at least this many others before it in its turn
 * (by pool): a client sending one request after another is not an overload however long
 * its requests take, nor are a few writers each waiting for their answer (batches are
 * long); an open-loop overload fills turns with dozens.
 */
const MIN_QUEUE = Int32Array.from([1, 4, 0, 1, 0]);
/** A bulk write still "being applied" after this long without news is assumed gone. */
const BULK_STALE_MS = 60_000;
/** Bulk writes give way while reads or writes were admitted this recently. */
const INTERACTIVE_WINDOW_MS = 1_000;

/**
 * Load shedding in front of every route: bounded concurrency per pool (bulkheads) and an
 * event-loop-delay guard.
 *
 * Why a delay guard, and why this one: in Node a request is read, run and answered in
 * one event-loop turn unless it awaits I/O, so under overload the queue is not in our
 * hands but in the sockets, and what grows is the number of requests read per turn and
 * the length of each turn. Requests read in the same turn were all waiting when it
 * began, so a request's wait is at least the time the turn has already spent on the
 * requests before it, plus, when the previous turn also served a queue (more than one
 * request, and the loop never idled in between), the length of that turn, but never
 * more than the time since its connection's previous answer (a keep-alive client that
 * waits for each answer sent this request after it). A request is late when that wait
 * exceeds its pool's target with at least MIN_QUEUE requests before it in the turn.
 *
 * The target of reads and admin calls adapts: twice their typical service time, between
 * 3 ms and `maxDelayMs`, so admitted requests keep a latency proportional to their own
 * cost whatever the route does. Writes get a fixed, larger target.
 *
 * Closed-loop clients cannot overload the server: each has at most one request waiting,
 * so a queue of n requests needs n clients, and shedding one of them only makes it ask
 * again at once. Their requests may wait long (behind a few slow cold requests, say),
 * but that wait is bounded by their number. So lateness counts towards shedding only
 * with proof of more than that: `closedLoopClients` or more requests waiting (read in
 * this turn ahead of it, or still in flight from earlier turns). An open-loop overload
 * gives that proof within milliseconds, since its queue grows without bound.
 *
 * Shedding is CoDel-like: it starts only once requests have kept running late for a grace
 * period (a burst, a one-off pause such as a snapshot, is absorbed) and the queue gives that
 * proof, then sheds
 * exactly the late requests, which keeps turns, and so the latency of admitted requests,
 * near the target; it stops once turns have been on time for a grace period. While it
 * sheds, bulk writes (which have no target: one batch is one long turn) are refused too
 * if reads or writes were admitted in the last second, so an import gives way to
 * interactive traffic, and the reads and writes its batches delayed are still served
 * rather than shed (until a turn runs on time again); alone, an import runs at full speed. A shed answer costs a few
 * microseconds, so the engine keeps its throughput for what it admits.
 *
 * While it sheds, the queue stays short, so the proof cannot be renewed: a few clients
 * that were shed and ask again at once look like the overload that started it. So
 * shedding pauses after `probeAfterMs` without proof: if the queue grows to the proof
 * again (an open loop still runs), shedding resumes at once and the next pause comes
 * twice as late; if it does not, closed-loop clients are served in full again.
 *
 * Per request the cost is a clock read, a few comparisons and, once per turn, one
 * `setImmediate`. Pauses outside requests (a snapshot) show in the event-loop-delay
 * metrics; they shed nothing by themselves.
 */
export class LoadShedder {
  private readonly inFlight = new Int32Array(POOLS.length);
  private readonly limits = new Int32Array(POOLS.length);
  /** Delay target per pool in ms now (0: none). */
  private readonly targets = new Float64Array(POOLS.length);
  private readonly ceilings = new Float64Array(POOLS.length);
  /** Average service time per pool in ms (exponentially weighted). */
  private readonly service = new Float64Array(POOLS.length);
  readonly shed = new Float64Array(POOLS.length * 3);
  private readonly guard: boolean;
  private readonly serviceFactor: number;
  private readonly floor: number;
  private readonly grace: number;
  private readonly closedLoopClients: number;
  private readonly probeAfter: number;
  private readonly now: () => number;

  private turnOpen = false;
  private turnStart = 0;
  private turnWait = 0;
  private turnRequests = 0;
  /** Requests admitted in earlier turns and not yet answered, when this turn opened. */
  private turnCarried = 0;
  private lateThisTurn = false;
  private provenThisTurn = false;
  /** When a queue of `closedLoopClients` or more last ran late (or shedding began). */
  private lastProofAt = -Infinity;
  /** Current pause interval of shedding without proof. */
  private probeInterval = 0;
  /** When shedding last paused for want of proof (-1: not in an episode). */
  private pausedAt = -1;
  private lastTurnEnd = -Infinity;
  private prevTurnLength = 0;
  private prevTurnRequests = 0;
  private lateSince = -1;
  private calmSince = -1;
  private pressure = false;
  private lastInteractiveAt = -Infinity;
  private lastBulkAt = -Infinity;
  private bulkWorking = 0;
  private bulkShadow = false;
  private readonly closeTurn = (): void => this.endTurn();
  /** When each connection got its latest answer. */
  private readonly answeredAt = new WeakMap<object, number>();
  /** Largest wait estimate seen since the last read (for the metrics). */
  private maxWaitSeen = 0;

  constructor(options: LoadShedderOptions) {
    this.limits[READ] = options.limits.read;
    this.limits[WRITE] = options.limits.write;
    this.limits[BULK] = options.limits.bulk;
    this.limits[ADMIN] = options.limits.admin;
    const ceiling = options.maxDelayMs;
    this.guard = ceiling > 0;
    this.serviceFactor = options.serviceFactor ?? 2;
    this.floor = Math.min(options.minDelayMs ?? 3, ceiling);
    this.ceilings[READ] = ceiling;
    this.ceilings[ADMIN] = ceiling;
    this.targets.set(this.ceilings);
    this.targets[WRITE] = ceiling * (options.writeDelayFactor ?? 10);
    for (const pool of [READ, ADMIN])
      this.service[pool] = this.serviceFactor > 0 ? ceiling / this.serviceFactor : 0;
    this.grace = options.graceMs ?? Math.max(20, 5 * ceiling);
    this.closedLoopClients = options.closedLoopClients ?? 16;
    this.probeAfter = options.probeAfterMs ?? 8000;
    this.probeInterval = this.probeAfter;
    this.now = options.now ?? (() => performance.now());
  }

  /**
   * Whether a request for `pool` may run now; when it may, it holds a slot until `complete`
   * or `release`. `connection` (its socket, say) lets the guard bound its wait by the time
   * since that connection's previous answer (see `answered`).
   */
  admit(pool: number, connection?: object): Admission {
    if (pool === EXEMPT) return ADMITTED;
    if (this.guard) {
      const now = this.now();
      if (!this.turnOpen) this.openTurn(now);
      const ahead = this.turnRequests++;
      const target = this.targets[pool] as number;
      if (target > 0) {
        let wait = this.turnWait + (now - this.turnStart);
        // A client that waits for each answer before it asks again has not waited through
        // the whole previous turn, only since its answer in it: without this bound, a
        // dozen such clients of cheap requests looked like a standing queue. An answer in
        // this very turn means the request was pipelined (already read): no bound then.
        const sentAfter = connection === undefined ? undefined : this.answeredAt.get(connection);
        if (sentAfter !== undefined && sentAfter < this.turnStart && now - sentAfter < wait)
          wait = now - sentAfter;
        if (wait > this.maxWaitSeen) this.maxWaitSeen = wait;
        if (wait > target && ahead >= (MIN_QUEUE[pool] as number)) {
          this.lateThisTurn = true;
          if (this.lateSince < 0) this.lateSince = now;
          if (ahead + this.turnCarried >= this.closedLoopClients) this.proven(now);
          // While an import runs, its batches are what makes requests late: it gives way
          // (below), and the requests it delayed are still served.
          if (this.pressure && !this.importing(now)) return this.refuse(pool, SHED_QUEUE_DELAY);
        }
        this.lastInteractiveAt = now;
      } else if (this.pressure && now - this.lastInteractiveAt < INTERACTIVE_WINDOW_MS) {
        return this.refuse(pool, SHED_QUEUE_DELAY);
      }
    }
    const limit = this.limits[pool] as number;
    if (limit > 0 && (this.inFlight[pool] as number) >= limit)
      return this.refuse(pool, SHED_POOL_FULL);
    this.inFlight[pool] = (this.inFlight[pool] as number) + 1;
    return ADMITTED;
  }

  /** A queue longer than closed-loop clients can form is running late. */
  private proven(now: number): void {
    this.provenThisTurn = true;
    this.lastProofAt = now;
    if (this.pressure) return;
    if (this.pausedAt >= 0) {
      // Shedding had paused to probe, and the queue came back: the overload goes on.
      this.pressure = true;
      this.calmSince = -1;
      this.probeInterval = Math.min(this.probeInterval * 2, this.probeAfter * 8);
      this.pausedAt = -1;
      return;
    }
    // Requests have run late for the grace period (a queue of any length; a burst or a
    // pause is absorbed), and now the queue proves more than closed-loop clients.
    if (now - this.lateSince >= this.grace) this.pressure = true;
  }

  /**
   * A bulk write's body is in and its work begins (it may span several turns): until it
   * ends, and shortly after, requests are late because of the import, not because of an
   * overload of their own.
   */
  bulkBegan(): void {
    this.bulkWorking++;
    this.lastBulkAt = this.now();
  }

  /**
   * The bulk write that began has done its work (its answer is being sent, or it failed).
   * The requests it held up are served until a turn runs on time again.
   */
  bulkEnded(): void {
    if (this.bulkWorking > 0) this.bulkWorking--;
    this.lastBulkAt = this.now();
    this.bulkShadow = true;
  }

  /**
   * A bulk write is being applied, or the queue it built up is still draining (no turn
   * has run on time since it ended). A count that was never brought back, should a
   * request vanish without any of its end hooks, stops counting after BULK_STALE_MS.
   */
  private importing(now: number): boolean {
    return this.bulkShadow || (this.bulkWorking > 0 && now - this.lastBulkAt < BULK_STALE_MS);
  }

  /** An answer (any: admitted, shed, refused) was written on `connection`. */
  answered(connection: object): void {
    if (this.guard) this.answeredAt.set(connection, this.now());
  }

  /** Gives back a slot (a request that ended without an answer, e.g. aborted). */
  release(pool: number): void {
    if (pool === EXEMPT) return;
    this.inFlight[pool] = (this.inFlight[pool] as number) - 1;
  }

  /**
   * Gives back the slot of a request that took `serviceMs` from admission to its answer
   * (its own work, not the queue), and lets the pool's target follow its service time.
   */
  complete(pool: number, serviceMs: number): void {
    if (pool === EXEMPT) return;
    this.release(pool);
    if ((pool !== READ && pool !== ADMIN) || this.serviceFactor <= 0 || !(serviceMs >= 0)) return;
    const average =
      (this.service[pool] as number) + (serviceMs - (this.service[pool] as number)) / 32;
    this.service[pool] = average;
    this.targets[pool] = Math.min(
      this.ceilings[pool] as number,
      Math.max(this.floor, this.serviceFactor * average),
    );
  }

  inFlightOf(pool: Pool): number {
    return this.inFlight[POOL_INDEX[pool]] as number;
  }

  /** The current queueing-delay target of a pool in ms (0: none). */
  targetOf(pool: Pool): number {
    return this.targets[POOL_INDEX[pool]] as number;
  }

  shedCount(pool: Pool, reason: 'pool' | 'delay'): number {
    return this.shed[
      POOL_INDEX[pool] * 3 + (reason === 'pool' ? SHED_POOL_FULL : SHED_QUEUE_DELAY)
    ] as number;
  }

  /** True while the delay guard sheds. */
  get shedding(): boolean {
    return this.pressure;
  }

  /** The largest wait estimate since the previous call, in milliseconds. */
  takeMaxWait(): number {
    const value = this.maxWaitSeen;
    this.maxWaitSeen = 0;
    return value;
  }

  /** Seconds a shed client should wait before retrying. */
  retryAfterSeconds(): number {
    return this.pressure ? 2 : 1;
  }

  close(): void {
    // Nothing to release: the guard keeps no timers.
  }

  private refuse(pool: number, reason: Admission): Admission {
    this.shed[pool * 3 + reason] = (this.shed[pool * 3 + reason] as number) + 1;
    return reason;
  }

  private openTurn(now: number): void {
    // A loop that sat idle for a grace period has no queue left: the overload is over,
    // though no on-time turn ran to say so (without this, the first requests after a
    // quiet spell were shed for the overload before it).
    if (this.pressure && now - this.lastTurnEnd >= this.grace) this.endEpisode();
    this.turnOpen = true;
    this.turnStart = now;
    requestActivity.mark();
    this.turnCarried =
      (this.inFlight[READ] as number) +
      (this.inFlight[WRITE] as number) +
      (this.inFlight[BULK] as number) +
      (this.inFlight[ADMIN] as number);
    this.turnWait =
      this.prevTurnRequests > 1 && now - this.lastTurnEnd < BACK_TO_BACK_MS
        ? this.prevTurnLength
        : 0;
    setImmediate(this.closeTurn);
  }

  private endTurn(): void {
    const end = this.now();
    this.turnOpen = false;
    this.prevTurnLength = end - this.turnStart;
    this.prevTurnRequests = this.turnRequests;
    this.turnRequests = 0;
    this.lastTurnEnd = end;
    this.provenThisTurn = false;
    if (this.pressure && end - this.lastProofAt >= this.probeInterval) {
      // No proof for a while: pause, and see whether the queue comes back.
      this.pressure = false;
      this.calmSince = -1;
      this.pausedAt = end;
    } else if (this.pausedAt >= 0 && end - this.pausedAt >= this.probeInterval) {
      this.endEpisode();
    }
    if (this.lateThisTurn) {
      this.lateThisTurn = false;
      this.calmSince = -1;
      return;
    }
    this.lateSince = -1;
    this.bulkShadow = false;
    if (this.pressure) {
      if (this.calmSince < 0) this.calmSince = end;
      else if (end - this.calmSince >= this.grace) this.endEpisode();
    }
  }

  /** The overload is over: the next one starts from scratch (grace, first pause). */
  private endEpisode(): void {
    this.pressure = false;
    this.calmSince = -1;
    this.lateSince = -1;
    this.pausedAt = -1;
    this.probeInterval = this.probeAfter;
  }
}
