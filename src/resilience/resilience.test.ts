import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CircuitBreaker,
  CircuitOpenError,
  TimeoutError,
  backoffDelay,
  resilientCall,
  retry,
  withTimeout,
  type BreakerState,
} from './index.js';

const fail = (message = 'down'): Promise<never> => Promise.reject(new Error(message));

describe('withTimeout', () => {
  test('passes a value through, and times out slow calls, aborting their signal', async () => {
    assert.equal(await withTimeout(async () => 42, 100), 42);
    let aborted: unknown;
    await assert.rejects(
      withTimeout(
        (signal) =>
          new Promise((resolve) => {
            signal.addEventListener('abort', () => (aborted = signal.reason));
            setTimeout(resolve, 1000).unref();
          }),
        20,
        { operation: 'redis GET' },
      ),
      (error: unknown) =>
        error instanceof TimeoutError && error.timeoutMs === 20 && /redis GET/.test(error.message),
    );
    assert.ok(aborted instanceof TimeoutError);
  });

  test('rejects with the failure, and with the caller abort', async () => {
    await assert.rejects(
      withTimeout(() => fail('boom'), 100),
      /boom/,
    );
    const controller = new AbortController();
    const pending = withTimeout(() => new Promise(() => undefined), 10_000, {
      signal: controller.signal,
    });
    controller.abort(new Error('caller gave up'));
    await assert.rejects(pending, /caller gave up/);
  });
});

