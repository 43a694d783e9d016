import { sleep as defaultSleep } from './timeout.js';

export type Jitter = 'full' | 'equal' | 'none';

export interface RetryOptions {
  /** Attempts in all, the first included (default 3). */
  readonly attempts?: number;
  /** Delay before the first retry, before jitter (default 100 ms); it doubles each time. */
  readonly baseDelayMs?: number;
  /** Largest delay (default 5 s). */
  readonly maxDelayMs?: number;
  /**
   * `full` (default): a random delay in [0, d] (AWS "full jitter": spreads retries the
   * most, so a crowd of clients does not retry in step); `equal`: d/2 + random(d/2);
   * `none`: exactly d.
   */
  readonly jitter?: Jitter;
  /** Whether this failure is worth another attempt (default: any error but an abort). */
  readonly retryOn?: (error: unknown, attempt: number) => boolean;
  /** Stops retrying (and waiting) when aborted. */
  readonly signal?: AbortSignal;
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  /** Tests: a seeded random and a fake sleep. */
  readonly random?: () => number;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** An error may say how long to wait (a 429/503 with Retry-After): `retryAfterMs`. */
export interface RetryAfterHint {
  readonly retryAfterMs?: number;
}

/** The delay before retry number `retry` (1 for the first retry). */
export function backoffDelay(
  retry: number,
  options: Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs' | 'jitter' | 'random'> = {},
): number {
  const base = options.baseDelayMs ?? 100;
  const max = options.maxDelayMs ?? 5_000;
  const ceiling = Math.min(max, base * 2 ** (retry - 1));
  const random = options.random ?? Math.random;
  switch (options.jitter ?? 'full') {
    case 'none':
      return ceiling;
    case 'equal':
      return ceiling / 2 + random() * (ceiling / 2);
    case 'full':
      return random() * ceiling;
  }
}

function isAbort(error: unknown): boolean {
  return (
    error instanceof Error && (error.name === 'AbortError' || error.name === 'CircuitOpenError')
  );
}

/**
 * Calls `fn` until it succeeds, a failure is not worth retrying, or the attempts run out;
 * waits an exponentially growing, jittered delay between attempts. The last error is
 * thrown. Only retry operations that are safe to repeat (reads, idempotent writes).
 */
export async function retry<T>(
  fn: (attempt: number, signal?: AbortSignal) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const attempts = Math.max(1, options.attempts ?? 3);
  const retryOn = options.retryOn ?? ((error: unknown) => !isAbort(error));
  const sleep = options.sleep ?? defaultSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt, options.signal);
    } catch (error) {
      if (attempt >= attempts || options.signal?.aborted || !retryOn(error, attempt)) throw error;
      let delay = backoffDelay(attempt, options);
      const hint = (error as RetryAfterHint | null)?.retryAfterMs;
      if (typeof hint === 'number' && Number.isFinite(hint) && hint > delay)
        delay = Math.min(hint, options.maxDelayMs ?? 5_000);
      options.onRetry?.(error, attempt, delay);
      await sleep(delay, options.signal);
    }
  }
}
