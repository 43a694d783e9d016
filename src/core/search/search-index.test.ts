import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { InteractionTypes } from '../domain/interaction.js';
import { EventTypes } from '../events/event-types.js';
import { Catalog } from '../projections/catalog.js';
import { ReadModels } from '../projections/read-models.js';
import { decodeSnapshot, encodeSnapshot } from '../projections/snapshot-codec.js';
import { SearchIndex } from './search-index.js';
import { SearchFixture } from '../../../test/support/search-fixture.js';

function checksumOf(index: SearchIndex): string {
  const hash = createHash('sha256');
  index.checksum(hash);
  return hash.digest('hex');
}

test('an upserted item is searchable at once; a replaced one loses its old words at once', () => {
  const f = new SearchFixture();
  f.upsert({ id: 'a', title: 'Wooden chair' });
  assert.deepEqual(f.ids('wooden'), ['a']);
  f.upsert({ id: 'a', title: 'Metal stool' });
  assert.deepEqual(f.ids('wooden '), []);
  assert.deepEqual(f.ids('metal'), ['a']);
  f.patch('a', { title: 'Plastic stool' });
  assert.deepEqual(f.ids('metal '), []);
  assert.deepEqual(f.ids('plastic'), ['a']);
});

test('a deleted item vanishes at once, before and after compaction', () => {
  const f = new SearchFixture({}, [
    { id: 'a', title: 'Wooden chair' },
    { id: 'b', title: 'Wooden table' },
  ]);
  f.search.compact();
  f.delete('a');
  assert.deepEqual(f.ids('wooden'), ['b']);
  f.upsert({ id: 'b', title: 'Glass table' });
  assert.deepEqual(f.ids('wooden '), [], 'a replaced document is skipped in the compacted segment');
  assert.deepEqual(f.ids('glass'), ['b']);
  f.search.compact();
  assert.deepEqual(f.ids('wooden '), []);
  assert.deepEqual(f.ids('glass'), ['b']);
  assert.equal(f.search.size, 1);
  f.upsert({ id: 'a', title: 'Wooden chair, again' });
  assert.deepEqual(f.ids('wooden'), ['a']);
});

test('document frequencies follow replacements, so scores do too', () => {
  const a = new SearchFixture({}, [
    { id: 'x', title: 'common rare' },
    { id: 'y', title: 'common' },
  ]);
  a.upsert({ id: 'y', title: 'other' });
  const b = new SearchFixture({}, [
    { id: 'x', title: 'common rare' },
    { id: 'y', title: 'other' },
  ]);
  assert.equal(
    a.search.search('common ').hits[0]?.score,
    b.search.search('common ').hits[0]?.score,
  );
});

test('heavy churn keeps results exact through automatic compactions', () => {
  const f = new SearchFixture();
  const rounds = ['first', 'second', 'third'];
  for (const round of rounds) {
    for (let i = 0; i < 2000; i++) {
      f.upsert({
        id: `p${i}`,
        title: `item ${i} ${round}`,
        text: {
          description: 'alpha beta gamma delta epsilon zeta eta theta iota kappa '.repeat(4),
        },
      });
    }
  }
  assert.equal(f.search.search('third ').total, 2000);
  assert.equal(f.search.search('first ').total, 0);
  assert.equal(f.search.search('kappa ').total, 2000);
});

test('items known only from interactions are not indexed', () => {
  const catalog = new Catalog();
  const search = new SearchIndex(catalog);
  const event = {
    offset: 1,
    id: 'e1',
    type: EventTypes.interactionRecorded.type,
    version: 1,
    occurredAt: 1,
    receivedAt: 1,
    partitionKey: 'u1',
    payload: { userId: 'u1', itemId: 'ghost', type: 'view' },
    metadata: {},
  };
  catalog.apply(event);
  search.apply(event);
  assert.equal(search.size, 0);
  assert.equal(search.search('').total, 0);
});

test('attribute-only patches keep the text index as it was', () => {
  const f = new SearchFixture({ sortableAttributes: ['price'] }, [
    { id: 'a', title: 'Desk', attributes: { price: 10 } },
    { id: 'b', title: 'Desk lamp', attributes: { price: 20 } },
  ]);
  const before = checksumOf(f.search);
  f.patch('a', { attributes: { price: 30 } });
  assert.notEqual(checksumOf(f.search), before);
  assert.deepEqual(f.ids('desk', { sort: { attribute: 'price', order: 'desc' } }), ['a', 'b']);
});

function workload(f: SearchFixture): void {
  for (let i = 0; i < 300; i++) {
    f.upsert({
      id: `i${i}`,
      title: `Item ${i} ${['red', 'green', 'blue'][i % 3]} ${['chair', 'table', 'lamp', 'sofa'][i % 4]}`,
      text: {
        description: `number ${i} in a series`,
        ...(i % 2 ? { brand: `brand${i % 7}` } : {}),
      },
      categories: [`c${i % 5}`],
      tags: i % 10 === 0 ? ['sale'] : [],
      attributes: { price: i, brand: `brand${i % 7}` },
      hidden: i % 50 === 0,
    });
  }
  f.search.compact();
  for (let i = 0; i < 40; i++) f.patch(`i${i * 3}`, { title: `Renamed ${i} armchair` });
  for (let i = 0; i < 20; i++) f.delete(`i${i * 7}`);
}

