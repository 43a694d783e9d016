// How long a large state-store write (a read-model snapshot, a model artifact) holds the
// event loop: the SQLite store's put, which hands values of LARGE_VALUE_BYTES or more to a
// writer thread, against the same upsert run on the event loop (how every put worked
// before), in the same run, on fresh files. A 1 ms interval measures the longest gap.
// Usage: node build/bench/state-store-large-put.js [--megabytes 92] [--rounds 3]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { SqliteStateStore } from '../src/adapters/sqlite/sqlite-state-store.js';

const { values } = parseArgs({
  options: {
    megabytes: { type: 'string', default: '92' },
    rounds: { type: 'string', default: '3' },
  },
});
const bytes = new Uint8Array(Number(values.megabytes) * 2 ** 20);
for (let i = 0; i < bytes.length; i += 4096) bytes[i] = i & 255;

async function longestGap(work: () => Promise<void>): Promise<{ wallMs: number; gapMs: number }> {
  let last = performance.now();
  let gap = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    gap = Math.max(gap, now - last);
    last = now;
  }, 1);
  const started = performance.now();
  await work();
  const wallMs = performance.now() - started;
  clearInterval(timer);
  // The interval cannot fire during a synchronous write: then the write itself is the gap.
  return { wallMs, gapMs: Math.max(gap, performance.now() - last) };
}

const dir = mkdtempSync(join(tmpdir(), 'kindred-large-put-'));
try {
  const store = new SqliteStateStore({ path: join(dir, 'worker.db') });
  const onLoop = new SqliteStateStore({ path: join(dir, 'loop.db') });
  await onLoop.put('warm', 'up', Uint8Array.from([1]));
  await onLoop.close();
  const direct = new Database(join(dir, 'loop.db'));
  direct.pragma('synchronous = FULL');
  const upsert = direct.prepare(
    'INSERT OR REPLACE INTO state_values (namespace, key, value) VALUES (?, ?, ?)',
  );
  console.log(
    `| round | put, writer thread: longest gap / until durable | same upsert on the event loop: gap |`,
  );
  console.log('| ---: | ---: | ---: |');
  for (let round = 1; round <= Number(values.rounds); round++) {
    const worker = await longestGap(() => store.put('snapshots', 'read-models', bytes));
    const loop = await longestGap(async () => {
      upsert.run('snapshots', 'read-models', bytes);
    });
    console.log(
      `| ${round} | ${worker.gapMs.toFixed(1)} ms / ${worker.wallMs.toFixed(0)} ms | ${loop.gapMs.toFixed(0)} ms |`,
    );
  }
  direct.close();
  await store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
