import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SearchFixture } from '../../../../test/support/search-fixture.js';

test('typos allowed grow with word length: none up to 4 letters, 1 up to 8, then 2', () => {
  const f = new SearchFixture({}, [
    { id: 'cats', title: 'Cats' },
    { id: 'pyramid', title: 'Pyramid' },
    { id: 'adventure', title: 'Adventure' },
  ]);
  assert.deepEqual(f.ids('cots '), []);
  assert.deepEqual(f.ids('pyramdi '), ['pyramid'], 'a transposition is one typo');
  assert.deepEqual(f.ids('pyrmaid '), ['pyramid']);
  assert.deepEqual(f.ids('pyrmadi '), [], 'two typos in a 7-letter word');
  assert.deepEqual(f.ids('advemtrue '), ['adventure'], 'two typos in a 9-letter word');
  assert.deepEqual(f.ids('xdvemtrue '), []);
  assert.deepEqual(f.ids('pyramid', { typos: false }), ['pyramid']);
  assert.deepEqual(f.ids('pyramdi ', { typos: false }), []);
});

test('the last word is a prefix while it is being typed', () => {
  const f = new SearchFixture({}, [
    { id: 'toy-story', title: 'Toy Story' },
    { id: 'stopover', title: 'Stopover' },
  ]);
  assert.deepEqual(f.ids('toy sto'), ['toy-story']);
  assert.equal(f.ids('sto').length, 2);
  assert.deepEqual(f.ids('sto '), [], 'a trailing space finishes the word');
  assert.deepEqual(f.ids('sto', { prefix: false }), []);
});

test('exact words rank above completions, and completions above typos', () => {
  const f = new SearchFixture({}, [
    { id: 'typo', title: 'Stormy' },
    { id: 'prefix', title: 'Storyteller' },
    { id: 'exact', title: 'Story' },
  ]);
  assert.deepEqual(f.ids('story'), ['exact', 'prefix', 'typo']);
});

test('inflections match through stems, below the exact form', () => {
  const f = new SearchFixture({}, [
    { id: 'runner', title: 'Runs and shoes' },
    { id: 'exact', title: 'Running shoes' },
  ]);
  assert.deepEqual(f.ids('running shoe '), ['exact', 'runner']);
  assert.deepEqual(f.ids('run ').sort(), ['exact', 'runner']);
});

test('synonym groups apply at query time, by stem, below the word itself', () => {
  const f = new SearchFixture(
    {
      synonyms: [
        ['tv', 'television'],
        ['couch', 'sofa'],
      ],
    },
    [
      { id: 'television', title: 'Television stand' },
      { id: 'tv', title: 'TV stand' },
      { id: 'sofa', title: 'Corner sofa' },
    ],
  );
  assert.deepEqual(f.ids('tv '), ['tv', 'television']);
  assert.deepEqual(f.ids('televisions '), ['television', 'tv']);
  assert.deepEqual(f.ids('couches '), ['sofa']);
  assert.throws(() => new SearchFixture({ synonyms: [['new york', 'nyc']] }), /single word/);
});

test('stop words are optional, unless the query has nothing else', () => {
  const f = new SearchFixture({}, [
    { id: 'matrix', title: 'Matrix' },
    { id: 'the-who', title: 'The Who' },
    { id: 'it', title: 'It' },
  ]);
  assert.deepEqual(f.ids('the matrix'), ['matrix']);
  assert.deepEqual(f.ids('the who'), ['the-who']);
  assert.deepEqual(f.ids('it'), ['it']);
});

test('all words are required while some document has them all', () => {
  const f = new SearchFixture({}, [
    { id: 'red-apple', title: 'Red apple' },
    { id: 'green-apple', title: 'Green apple' },
    { id: 'red-car', title: 'Red car' },
  ]);
  const result = f.search.search('red apple');
  assert.equal(result.total, 1);
  assert.deepEqual(f.ids('red apple'), ['red-apple']);
});

test('otherwise the fewest and rarest words are dropped', () => {
  const f = new SearchFixture({}, [
    { id: 'green-apple', title: 'Green apple' },
    { id: 'green-pear', title: 'Green pear' },
    { id: 'red-car', title: 'Red car' },
  ]);
  // An unmatched word is dropped first.
  assert.deepEqual(f.ids('green apple xyzzy'), ['green-apple']);
  // No title has both: "car" is rarer than "green", so it goes.
  const result = f.search.search('green car');
  assert.equal(result.total, 2);
  assert.deepEqual(f.ids('green car').sort(), ['green-apple', 'green-pear']);
});
