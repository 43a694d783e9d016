// How long writing a read-model snapshot holds the event loop, on the serving benchmark's
// data (100,000 items, 50,000 users, 2,000,000 interactions): the engine's way (taken at
// once and detached, then encoded between turns) against encoding it all at once (how it
// worked before), alternating in the same run. A setImmediate loop measures the longest gap.
// Usage: node build/bench/snapshot-stall.js --data DIR [--rounds 3]
//   DIR: a data directory kept by `node build/bench/serving.js --data DIR` (no server on it).
import { pino } from 'pino';
import { loadConfig } from '../src/config/load.js';
import { encodeSnapshot } from '../src/core/projections/snapshot-codec.js';
import { openEngine } from '../src/roles/open-engine.js';
import { numberOption, textOption } from './options.js';

const data = textOption('data');
if (data === undefined) throw new Error('--data DIR is required (see the usage line)');
const rounds = numberOption('rounds', 3);

async function longestGap(work: () => Promise<void>): Promise<{ gapMs: number; wallMs: number }> {
  let last = performance.now();
  let gap = 0;
  let running = true;
  const tick = (): void => {
    const now = performance.now();
    gap = Math.max(gap, now - last);
    last = now;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  await new Promise((resolve) => setTimeout(resolve, 20));
  gap = 0;
  const started = performance.now();
  await work();
  running = false;
  return { gapMs: gap, wallMs: performance.now() - started };
}

const engine = openEngine(loadConfig({ env: { KINDRED_DATA_DIR: data } }), pino({ level: 'warn' }));
await engine.start({ follow: false });
console.log(`checkpoint ${engine.readModels.checkpoint}`);
console.log(
  '| round | all at once: longest gap | total | detached, in slices: longest gap | total |',
);
console.log('| ---: | ---: | ---: | ---: | ---: |');
for (let round = 1; round <= rounds; round++) {
  const atOnce = await longestGap(async () => {
    const bytes = encodeSnapshot(engine.readModels.snapshot());
    await engine.store.put('snapshots', 'read-models', bytes);
  });
  const sliced = await longestGap(() => engine.writeSnapshot());
  const ms = (value: number): string => `${Math.round(value)} ms`;
  console.log(
    `| ${round} | ${ms(atOnce.gapMs)} | ${ms(atOnce.wallMs)} | ${ms(sliced.gapMs)} | ${ms(sliced.wallMs)} |`,
  );
}
await engine.close({ snapshot: false });
