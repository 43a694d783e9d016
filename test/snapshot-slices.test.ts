// A snapshot is taken at one checkpoint and encoded between requests: writes applied while
// it is encoded are not in it, and a restart from it (plus the log after it) reaches the
// same state as the engine that kept running.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { Engine } from '../src/app/engine.js';
import { MemoryEventLog } from '../src/adapters/memory/memory-event-log.js';
import { MemoryStateStore } from '../src/adapters/memory/memory-state-store.js';
import { loadConfig } from '../src/config/load.js';
import { decodeSnapshot } from '../src/core/projections/snapshot-codec.js';

test('writes during a sliced snapshot stay out of it; restoring it and replaying the rest matches', async () => {
  const config = loadConfig({ env: {} });
  const logger = pino({ level: 'silent' });
  const log = new MemoryEventLog();
  const store = new MemoryStateStore();
  const engine = new Engine({ config, log, store, logger });
  await engine.start({ follow: true });
  const options = { source: 'test' };
  for (let batch = 0; batch < 4; batch++)
    await engine.writes.upsertItems(
      Array.from({ length: 5000 }, (_, i) => ({
        id: `i${batch * 5000 + i}`,
        title: `Item ${batch * 5000 + i} with a title long enough to make the state large`,
        categories: [`c${i % 20}`],
        attributes: { price: i % 100, year: 1990 + (i % 30) },
      })),
      options,
    );
  const interactions = (from: number, count: number) =>
    Array.from({ length: count }, (_, i) => ({
      type: 'click',
      userId: `u${(from + i) % 300}`,
      itemId: `i${((from + i) * 13) % 20_000}`,
    }));
  await engine.writes.recordInteractions(interactions(0, 3000), options);
  const takenAt = engine.readModels.checkpoint;
  const stateAtSnapshot = engine.readModels.checksum();

  let writesDuringEncoding = 0;
  let encoding = true;
  const writing = engine.writeSnapshot().finally(() => (encoding = false));
  for (let round = 0; encoding && round < 200; round++) {
    await engine.writes.recordInteractions(interactions(3000 + round * 50, 50), options);
    if (encoding) writesDuringEncoding++;
  }
  await writing;
  assert.ok(writesDuringEncoding > 0, 'writes were applied while the snapshot was encoded');

  const stored = await store.get('snapshots', 'read-models');
  assert.ok(stored);
  const snapshot = decodeSnapshot(stored);
  assert.equal(snapshot.checkpoint, takenAt, 'the snapshot is of the checkpoint it was taken at');
  assert.ok(engine.readModels.checkpoint > takenAt);

  const restarted = new Engine({ config, log, store, logger });
  await restarted.start({ follow: false });
  assert.equal(restarted.readModels.checkpoint, engine.readModels.checkpoint);
  assert.equal(restarted.readModels.checksum(), engine.readModels.checksum());
  assert.notEqual(restarted.readModels.checksum(), stateAtSnapshot);

  // And the snapshot alone is exactly the state it was taken at: over the log as it was
  // then, a restart restores it and has nothing to replay.
  const logThen = new MemoryEventLog();
  await logThen.append(await log.readAfter(0, takenAt));
  const atSnapshot = new Engine({ config, log: logThen, store, logger });
  await atSnapshot.start({ follow: false });
  assert.equal(atSnapshot.readModels.checkpoint, takenAt);
  assert.equal(atSnapshot.readModels.checksum(), stateAtSnapshot);
  await atSnapshot.close({ snapshot: false });
  await restarted.close({ snapshot: false });
  await engine.close({ snapshot: false });
});