describe('retry', () => {
  test('full jitter stays within the exponential ceiling; none is exact', () => {
    for (let retryNumber = 1; retryNumber <= 10; retryNumber++) {
      const ceiling = Math.min(1000, 50 * 2 ** (retryNumber - 1));
      assert.equal(
        backoffDelay(retryNumber, { baseDelayMs: 50, maxDelayMs: 1000, jitter: 'none' }),
        ceiling,
      );
      for (const r of [0, 0.5, 0.999]) {
        const full = backoffDelay(retryNumber, {
          baseDelayMs: 50,
          maxDelayMs: 1000,
          random: () => r,
        });
        assert.ok(full >= 0 && full <= ceiling);
        const equal = backoffDelay(retryNumber, {
          baseDelayMs: 50,
          maxDelayMs: 1000,
          jitter: 'equal',
          random: () => r,
        });
        assert.ok(equal >= ceiling / 2 && equal <= ceiling);
      }
    }
  });

  test('retries until success, waiting the backoff between attempts', async () => {
    const waits: number[] = [];
    let calls = 0;
    const value = await retry(
      async (attempt) => {
        calls++;
        if (attempt < 3) throw new Error(`attempt ${attempt}`);
        return 'ok';
      },
      { attempts: 5, baseDelayMs: 10, jitter: 'none', sleep: async (ms) => void waits.push(ms) },
    );
    assert.equal(value, 'ok');
    assert.equal(calls, 3);
    assert.deepEqual(waits, [10, 20]);
  });

  test('gives up after the attempts, or at once when the error is not retryable', async () => {
    let calls = 0;
    await assert.rejects(
      retry(() => (calls++, fail('still down')), { attempts: 4, sleep: async () => undefined }),
      /still down/,
    );
    assert.equal(calls, 4);
    calls = 0;
    await assert.rejects(
      retry(() => (calls++, fail('bad request')), {
        attempts: 4,
        retryOn: (error) => !/bad request/.test((error as Error).message),
        sleep: async () => undefined,
      }),
    );
    assert.equal(calls, 1);
  });

  test('honours a Retry-After hint and stops when aborted', async () => {
    const waits: number[] = [];
    const hinted = Object.assign(new Error('429'), { retryAfterMs: 700 });
    let calls = 0;
    await retry(
      async () => {
        if (calls++ === 0) throw hinted;
        return 1;
      },
      { baseDelayMs: 10, sleep: async (ms) => void waits.push(ms), random: () => 0.5 },
    );
    assert.deepEqual(waits, [700]);
    const controller = new AbortController();
    const pending = retry(() => fail(), {
      attempts: 10,
      baseDelayMs: 10_000,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(new Error('shutting down')), 10);
    await assert.rejects(pending, /shutting down/);
  });
});

describe('CircuitBreaker', () => {
  function breaker(overrides: Partial<ConstructorParameters<typeof CircuitBreaker>[0]> = {}) {
    const clock = { t: 0 };
    const changes: string[] = [];
    const b = new CircuitBreaker({
      name: 'redis',
      minimumCalls: 4,
      windowSize: 10,
      failureRatio: 0.5,
      openMs: 1000,
      now: () => clock.t,
      onStateChange: (from: BreakerState, to: BreakerState) => changes.push(`${from}->${to}`),
      ...overrides,
    });
    return { b, clock, changes };
  }

  test('opens at the failure ratio once the window holds the minimum, then fails fast', async () => {
    const { b, changes } = breaker();
    await b.execute(async () => 1);
    await assert.rejects(b.execute(() => fail()));
    await b.execute(async () => 1);
    assert.equal(b.state, 'closed', '1 of 3 failed, below the minimum anyway');
    await assert.rejects(b.execute(() => fail()));
    assert.equal(b.state, 'open', '2 of 4 failed');
    let called = false;
    await assert.rejects(
      b.execute(async () => (called = true)),
      (error: unknown) => error instanceof CircuitOpenError && error.retryAfterMs === 1000,
    );
    assert.equal(called, false);
    assert.deepEqual(changes, ['closed->open']);
  });

  test('half-open after openMs: a success closes it, a failure opens it again', async () => {
    const { b, clock, changes } = breaker();
    for (let i = 0; i < 4; i++) await assert.rejects(b.execute(() => fail()));
    assert.equal(b.state, 'open');
    clock.t += 1000;
    assert.equal(b.state, 'half-open');
    await assert.rejects(b.execute(() => fail()));
    assert.equal(b.state, 'open');
    clock.t += 1000;
    // Only one trial at a time.
    let release!: () => void;
    const trial = b.execute(() => new Promise<void>((resolve) => (release = resolve)));
    await assert.rejects(
      b.execute(async () => 1),
      CircuitOpenError,
    );
    release();
    await trial;
    assert.equal(b.state, 'closed');
    assert.deepEqual(b.stats(), { state: 'closed', calls: 0, failures: 0 });
    assert.deepEqual(changes, [
      'closed->open',
      'open->half-open',
      'half-open->open',
      'open->half-open',
      'half-open->closed',
    ]);
  });

  test('the window slides; slow calls and only real failures count', async () => {
    const { b, clock } = breaker({
      slowCallMs: 100,
      isFailure: (e) => !/not found/.test((e as Error).message),
    });
    for (let i = 0; i < 20; i++) await assert.rejects(b.execute(() => fail('not found')));
    assert.equal(b.state, 'closed', 'a caller error is not the dependency failing');
    for (let i = 0; i < 10; i++) await b.execute(async () => 1);
    await b.execute(async () => {
      clock.t += 150;
    });
    assert.deepEqual(b.stats(), { state: 'closed', calls: 10, failures: 1 });
    for (let i = 0; i < 4; i++)
      await b.execute(async () => {
        clock.t += 150;
      });
    assert.equal(b.state, 'open', '5 slow of the last 10');
    b.reset();
    assert.equal(b.state, 'closed');
  });
});

test('resilientCall: timeout per attempt, breaker, retries', async () => {
  const b = new CircuitBreaker({ minimumCalls: 2, windowSize: 2, openMs: 60_000 });
  let calls = 0;
  await assert.rejects(
    resilientCall(
      () => {
        calls++;
        return new Promise(() => undefined);
      },
      {
        timeoutMs: 10,
        breaker: b,
        retry: { attempts: 5, baseDelayMs: 1 },
        operation: 'nats publish',
      },
    ),
    CircuitOpenError,
  );
  assert.equal(
    calls,
    2,
    'two timeouts open the breaker; the third attempt fails fast and is not retried',
  );
  assert.equal(await resilientCall(async () => 'fine', { timeoutMs: 50 }), 'fine');
});
