import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fuseRankings, RRF_K } from './search-fusion.js';

test('reciprocal rank fusion adds 1 / (60 + rank) over the lists holding a document', () => {
  const fused = fuseRankings([
    { name: 'text', docs: [1, 2, 3] },
    { name: 'content', docs: [3, 1] },
  ]);
  assert.deepEqual(
    fused.map((entry) => entry.doc),
    [1, 3, 2],
  );
  const [first, second, third] = fused;
  assert.equal(first!.score, 1 / (RRF_K + 1) + 1 / (RRF_K + 2));
  assert.deepEqual(first!.ranks, { text: 1, content: 2 });
  assert.equal(second!.score, 1 / (RRF_K + 3) + 1 / (RRF_K + 1));
  assert.deepEqual(third!.ranks, { text: 2, content: null });
  assert.equal(third!.score, 1 / (RRF_K + 2));
});

test('a document found by two lists beats one ranked first by a single list', () => {
  const fused = fuseRankings([
    { name: 'a', docs: [7, 8] },
    { name: 'b', docs: [9, 8] },
  ]);
  assert.equal(fused[0]!.doc, 8);
  assert.equal(fused.length, 3);
});

test('a document repeated in one list counts at its best rank only', () => {
  const fused = fuseRankings([{ name: 'a', docs: [4, 4, 5] }]);
  assert.equal(fused[0]!.score, 1 / (RRF_K + 1));
  assert.equal(fused[1]!.doc, 5);
});
