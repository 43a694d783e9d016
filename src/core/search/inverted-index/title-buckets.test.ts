import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SearchFixture } from '../../../../test/support/search-fixture.js';
import type { TitleBuckets } from './title-buckets.js';

function bucketsOf(f: SearchFixture): TitleBuckets {
  return Reflect.get(f.search, 'titleBuckets') as TitleBuckets;
}

/**
 * The current entries of a word, as `length:id` strings (`length×occurrences:id` for titles
 * holding it more than once).
 */
function entries(f: SearchFixture, word: string): string[] {
  const buckets = bucketsOf(f);
  const term = Reflect.get(f.search, 'state').index.dictionary.idOf(word) as number | undefined;
  const out: string[] = [];
  for (const bucket of (term === undefined ? undefined : buckets.of(term)) ?? [])
    for (let i = 0; i < bucket.size; i++)
      if (buckets.isCurrent(bucket.docs[i]!, bucket.versions[i]!))
        out.push(
          `${bucket.length}${bucket.occurrences > 1 ? `×${bucket.occurrences}` : ''}:${f.catalog.ids.idOf(bucket.docs[i]!)}`,
        );
  return out.sort();
}

test('titles are grouped per word by occurrences and title length', () => {
  const f = new SearchFixture({}, [
    { id: 'a', title: 'Red lamp' },
    { id: 'b', title: 'Big red desk lamp' },
    { id: 'c', title: 'Red red wine' },
    { id: 'd', title: 'Chair', text: { description: 'red' } },
    { id: 'e', title: 'Red red red' },
    { id: 'f', title: 'Red lamp red' },
  ]);
  assert.deepEqual(entries(f, 'red'), ['2:a', '3×2:c', '3×2:f', '3×3:e', '4:b']);
  assert.deepEqual(entries(f, 'lamp'), ['2:a', '3:f', '4:b']);
  const groups = bucketsOf(f).of(Reflect.get(f.search, 'state').index.dictionary.idOf('red'));
  assert.deepEqual(
    groups?.map((bucket) => `${bucket.occurrences}/${bucket.length}`),
    ['1/2', '1/4', '2/3', '3/3'],
    'by increasing occurrences, then length',
  );
});

test('an upsert or a delete is reflected at once; unchanged titles add nothing', () => {
  const f = new SearchFixture({}, [
    { id: 'a', title: 'Red lamp' },
    { id: 'b', title: 'Blue lamp' },
  ]);
  const buckets = bucketsOf(f);
  assert.deepEqual(buckets.counts, { live: 4, outdated: 0 });
  f.upsert({ id: 'a', title: 'Red lamp', attributes: { price: 3 } });
  assert.deepEqual(buckets.counts, { live: 4, outdated: 0 }, 'same title: no new entries');
  f.upsert({ id: 'a', title: 'Green desk lamp' });
  assert.deepEqual(entries(f, 'red'), []);
  assert.deepEqual(entries(f, 'lamp'), ['2:b', '3:a']);
  assert.deepEqual(buckets.counts, { live: 5, outdated: 2 });
  f.delete('b');
  assert.deepEqual(entries(f, 'lamp'), ['3:a']);
  assert.deepEqual(entries(f, 'blue'), []);
  assert.deepEqual(f.search.suggest('bl').items, []);
  assert.deepEqual(
    f.search.suggest('gr').items.map((hit) => f.catalog.ids.idOf(hit.doc)),
    ['a'],
  );
});

test('outdated entries are dropped once they outnumber the live ones', () => {
  const f = new SearchFixture({});
  for (let round = 0; round < 3000; round++) f.upsert({ id: 'a', title: `lamp ${round}` });
  const { live, outdated } = bucketsOf(f).counts;
  assert.equal(live, 2);
  assert.ok(outdated <= 4096 + 2, `${outdated} outdated entries kept`);
  assert.deepEqual(entries(f, 'lamp'), ['2:a']);
  assert.deepEqual(
    f.search.suggest('lam').items.map((hit) => f.catalog.ids.idOf(hit.doc)),
    ['a'],
  );
});

test('the most times a title repeats a word bounds every current title holding it', () => {
  const f = new SearchFixture({}, [
    { id: 'a', title: 'Red lamp' },
    { id: 'b', title: 'Red red red wine' },
  ]);
  const buckets = bucketsOf(f);
  const term = (word: string): number =>
    Reflect.get(f.search, 'state').index.dictionary.idOf(word) as number;
  assert.equal(buckets.maxOccurrences(term('red')), 3);
  assert.equal(buckets.maxOccurrences(term('lamp')), 1);
  assert.equal(buckets.maxOccurrences(term('chair') ?? -1), 0);
  f.upsert({ id: 'a', title: 'Lamp lamp' });
  assert.equal(buckets.maxOccurrences(term('lamp')), 2);
  // An upper bound: kept when the title repeating it changes, until a rebuild.
  f.upsert({ id: 'b', title: 'Red wine' });
  assert.equal(buckets.maxOccurrences(term('red')), 3);
  buckets.rebuild(Reflect.get(f.search, 'state').index);
  assert.equal(buckets.maxOccurrences(term('red')), 1);
  assert.equal(buckets.maxOccurrences(term('lamp')), 2);
});