const probes = ['red chair', 'armchair', 'renamd', 'lam', 'brand3', 'series', ''];
const probeOptions = { facets: ['categories', 'brand'], limit: 50 };

test('snapshot then restore gives the same state and the same answers', () => {
  const config = { facetAttributes: ['brand'], sortableAttributes: ['price'] };
  const f = new SearchFixture(config);
  workload(f);
  const state = f.search.snapshot();
  // Through the binary codec, as the engine stores it.
  const decoded = decodeSnapshot(
    encodeSnapshot({ checkpoint: 1, fingerprint: 'x', states: { search: state } }),
  );
  const restored = new SearchIndex(f.catalog, config);
  restored.restore(decoded.states.search as typeof state);
  assert.equal(checksumOf(restored), checksumOf(f.search));
  for (const query of probes)
    assert.deepEqual(
      restored.search(query, probeOptions),
      f.search.search(query, probeOptions),
      query,
    );
  assert.deepEqual(restored.suggest('re'), f.search.suggest('re'));
  // Both go on identically.
  f.upsert({ id: 'new', title: 'Red chair deluxe' });
  const events = f.events.slice(-1);
  for (const event of events) restored.apply(event);
  assert.equal(checksumOf(restored), checksumOf(f.search));
  assert.deepEqual(
    restored.search('red chair', probeOptions),
    f.search.search('red chair', probeOptions),
  );
});

test('the checksum does not depend on when compaction ran', () => {
  const a = new SearchFixture();
  workload(a);
  const b = new SearchFixture();
  for (const event of a.events) {
    b.catalog.apply(event);
    b.search.apply(event);
    if (event.offset % 37 === 0) b.search.compact();
  }
  assert.equal(checksumOf(a.search), checksumOf(b.search));
});

test('a snapshot made with other indexed fields is rebuilt from the catalog', () => {
  const f = new SearchFixture();
  workload(f);
  const state = f.search.snapshot();
  const other = new SearchIndex(f.catalog, { weights: { text: 0 } });
  other.restore(state);
  assert.equal(other.search('series ').total, 0);
  assert.equal(other.search('armchair').total, f.search.search('armchair').total);
});

test('as a registered read model: fed by ReadModels, snapshotted and restored with them', () => {
  const types = new InteractionTypes();
  const models = new ReadModels(types);
  const search = new SearchIndex(models.catalog);
  models.register(search);
  const f = new SearchFixture();
  workload(f);
  models.apply(f.events);
  assert.equal(checksumOf(search), checksumOf(f.search));
  const contents = decodeSnapshot(encodeSnapshot(models.snapshot()));
  const again = new ReadModels(types);
  const restored = new SearchIndex(again.catalog);
  again.register(restored);
  assert.ok(again.restore(contents));
  assert.equal(again.checksum(), models.checksum());
  assert.deepEqual(restored.search('red chair'), search.search('red chair'));
});

test('a snapshot is exported once while the index is unchanged, and later events do not reach it', () => {
  const config = { facetAttributes: ['brand'], sortableAttributes: ['price'] };
  const f = new SearchFixture(config);
  workload(f);
  const first = f.search.snapshot();
  const bytes = encodeSnapshot({ checkpoint: 1, fingerprint: 'x', states: { search: first } });
  assert.equal(f.search.snapshot(), first, 'no item event since: the same export');

  f.upsert({ id: 'late', title: 'Late green sofa', attributes: { brand: 'Novel', price: 3 } });
  f.delete('i3');
  f.patch('i4', { title: 'Renamed sofa' });
  assert.deepEqual(
    encodeSnapshot({ checkpoint: 1, fingerprint: 'x', states: { search: first } }),
    bytes,
    'the export is a copy',
  );
  const second = f.search.snapshot();
  assert.notEqual(second, first);
  const restored = new SearchIndex(f.catalog, config);
  restored.restore(
    decodeSnapshot(encodeSnapshot({ checkpoint: 2, fingerprint: 'x', states: { search: second } }))
      .states.search as typeof second,
  );
  assert.equal(checksumOf(restored), checksumOf(f.search));
  assert.deepEqual(restored.search('sofa', probeOptions), f.search.search('sofa', probeOptions));
});

test('an index restored from a snapshot gives that state to the next snapshot without exporting', () => {
  const f = new SearchFixture();
  workload(f);
  const bytes = encodeSnapshot({
    checkpoint: 1,
    fingerprint: 'x',
    states: { search: f.search.snapshot() },
  });
  const restored = new SearchIndex(f.catalog);
  restored.restore(decodeSnapshot(bytes).states.search!);
  let exports = 0;
  const index = (restored as unknown as { state: { index: { exportState: () => unknown } } }).state
    .index;
  const exportState = index.exportState.bind(index);
  index.exportState = () => (exports++, exportState());
  const again = restored.snapshot();
  assert.equal(exports, 0);
  assert.deepEqual(
    encodeSnapshot({ checkpoint: 1, fingerprint: 'x', states: { search: again } }),
    bytes,
  );
  f.upsert({ id: 'late', title: 'Late lamp' });
  restored.apply(f.events.at(-1)!);
  restored.snapshot();
  assert.equal(exports, 1);
});
