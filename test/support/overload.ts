// The overload scenarios shared by bench/overload.ts and test/overload.test.ts. The server
// is the staged recommendation route (four traced stages of CPU work, `work` microseconds
// per request) behind the full gateway with a master key, in a child process with default
// settings, driven over loopback by open-loop load from this process:
//
//   1. capacity: the most 2xx answers per second of closed loops with 2, 4 and 8 clients
//      and of open-loop load at 1.5x the best of those;
//   2. unloaded latency: open loop at 10% of capacity;
//   3. overload: open loop at 2x capacity; the admitted (2xx) answers must keep p99
//      within 3x the unloaded p99, the rest must be 429/503, server RSS must stay bounded;
//   4. recovery: open loop at 50% of capacity right after; the time until every 250 ms
//      window is served in full again (at least 95% of its requests answered 2xx).
//
// The bulkhead scenario: bulk imports (batches of events over the bulk threshold) from
// several clients at once while recommendations are read at 30% of capacity.
import { readFileSync } from 'node:fs';
import {
  LoadClient,
  summarize,
  type LoadRequest,
  type RunResult,
  type Sample,
} from './load-generator.js';
import { startStagedServer } from './staged-server.js';

export const MASTER_KEY = 'overload-master-key-0123456789';
const HEADERS = { authorization: `Bearer ${MASTER_KEY}` };

export interface OverloadOptions {
  /** Microseconds of CPU work per request. */
  readonly work: number;
  readonly overloadSeconds: number;
  readonly capacitySeconds: number;
  readonly unloadedSeconds: number;
  readonly recoverySeconds: number;
  /** Extra KINDRED_* settings for the server (none: defaults). */
  readonly env?: Readonly<Record<string, string>>;
  readonly log?: (line: string) => void;
}

export interface OverloadReport {
  readonly work: number;
  readonly env: Readonly<Record<string, string>>;
  readonly capacity: number;
  readonly unloaded: { rate: number; p50: number; p99: number };
  readonly overload: {
    rate: number;
    seconds: number;
    sent: number;
    admitted: number;
    shed: number;
    other: number;
    dropped: number;
    admittedPerSecond: number;
    p50: number;
    p99: number;
    max: number;
    p99Ratio: number;
    rssStartMb: number;
    rssMaxMb: number;
    rssEndMb: number;
    rssSecondHalfGrowthMb: number;
  };
  readonly recovery: {
    rate: number;
    backToNormalMs: number;
    shedAfter5s: number;
    p99: number;
  };
}

