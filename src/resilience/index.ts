import { CircuitBreaker } from './circuit-breaker.js';
import { retry, type RetryOptions } from './retry.js';
import { withTimeout } from './timeout.js';

export { CircuitBreaker, CircuitOpenError, type BreakerState } from './circuit-breaker.js';
export type { CircuitBreakerOptions } from './circuit-breaker.js';
export { retry, backoffDelay, type RetryOptions, type Jitter } from './retry.js';
export { withTimeout, sleep, TimeoutError } from './timeout.js';

export interface ResilienceOptions {
  /** Deadline of each attempt. */
  readonly timeoutMs: number;
  /** Retries around the breaker; omit for a single attempt. */
  readonly retry?: RetryOptions;
  /** Shared by every call to the same dependency. */
  readonly breaker?: CircuitBreaker;
  /** Named in timeout errors. */
  readonly operation?: string;
}

/**
 * The usual stack around a call to an outside dependency (a cluster adapter's call to
 * PostgreSQL, Redis, NATS): each attempt has a deadline, attempts go through the
 * dependency's breaker (so an open breaker fails fast and is not retried), and failed
 * attempts are retried with jittered backoff.
 */
export function resilientCall<T>(
  fn: (signal: AbortSignal) => Promise<T>,
  options: ResilienceOptions,
): Promise<T> {
  const attempt = (): Promise<T> => {
    const timed = (): Promise<T> =>
      withTimeout(fn, options.timeoutMs, {
        ...(options.operation === undefined ? {} : { operation: options.operation }),
        ...(options.retry?.signal === undefined ? {} : { signal: options.retry.signal }),
      });
    return options.breaker ? options.breaker.execute(timed) : timed();
  };
  return options.retry ? retry(attempt, options.retry) : attempt();
}
