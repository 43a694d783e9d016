import { telemetry } from '../observability/metrics.js';
import { requestActivity } from './request-activity.js';

/**
 * Work per slice before the event loop gets a turn: a request that arrives meanwhile
 * waits no longer than this (plus one step) behind background work.
 */
const SLICE_MS = 2;

/**
 * Runs a generator's steps a few milliseconds at a time, giving the event loop a turn
 * between slices (requests keep being served while a long job, such as encoding a
 * snapshot or building an index, goes on); resolves with its result, or with undefined
 * once `keepGoing` turns false (checked before every slice); rejects if a step throws.
 */
export function runInSlices<T>(
  steps: Generator<void, T, void>,
  options: {
    sliceMs?: number;
    keepGoing?: () => boolean;
    task?: string;
    /**
     * Optional work (lists ranked ahead): a slice runs only once no requests arrived for
     * this many ms, so it never takes turns with traffic. Default 0: take turns.
     */
    quietMs?: number;
  } = {},
): Promise<T | undefined> {
  const sliceMs = options.sliceMs ?? SLICE_MS;
  const keepGoing = options.keepGoing ?? (() => true);
  const work = telemetry.background(options.task ?? 'other');
  work.started();
  return new Promise<T | undefined>((resolve, reject) => {
    const quietMs = options.quietMs ?? 0;
    const slice = (): void => {
      if (quietMs > 0 && !requestActivity.quietFor(quietMs) && keepGoing()) {
        setTimeout(slice, quietMs);
        return;
      }
      const began = performance.now();
      try {
        if (!keepGoing()) return resolve(undefined);
        const until = began + sliceMs;
        let step = steps.next();
        while (step.done !== true && performance.now() < until) step = steps.next();
        if (step.done === true) resolve(step.value);
        else setImmediate(slice);
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      } finally {
        work.slice((performance.now() - began) / 1000);
      }
    };
    setImmediate(slice);
  }).finally(() => work.ended());
}
