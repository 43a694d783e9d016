// The short variant of bench/overload.ts (method in test/support/overload.ts): at twice
// the measured capacity the admitted requests keep their latency, the rest are refused
// with 429/503, memory stays bounded and the engine is back to normal quickly; imports
// give way to reads. Loopback only, a few seconds each.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpus, loadavg } from 'node:os';
import { runBulkhead, runOverload, type OverloadReport } from './support/overload.js';

const SECONDS = Number(process.env['KINDRED_OVERLOAD_SECONDS'] ?? 8);

test(
  `2x capacity for ${SECONDS} s: admitted p99 within 3x unloaded, the rest refused, bounded, recovers`,
  { timeout: 180_000 },
  async (t) => {
    const run = (): Promise<OverloadReport> =>
      runOverload({
        work: 1000,
        overloadSeconds: SECONDS,
        capacitySeconds: 2,
        unloadedSeconds: 3,
        recoverySeconds: 6,
        log: (line) => t.diagnostic(line),
      });
    const timely = (r: OverloadReport): boolean =>
      r.overload.p99Ratio <= 3 && r.recovery.backToNormalMs <= 5000;
    // Latency on a shared machine is at the mercy of its other processes: up to two more
    // tries (one scheduler hiccup in the 8 s moves a 2 ms p99 by a third; an overload that
    // is not contained fails every try).
    let report = await run();
    for (let attempt = 2; attempt <= 3 && !timely(report); attempt++) report = await run();
    const o = report.overload;
    assert.equal(o.other, 0, 'every answer is a 2xx, a 429 or a 503');
    assert.equal(o.dropped, 0, 'the client kept up');
    assert.ok(o.shed > 0.1 * o.sent, `shed ${o.shed} of ${o.sent}`);
    assert.ok(o.rssMaxMb - o.rssStartMb < 100, `RSS ${o.rssStartMb} -> ${o.rssMaxMb} MB`);
    assert.ok(
      o.rssSecondHalfGrowthMb < 50,
      `RSS grew ${o.rssSecondHalfGrowthMb} MB in the second half`,
    );
    const load = loadavg()[0] ?? 0;
    const timing =
      `admitted p99 ${o.p99} ms is ${o.p99Ratio}x the unloaded ${report.unloaded.p99} ms; ` +
      `back to normal after ${report.recovery.backToNormalMs} ms`;
    if (!timely(report) && load > 1.5 * cpus().length)
      t.diagnostic(
        `not asserted: other processes keep this machine busy (load ${load.toFixed(1)}); ${timing}`,
      );
    else {
      assert.ok(o.p99Ratio <= 3, timing);
      assert.ok(report.recovery.backToNormalMs <= 5000, timing);
    }
  },
);

test('imports give way to reads (bulkheads)', { timeout: 60_000 }, async (t) => {
  const report = await runBulkhead({ work: 1000, seconds: 6, log: (line) => t.diagnostic(line) });
  const reads = report.readsDuringImport;
  const imports = report.imports;
  assert.ok(reads.ok >= 0.9 * reads.sent, `${reads.ok} of ${reads.sent} reads served`);
  assert.ok(imports.ok > 0, 'the import still progresses');
  assert.ok(imports.shed > 0, 'imports were refused while reads were served');
});
