/** Raised when an operation did not finish in time; `operation` names what timed out. */
export class TimeoutError extends Error {
  override name = 'TimeoutError';

  constructor(
    readonly timeoutMs: number,
    readonly operation = 'operation',
  ) {
    super(`${operation} timed out after ${timeoutMs} ms`);
  }
}

export interface TimeoutOptions {
  /** Aborts too when this signal does (a caller's own cancellation). */
  readonly signal?: AbortSignal;
  /** Named in the TimeoutError message. */
  readonly operation?: string;
}

/**
 * Runs `fn` with a deadline. `fn` receives an AbortSignal that fires at the deadline (or
 * when the caller's signal does); an operation that honours it (fetch, a driver query)
 * stops its work, and whichever way it ends the promise settles by the deadline.
 */
export function withTimeout<T>(
  fn: (signal: AbortSignal) => Promise<T>,
  timeoutMs: number,
  options: TimeoutOptions = {},
): Promise<T> {
  const outer = options.signal;
  if (outer?.aborted) return Promise.reject(outer.reason as Error);
  const controller = new AbortController();
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const finish = (): void => {
      settled = true;
      clearTimeout(timer);
      outer?.removeEventListener('abort', onOuterAbort);
    };
    const timer = setTimeout(() => {
      if (settled) return;
      const error = new TimeoutError(timeoutMs, options.operation);
      finish();
      controller.abort(error);
      reject(error);
    }, timeoutMs);
    const onOuterAbort = (): void => {
      if (settled) return;
      finish();
      controller.abort(outer?.reason);
      reject(outer?.reason as Error);
    };
    outer?.addEventListener('abort', onOuterAbort, { once: true });
    let pending: Promise<T>;
    try {
      pending = fn(controller.signal);
    } catch (error) {
      finish();
      reject(error as Error);
      return;
    }
    pending.then(
      (value) => {
        if (settled) return;
        finish();
        resolve(value);
      },
      (error: unknown) => {
        if (settled) return;
        finish();
        reject(error as Error);
      },
    );
  });
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason as Error);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
