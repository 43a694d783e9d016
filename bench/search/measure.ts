import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** `gc()` even without --expose-gc, so heap figures compare settled heaps. */
export const collectGarbage: () => void = (() => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

export function heapUsed(): number {
  collectGarbage();
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

export interface LatencySummary {
  readonly p50: number;
  readonly p99: number;
  /** Queries measured (fewer than given when the time budget ran out). */
  readonly count: number;
}

export interface LatencyProtocol {
  /** Runs over the same queries; each query's latency is its median over the passes. */
  readonly passes: number;
  /** Wall-clock allowance for all passes of one workload. */
  readonly budgetMs: number;
}

/**
 * Milliseconds per query. After a short warm-up, the first pass runs as many queries as
 * fit in its share of the budget (at least 10), the other passes run those again while
 * the budget lasts, and each query counts with its median time over its runs: a single descheduling of the process on
 * a shared machine then does not land in the tail, while a query that is slow every
 * time does. p50 and p99 are taken over those per-query medians.
 */
export async function measureLatency<T>(
  inputs: readonly string[],
  run: (input: string) => T | Promise<T>,
  protocol: LatencyProtocol,
): Promise<LatencySummary> {
  const time = async (input: string): Promise<number> => {
    const started = performance.now();
    const result = run(input);
    if (result instanceof Promise) await result;
    return performance.now() - started;
  };
  const started = performance.now();
  const deadline = started + protocol.budgetMs;
  for (
    let i = 0;
    i < Math.min(20, inputs.length) && performance.now() < started + protocol.budgetMs * 0.05;
    i++
  )
    await time(inputs[i] as string);
  const samples: number[][] = [];
  const firstPassEnd = performance.now() + protocol.budgetMs / protocol.passes;
  for (let i = 0; i < inputs.length && (i < 10 || performance.now() < firstPassEnd); i++)
    samples.push([await time(inputs[i] as string)]);
  // Further passes while the budget lasts; a query keeps the median of the runs it got.
  for (let pass = 1; pass < protocol.passes; pass++) {
    for (let i = 0; i < samples.length; i++) {
      if (performance.now() > deadline) break;
      (samples[i] as number[]).push(await time(inputs[i] as string));
    }
  }
  const medians = Float64Array.from(samples, (times) => {
    const sorted = [...times].sort((a, b) => a - b);
    return sorted[(sorted.length - 1) >> 1] as number;
  }).sort();
  const at = (q: number): number =>
    medians[Math.min(medians.length - 1, Math.ceil(q * medians.length) - 1)] ?? NaN;
  return { p50: at(0.5), p99: at(0.99), count: medians.length };
}

export function formatMs(ms: number): string {
  return ms < 1 ? ms.toFixed(3) : ms < 10 ? ms.toFixed(2) : ms.toFixed(1);
}

export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
  return [
    line(header),
    `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`,
    ...rows.map(line),
  ].join('\n');
}
