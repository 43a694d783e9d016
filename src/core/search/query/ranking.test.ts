import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SearchFixture } from '../../../../test/support/search-fixture.js';

const lampItems = [
  { id: 'in-text', title: 'Reading light', text: { description: 'A desk lamp for late nights' } },
  { id: 'in-categories', title: 'Shade', categories: ['Lamp parts'] },
  { id: 'in-title', title: 'Lamp stand' },
];

test('BM25F field weights order matches: title, then categories, then text', () => {
  const f = new SearchFixture({}, lampItems);
  assert.deepEqual(f.ids('lamp '), ['in-title', 'in-categories', 'in-text']);
});

test('field weights are configurable, per text field too', () => {
  const f = new SearchFixture(
    { weights: { title: 1, textFields: { description: 10 } } },
    lampItems,
  );
  assert.equal(f.ids('lamp ')[0], 'in-text');
  const off = new SearchFixture({ weights: { text: 0 } }, lampItems);
  assert.deepEqual(off.ids('lamp ').sort(), ['in-categories', 'in-title']);
});

test('query words next to each other in the same order rank first', () => {
  const f = new SearchFixture({}, [
    { id: 'apart', title: 'Red house with a big barn' },
    { id: 'reversed', title: 'Red big house with a barn' },
    { id: 'phrase', title: 'House with a big red barn' },
  ]);
  assert.deepEqual(f.ids('big red '), ['phrase', 'reversed', 'apart']);
});

test('a title equal to the query ranks first', () => {
  const f = new SearchFixture({}, [
    { id: 'sequel', title: 'Alien Resurrection', text: { description: 'Alien, alien, alien.' } },
    { id: 'versus', title: 'Alien vs. Predator' },
    { id: 'exact', title: 'Alien' },
  ]);
  assert.equal(f.ids('alien')[0], 'exact');
  assert.equal(f.ids('alien resurrection')[0], 'sequel');
});

test('the boost hook blends a per-document score into relevance', () => {
  const f = new SearchFixture({}, [
    { id: 'relevant', title: 'Garden hose' },
    { id: 'popular', title: 'Garden hose reel with wall mount' },
  ]);
  assert.deepEqual(f.ids('garden hose '), ['relevant', 'popular']);
  const popular = f.doc('popular');
  const boosted = f.search.search('garden hose ', {
    boost: (doc, text) => text * (doc === popular ? 3 : 1),
  });
  assert.deepEqual(
    boosted.hits.map((h) => h.doc),
    [popular, f.doc('relevant')],
  );
  assert.ok((boosted.hits[0]?.score ?? 0) > (boosted.hits[1]?.score ?? 0));
});
