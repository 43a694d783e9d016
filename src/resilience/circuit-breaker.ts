export type BreakerState = 'closed' | 'open' | 'half-open';

/** Raised without calling the dependency while the breaker is open. */
export class CircuitOpenError extends Error {
  override name = 'CircuitOpenError';

  constructor(
    readonly breaker: string,
    /** When the breaker will let a trial call through. */
    readonly retryAfterMs: number,
  ) {
    super(`circuit "${breaker}" is open; not calling it for ${Math.ceil(retryAfterMs)} ms`);
  }
}

export interface CircuitBreakerOptions {
  /** Named in errors and state-change callbacks (e.g. `redis`, `postgres`). */
  readonly name?: string;
  /** Share of failed calls in the window that opens the breaker (default 0.5). */
  readonly failureRatio?: number;
  /** Calls the window must hold before the ratio counts (default 10). */
  readonly minimumCalls?: number;
  /** How many recent calls the window keeps (default 20). */
  readonly windowSize?: number;
  /** How long the breaker stays open before trying again (default 10 s). */
  readonly openMs?: number;
  /** Trial calls let through when half-open; that many successes close it (default 1). */
  readonly halfOpenCalls?: number;
  /** A call slower than this counts as failed, even if it succeeds (0: off, the default). */
  readonly slowCallMs?: number;
  /** Which errors count as the dependency failing (default: all). A 4xx-like error should not. */
  readonly isFailure?: (error: unknown) => boolean;
  readonly onStateChange?: (from: BreakerState, to: BreakerState, name: string) => void;
  readonly now?: () => number;
}

/**
 * A circuit breaker: while a dependency keeps failing, calls fail fast instead of piling
 * up behind timeouts, and the dependency gets room to recover.
 *
 * Closed: calls go through; outcomes fill a sliding window of the last `windowSize`
 * calls, and once it holds `minimumCalls` with a failure share of `failureRatio` or more
 * the breaker opens. Open: calls are refused with CircuitOpenError for `openMs`. Then
 * half-open: `halfOpenCalls` trial calls go through (others are refused); a failure
 * opens it again, that many successes close it with an empty window.
 */
export class CircuitBreaker {
  readonly name: string;
  private stateValue: BreakerState = 'closed';
  private readonly outcomes: Uint8Array;
  private cursor = 0;
  private recorded = 0;
  private failures = 0;
  private openedAt = 0;
  private trialsInFlight = 0;
  private trialSuccesses = 0;
  private readonly options: Required<
    Omit<CircuitBreakerOptions, 'onStateChange' | 'name' | 'isFailure' | 'now'>
  >;
  private readonly isFailure: (error: unknown) => boolean;
  private readonly now: () => number;

  constructor(private readonly config: CircuitBreakerOptions = {}) {
    this.name = config.name ?? 'dependency';
    this.options = {
      failureRatio: config.failureRatio ?? 0.5,
      minimumCalls: config.minimumCalls ?? 10,
      windowSize: config.windowSize ?? 20,
      openMs: config.openMs ?? 10_000,
      halfOpenCalls: config.halfOpenCalls ?? 1,
      slowCallMs: config.slowCallMs ?? 0,
    };
    if (this.options.minimumCalls > this.options.windowSize)
      throw new RangeError('minimumCalls cannot exceed windowSize');
    this.outcomes = new Uint8Array(this.options.windowSize);
    this.isFailure = config.isFailure ?? (() => true);
    this.now = config.now ?? (() => performance.now());
  }

  get state(): BreakerState {
    if (this.stateValue === 'open' && this.now() - this.openedAt >= this.options.openMs)
      this.transition('half-open');
    return this.stateValue;
  }

  /** Counts in the current window. */
  stats(): { state: BreakerState; calls: number; failures: number } {
    return { state: this.state, calls: this.recorded, failures: this.failures };
  }

  /** Runs `fn` through the breaker. */
  async execute<T>(fn: () => Promise<T>): Promise<T> {
    const state = this.state;
    let trial = false;
    if (state === 'open') {
      throw new CircuitOpenError(this.name, this.options.openMs - (this.now() - this.openedAt));
    }
    if (state === 'half-open') {
      if (this.trialsInFlight >= this.options.halfOpenCalls)
        throw new CircuitOpenError(this.name, this.options.openMs);
      this.trialsInFlight++;
      trial = true;
    }
    const started = this.now();
    try {
      const value = await fn();
      const slow = this.options.slowCallMs > 0 && this.now() - started > this.options.slowCallMs;
      this.settle(trial, !slow);
      return value;
    } catch (error) {
      this.settle(trial, !this.isFailure(error));
      throw error;
    }
  }

  /** Forces the breaker closed with an empty window (an operator's reset). */
  reset(): void {
    this.clearWindow();
    this.trialsInFlight = 0;
    this.trialSuccesses = 0;
    this.transition('closed');
  }

  private settle(trial: boolean, ok: boolean): void {
    if (trial) {
      this.trialsInFlight--;
      if (this.stateValue !== 'half-open') return;
      if (!ok) {
        this.open();
        return;
      }
      if (++this.trialSuccesses >= this.options.halfOpenCalls) {
        this.clearWindow();
        this.transition('closed');
      }
      return;
    }
    if (this.stateValue !== 'closed') return;
    this.record(ok);
    if (
      this.recorded >= this.options.minimumCalls &&
      this.failures / this.recorded >= this.options.failureRatio
    )
      this.open();
  }

  private record(ok: boolean): void {
    const size = this.options.windowSize;
    if (this.recorded === size) this.failures -= this.outcomes[this.cursor] as number;
    else this.recorded++;
    const failed = ok ? 0 : 1;
    this.outcomes[this.cursor] = failed;
    this.failures += failed;
    this.cursor = (this.cursor + 1) % size;
  }

  private open(): void {
    this.openedAt = this.now();
    this.trialSuccesses = 0;
    this.transition('open');
  }

  private clearWindow(): void {
    this.outcomes.fill(0);
    this.cursor = 0;
    this.recorded = 0;
    this.failures = 0;
  }

  private transition(to: BreakerState): void {
    const from = this.stateValue;
    if (from === to) return;
    this.stateValue = to;
    if (to === 'half-open') this.trialSuccesses = 0;
    this.config.onStateChange?.(from, to, this.name);
  }
}
