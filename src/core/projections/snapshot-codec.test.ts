import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  type SnapshotContents,
  decodeSnapshot,
  detachSnapshot,
  encodeSnapshot,
  encodeSnapshotInSlices,
} from './snapshot-codec.js';

function contents(): SnapshotContents {
  const items = Array.from({ length: 7001 }, (_, i) => ({
    id: `i${i}`,
    title: i % 3 === 0 ? `emoji 🎉 ${i} “quoted” \\ \n` : `Item ${i}`,
    attributes: { price: i / 7, missing: undefined, flags: [true, null, i] },
  }));
  return {
    checkpoint: 42,
    fingerprint: 'f-ü',
    states: {
      catalog: { json: { ids: items.map((item) => item.id), items }, arrays: {} },
      counters: {
        json: { nested: { list: [1, 2, 3], deeper: { terms: ['a', 'b'] } }, gone: undefined },
        arrays: {
          counts: Uint32Array.from({ length: 1001 }, (_, i) => i * 3),
          odd: Uint8Array.from([1, 2, 3]),
          scores: Float32Array.from([0.5, -1, 3.25]),
          times: Float64Array.from([1e300, -0]),
          offsets: Int32Array.from({ length: 3_000_001 }, (_, i) => i - 5),
        },
      },
    },
  };
}

test('the sliced encoding writes the header JSON.stringify would, and decodes to the same state', () => {
  const original = contents();
  const steps = encodeSnapshotInSlices(original);
  let slices = 0;
  let step = steps.next();
  while (step.done !== true) {
    slices++;
    step = steps.next();
  }
  const bytes = step.value;
  assert.ok(slices >= 5, `it yields between slices (${slices})`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerText = new TextDecoder().decode(bytes.subarray(12, 12 + view.getUint32(8)));
  const header = JSON.parse(headerText) as { descriptors: unknown };
  const json = Object.fromEntries(
    Object.entries(original.states).map(([name, state]) => [name, state.json]),
  );
  assert.equal(
    headerText,
    JSON.stringify({
      checkpoint: original.checkpoint,
      fingerprint: original.fingerprint,
      json,
      descriptors: header.descriptors,
    }),
  );
  const decoded = decodeSnapshot(bytes);
  assert.equal(decoded.checkpoint, 42);
  assert.deepEqual(decoded.states['catalog']?.json, JSON.parse(JSON.stringify(json['catalog'])));
  for (const [name, array] of Object.entries(original.states['counters']!.arrays))
    assert.deepEqual(decoded.states['counters']?.arrays[name], array, name);
  assert.deepEqual(encodeSnapshot(original), bytes, 'the same bytes every time, padding included');
});

test('a detached snapshot keeps the state it was taken at while the originals change', () => {
  const original = contents();
  const expected = encodeSnapshot(original);
  const detached = detachSnapshot(original);
  const catalog = original.states['catalog']!.json as {
    ids: string[];
    items: { id: string }[];
  };
  catalog.ids.push('late');
  catalog.items[5] = { id: 'replaced' };
  catalog.items.push({ id: 'late' });
  const counters = original.states['counters']!;
  (counters.json as { nested: { list: number[]; deeper: { terms: string[] } } }).nested.list.push(
    4,
  );
  (counters.json as { nested: { deeper: { terms: string[] } } }).nested.deeper.terms[0] = 'z';
  (counters.arrays['counts'] as Uint32Array)[7] = 999_999;
  (counters.arrays['offsets'] as Int32Array).fill(0);
  assert.deepEqual(encodeSnapshot(detached), expected);
});
