import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SearchFixture } from '../../../../test/support/search-fixture.js';

function movies(): SearchFixture {
  return new SearchFixture({}, [
    { id: 'wars', title: 'Star Wars' },
    { id: 'wars-2', title: 'Star Wars: The Empire Strikes Back' },
    { id: 'trek', title: 'Star Trek' },
    { id: 'starship', title: 'Starship Troopers' },
    { id: 'stardust', title: 'Stardust' },
    { id: 'secret', title: 'Stargate secret cut', hidden: true },
    { id: 'war', title: 'War of the Worlds' },
  ]);
}

test('query suggestions complete the last word with the most frequent title words', () => {
  const f = movies();
  const { queries } = f.search.suggest('sta');
  assert.deepEqual(queries[0], { text: 'star', count: 3 });
  assert.deepEqual(
    queries.map((q) => q.text).sort(),
    ['star', 'stardust', 'starship', 'strikes'].filter((t) => t.startsWith('sta')).sort(),
    'hidden titles contribute nothing',
  );
});

test('earlier words narrow the completions to titles containing them', () => {
  const f = movies();
  assert.deepEqual(f.search.suggest('star w').queries, [{ text: 'star wars', count: 2 }]);
  // Stop words are not offered as completions.
  assert.deepEqual(
    f.search.suggest('star t').queries.map((q) => q.text),
    ['star trek'],
  );
  // A misspelt earlier word is corrected in the suggestion.
  assert.deepEqual(f.search.suggest('starr w').queries[0], { text: 'star wars', count: 2 });
  assert.deepEqual(f.search.suggest('star ').queries, [], 'nothing to complete after a space');
});

test('item completions: titles matching what is typed, last word as a prefix', () => {
  const f = movies();
  const items = f.search.suggest('star tr').items.map((hit) => f.catalog.ids.idOf(hit.doc));
  assert.deepEqual(items, ['trek']);
  const many = f.search.suggest('star', { items: 2 }).items;
  assert.equal(many.length, 2);
  assert.deepEqual(many[0]?.highlights.title, [[0, 4]]);
  assert.deepEqual(f.search.suggest('star', { items: 0 }).items, []);
});
