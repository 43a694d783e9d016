import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventIdIndex, fingerprintOf, type Fingerprint } from './event-id-index.js';

const fingerprint = (id: string): Fingerprint => fingerprintOf(id, { high: 0, low: 0 });

test('fingerprints are stable and spread', () => {
  assert.deepEqual(fingerprint('event-1'), fingerprint('event-1'));
  const seen = new Set<string>();
  for (let i = 0; i < 100_000; i++) {
    const { high, low } = fingerprint(`event-${i}`);
    seen.add(`${high}:${low}`);
  }
  assert.equal(seen.size, 100_000);
  // A fixed value: the log stores fingerprints, so they may never change.
  assert.deepEqual(fingerprint('abc'), { high: 482950588, low: 391254682 });
  assert.deepEqual(fingerprint('Xy3-_9aB7cD2eF4gH6iJ8k'), { high: 3351491327, low: 1010066643 });
});

test('entries are found through growth; equal fingerprints are all offered to the caller', () => {
  const index = new EventIdIndex();
  index.reserve(50_000);
  for (let offset = 1; offset <= 50_000; offset++) index.add(fingerprint(`e${offset}`), offset);
  index.commit();
  assert.equal(index.entries, 50_000);
  for (const offset of [1, 777, 50_000])
    assert.equal(
      index.find(fingerprint(`e${offset}`), () => true),
      offset,
    );
  assert.equal(
    index.find(fingerprint('absent'), () => true),
    0,
  );
  // Two events with one fingerprint: the caller tells which one it means.
  const shared = fingerprint('e5');
  index.reserve(1);
  index.add(shared, 50_001);
  index.commit();
  const offered: number[] = [];
  const found = index.find(shared, (offset) => {
    offered.push(offset);
    return offset === 50_001;
  });
  assert.equal(found, 50_001);
  assert.deepEqual(offered, [5, 50_001]);
});

test('rollBack removes exactly what was added since the last commit', () => {
  const index = new EventIdIndex();
  index.reserve(1_000);
  for (let offset = 1; offset <= 1_000; offset++) index.add(fingerprint(`k${offset}`), offset);
  index.commit();
  index.reserve(2_000);
  for (let offset = 1_001; offset <= 3_000; offset++) index.add(fingerprint(`k${offset}`), offset);
  index.rollBack();
  assert.equal(index.entries, 1_000);
  for (let offset = 1; offset <= 3_000; offset++) {
    const expected = offset <= 1_000 ? offset : 0;
    assert.equal(
      index.find(fingerprint(`k${offset}`), () => true),
      expected,
    );
  }
});