export function rssMb(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

export const round = (value: number, digits = 2): number => Number(value.toFixed(digits));

const stagedRequest =
  (work: number) =>
  (index: number): LoadRequest => ({
    method: 'GET',
    path: `/v1/test/recommendations/user-${index % 100}?work=${work}`,
    headers: HEADERS,
  });

/** Time from the start of `run` until every later `windowMs` window is served in full again. */
function backToNormalMs(run: RunResult, seconds: number, windowMs = 250): number {
  const windows = new Map<number, Sample[]>();
  for (const sample of run.samples) {
    const w = Math.floor(sample.at / windowMs);
    let list = windows.get(w);
    if (!list) windows.set(w, (list = []));
    list.push(sample);
  }
  const count = Math.floor((seconds * 1000) / windowMs);
  const served = (w: number): boolean => {
    const list = windows.get(w) ?? [];
    const ok = list.filter((s) => s.status >= 200 && s.status < 300).length;
    return list.length > 0 && ok >= 0.95 * list.length;
  };
  let first = count;
  for (let w = count - 1; w >= 0 && served(w); w--) first = w;
  return first * windowMs;
}

export async function runOverload(options: OverloadOptions): Promise<OverloadReport> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const env = { KINDRED_MASTER_KEY: MASTER_KEY, KINDRED_LOG_LEVEL: 'warn', ...options.env };
  const server = await startStagedServer(env);
  const pid = server.child.pid ?? -1;
  const client = new LoadClient(server.url, 1024);
  const make = stagedRequest(options.work);
  try {
    await client.closedLoop(make, 4, 1500); // warm-up (JIT)
    let capacity = 0;
    for (const clients of [2, 4, 8]) {
      const run = await client.closedLoop(make, clients, options.capacitySeconds * 1000);
      const summary = summarize(run.samples, run.durationMs / 1000);
      log(`capacity with ${clients} clients: ${round(summary.okPerSecond, 0)} req/s`);
      capacity = Math.max(capacity, summary.okPerSecond);
    }
    // A closed loop leaves the server idle while the client turns around (and here they
    // share the machine), so also probe with open-loop load at 1.5x that: its 2xx rate,
    // if higher, is the capacity.
    await client.warm(256);
    const probe = await client.openLoop(make, capacity * 1.5, options.capacitySeconds * 1000, 4096);
    const probed = summarize(probe.samples, probe.durationMs / 1000).okPerSecond;
    log(
      `capacity probe, open loop at ${round(capacity * 1.5, 0)} req/s: ${round(probed, 0)} req/s served`,
    );
    capacity = Math.max(capacity, probed);
    const unloadedRate = Math.max(20, capacity * 0.1);
    const unloadedRun = await client.openLoop(make, unloadedRate, options.unloadedSeconds * 1000);
    const unloaded = summarize(unloadedRun.samples, unloadedRun.durationMs / 1000);
    log(
      `unloaded at ${round(unloadedRate, 0)} req/s: p50 ${round(unloaded.p50)} ms, p99 ${round(unloaded.p99)} ms`,
    );

    // Connections are pooled by real clients and load balancers: open them before the run.
    await client.warm(256);
    const overloadRate = capacity * 2;
    const rss: number[] = [rssMb(pid)];
    const sampler = setInterval(() => rss.push(rssMb(pid)), 1000);
    const overloadRun = await client.openLoop(
      make,
      overloadRate,
      options.overloadSeconds * 1000,
      4096,
    );
    clearInterval(sampler);
    rss.push(rssMb(pid));
    const over = summarize(overloadRun.samples, overloadRun.durationMs / 1000);
    const half = Math.floor(rss.length / 2);
    const secondHalfGrowth = Math.max(...rss.slice(half)) - (rss[half] ?? NaN);
    log(
      `overload at ${round(overloadRate, 0)} req/s for ${options.overloadSeconds} s: admitted ${over.ok} ` +
        `(${round(over.okPerSecond, 0)}/s), shed ${over.shed}, other ${over.other}, not sent ${overloadRun.dropped}; ` +
        `admitted p50 ${round(over.p50)} ms, p99 ${round(over.p99)} ms (${round(over.p99 / unloaded.p99)}x unloaded), ` +
        `max ${round(over.max)} ms; RSS ${round(rss[0] ?? NaN, 0)} -> max ${round(Math.max(...rss), 0)} MB`,
    );

    const recoveryRate = capacity * 0.5;
    const recoveryRun = await client.openLoop(make, recoveryRate, options.recoverySeconds * 1000);
    const after5 = recoveryRun.samples.filter((s) => s.at >= 5000);
    const recovery = {
      rate: round(recoveryRate, 0),
      backToNormalMs: backToNormalMs(recoveryRun, options.recoverySeconds),
      shedAfter5s: after5.filter((s) => s.status === 429 || s.status === 503).length,
      p99: round(summarize(recoveryRun.samples, recoveryRun.durationMs / 1000).p99),
    };
    log(
      `recovery at ${recovery.rate} req/s: every 250 ms window served in full (>= 95% 2xx) from ` +
        `${recovery.backToNormalMs} ms after the overload; p99 ${recovery.p99} ms`,
    );
    return {
      work: options.work,
      env: options.env ?? {},
      capacity: round(capacity, 0),
      unloaded: {
        rate: round(unloadedRate, 0),
        p50: round(unloaded.p50),
        p99: round(unloaded.p99),
      },
      overload: {
        rate: round(overloadRate, 0),
        seconds: options.overloadSeconds,
        sent: over.count,
        admitted: over.ok,
        shed: over.shed,
        other: over.other,
        dropped: overloadRun.dropped,
        admittedPerSecond: round(over.okPerSecond, 0),
        p50: round(over.p50),
        p99: round(over.p99),
        max: round(over.max),
        p99Ratio: round(over.p99 / unloaded.p99),
        rssStartMb: round(rss[0] ?? NaN, 0),
        rssMaxMb: round(Math.max(...rss), 0),
        rssEndMb: round(rss[rss.length - 1] ?? NaN, 0),
        rssSecondHalfGrowthMb: round(secondHalfGrowth, 1),
      },
      recovery,
    };
  } finally {
    client.close();
    await server.stop();
  }
}

export interface BulkheadOptions {
  readonly work: number;
  readonly seconds: number;
  /** Events per import batch (the default makes a body well over the 256 KiB bulk threshold). */
  readonly batch?: number;
  readonly importers?: number;
  readonly env?: Readonly<Record<string, string>>;
  readonly log?: (line: string) => void;
}

export interface BulkheadReport {
  readonly readRate: number;
  readonly readsAlone: { p50: number; p99: number };
  readonly readsDuringImport: { sent: number; ok: number; shed: number; p50: number; p99: number };
  readonly imports: { requests: number; ok: number; shed: number; eventsPerSecond: number };
}

/** Imports from several clients at once while recommendations are read at 30% of capacity. */
export async function runBulkhead(options: BulkheadOptions): Promise<BulkheadReport> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const env = { KINDRED_MASTER_KEY: MASTER_KEY, KINDRED_LOG_LEVEL: 'warn', ...options.env };
  const server = await startStagedServer(env);
  const readers = new LoadClient(server.url, 512);
  const importers = new LoadClient(server.url, 64);
  const make = stagedRequest(options.work);
  const batch = options.batch ?? 3000;
  try {
    await readers.closedLoop(make, 4, 1500);
    const capacity = summarize((await readers.closedLoop(make, 3, 2000)).samples, 2).okPerSecond;
    const readRate = capacity * 0.3;
    await readers.warm(64);
    const alone = summarize(
      (await readers.openLoop(make, readRate, options.seconds * 500)).samples,
      options.seconds / 2,
    );
    let sequence = 0;
    const importRequest = (): LoadRequest => {
      const start = sequence;
      sequence += batch;
      const events = Array.from({ length: batch }, (_, i) => ({
        id: `import-${start + i}`,
        type: 'view',
        userId: `importer-user-${(start + i) % 5000}`,
        itemId: `item-${(start + i) % 20_000}`,
        context: {
          scenario: 'bulk-import-benchmark',
          sessionId: `session-${(start + i) % 977}-${'x'.repeat(24)}`,
        },
      }));
      return {
        method: 'POST',
        path: '/v1/events',
        headers: HEADERS,
        body: Buffer.from(JSON.stringify({ events })),
      };
    };
    const importRun = importers.closedLoop(
      () => importRequest(),
      options.importers ?? 6,
      options.seconds * 1000,
      true,
    );
    const readRun = await readers.openLoop(make, readRate, options.seconds * 1000);
    const imports = await importRun;
    const during = summarize(readRun.samples, readRun.durationMs / 1000);
    const importSummary = summarize(imports.samples, imports.durationMs / 1000);
    const report: BulkheadReport = {
      readRate: round(readRate, 0),
      readsAlone: { p50: round(alone.p50), p99: round(alone.p99) },
      readsDuringImport: {
        sent: during.count,
        ok: during.ok,
        shed: during.shed,
        p50: round(during.p50),
        p99: round(during.p99),
      },
      imports: {
        requests: importSummary.count,
        ok: importSummary.ok,
        shed: importSummary.shed,
        eventsPerSecond: round((importSummary.ok * batch) / (imports.durationMs / 1000), 0),
      },
    };
    log(
      `bulkhead: reads at ${report.readRate}/s alone p99 ${report.readsAlone.p99} ms; during ${options.importers ?? 6} ` +
        `importers (${batch}-event batches): ${during.ok}/${during.count} served, ${during.shed} shed, ` +
        `p50 ${report.readsDuringImport.p50} ms, p99 ${report.readsDuringImport.p99} ms; imports ${importSummary.ok} ok, ` +
        `${importSummary.shed} shed (503), ${report.imports.eventsPerSecond} events/s`,
    );
    return report;
  } finally {
    readers.close();
    importers.close();
    await server.stop();
  }
}
