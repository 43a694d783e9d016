import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRandom, type Random } from '../../models/random.js';
import type { TitleBuckets } from '../inverted-index/title-buckets.js';
import { SearchFixture } from '../../../../test/support/search-fixture.js';
import {
  completeItems as completeWords,
  expandForCompletion,
  type ItemCompletionRequest,
} from './complete-items.js';
import { executeSearch, type SearchState } from './execute.js';

const WORDS = [
  'star',
  'stars',
  'start',
  'stardust',
  'starship',
  'war',
  'wars',
  'ward',
  'warden',
  'trek',
  'tree',
  'treks',
  'the',
  'of',
  'a',
  'red',
  'read',
  'reader',
  'dragon',
  'dragons',
  'drag',
  'lamp',
  'lamps',
  'light',
  'night',
];

function title(random: Random): string {
  const length = 1 + random.nextInt(6);
  // Skewed towards the first words, so some are frequent and titles repeat words.
  return Array.from({ length }, () => WORDS[Math.floor(random.next() ** 2 * WORDS.length)]!).join(
    ' ',
  );
}

/** A catalog that went through upserts, replacements, deletes and a compaction halfway. */
function corpus(random: Random): SearchFixture {
  const f = new SearchFixture({ weights: { title: 3, text: 1 } });
  for (let i = 0; i < 400; i++)
    f.upsert({
      id: `i${i}`,
      title: title(random),
      text: { description: title(random) },
      hidden: random.next() < 0.05,
    });
  f.search.compact();
  for (let i = 0; i < 120; i++) {
    const id = `i${random.nextInt(460)}`;
    if (random.next() < 0.3) {
      if (f.catalog.ids.indexOf(id) !== undefined) f.delete(id);
    } else f.upsert({ id, title: title(random), hidden: random.next() < 0.05 });
  }
  return f;
}

function stateOf(f: SearchFixture): SearchState {
  return Reflect.get(f.search, 'state') as SearchState;
}

function bucketsOf(f: SearchFixture): TitleBuckets {
  return Reflect.get(f.search, 'titleBuckets') as TitleBuckets;
}

/** What a person types: every prefix of a title, key by key, plus a misspelling. */
function inputs(random: Random, count: number): string[] {
  const out = ['', ' ', 'zzz', 'the', 'of the', 'stra w', 'star zzz', 'wars star'];
  while (out.length < count) {
    const text = title(random);
    for (let end = 1; end <= text.length; end++) out.push(text.slice(0, end));
  }
  return out;
}

function completeItems(
  state: SearchState,
  buckets: TitleBuckets,
  input: string,
  request: ItemCompletionRequest,
) {
  const words = expandForCompletion(state, input, request.maxPrefixExpansions);
  return completeWords(state, buckets, words, request);
}

function general(state: SearchState, input: string, request: ItemCompletionRequest) {
  return executeSearch(
    state,
    input,
    {
      fields: ['title'],
      limit: request.limit,
      ...(request.filter ? { filter: request.filter } : {}),
      ...(request.boost ? { boost: request.boost } : {}),
    },
    { maxPrefixExpansions: request.maxPrefixExpansions, rerankDepth: request.rerankDepth },
  ).hits;
}

function requestsFor(random: Random): ItemCompletionRequest[] {
  const lift = Float64Array.from({ length: 8192 }, () => 1 + random.next() * 0.6);
  return [
    { limit: 5, rerankDepth: 25, maxPrefixExpansions: 16 },
    { limit: 3, rerankDepth: 8, maxPrefixExpansions: 4, filter: (doc) => doc % 3 !== 0 },
    {
      limit: 5,
      rerankDepth: 10,
      maxPrefixExpansions: 64,
      boost: (doc, text) => text * lift[doc]!,
      boostCeiling: 1.6,
    },
    // A boost without a ceiling is called for every match.
    { limit: 4, rerankDepth: 6, maxPrefixExpansions: 8, boost: (doc, text) => text * lift[doc]! },
  ];
}

/** Compares every input under every request; returns how many the fast path answered. */
function compareWithGeneral(
  f: SearchFixture,
  inputs: readonly string[],
  requests: readonly ItemCompletionRequest[],
): number {
  const state = stateOf(f);
  const buckets = bucketsOf(f);
  let answered = 0;
  for (const input of inputs) {
    for (const request of requests) {
      const fast = completeItems(state, buckets, input, request);
      if (fast === undefined) continue;
      answered++;
      const expected = general(state, input, request);
      assert.deepEqual(fast, expected, `"${input}" with ${JSON.stringify(request)}`);
    }
  }
  return answered;
}

test('item completions equal the general title search: hits, scores, order, highlights', () => {
  const random = createRandom(11);
  const f = corpus(random);
  const answered = compareWithGeneral(f, inputs(random, 400), requestsFor(random));
  assert.ok(answered > 1000, `only ${answered} answered by the fast path`);
});

/** Titles of the most frequent words, many repeating one: "star wars star", "the war war". */
function frequentTitle(random: Random): string {
  const length = 1 + random.nextInt(7);
  return Array.from({ length }, () => WORDS[Math.floor(random.next() ** 3 * 14)]!).join(' ');
}

test('several frequent words: the best-first walk stops early and still equals the general search', () => {
  const random = createRandom(23);
  const f = new SearchFixture({ weights: { title: 3, text: 1 } });
  for (let i = 0; i < 3000; i++)
    f.upsert({ id: `i${i}`, title: frequentTitle(random), hidden: random.next() < 0.03 });
  f.search.compact();
  // Later writes sit in the delta and outdate bucket entries.
  for (let i = 0; i < 300; i++)
    f.upsert({ id: `i${random.nextInt(3300)}`, title: frequentTitle(random) });
  const typed = [
    'star w',
    'star wa',
    'war s',
    'star star',
    'star star s',
    'the star w',
    'wars st',
    'star the w',
    'start war',
    'war war w',
    'stra wa',
    'star wrs s',
  ];
  while (typed.length < 600) {
    const text = frequentTitle(random);
    if (!text.includes(' ')) continue;
    for (let end = text.indexOf(' ') + 2; end <= text.length; end++) typed.push(text.slice(0, end));
  }
  const answered = compareWithGeneral(f, typed, requestsFor(random));
  assert.ok(answered > 1500, `only ${answered} answered by the fast path`);

  // "star" and a "w..." word share hundreds of titles; the best few are found in far fewer visits.
  const state = stateOf(f);
  let calls = 0;
  const boost = (doc: number, text: number): number => {
    calls++;
    return text * (1 + (doc % 7) / 100);
  };
  const request = { limit: 5, rerankDepth: 10, maxPrefixExpansions: 16, boost, boostCeiling: 1.06 };
  const matches = executeSearch(state, 'star w', { fields: ['title'], limit: 0 }).total;
  assert.deepEqual(
    completeItems(state, bucketsOf(f), 'star w', request),
    general(state, 'star w', request),
  );
  assert.ok(matches > 500, `${matches} titles match`);
  calls = 0;
  completeItems(state, bucketsOf(f), 'star w', request);
  assert.ok(calls < matches / 4, `${calls} boost calls for ${matches} matches`);
});

test('the boost is only called for documents that can make the cut', () => {
  const f = new SearchFixture({});
  for (let i = 0; i < 300; i++) f.upsert({ id: `i${i}`, title: i % 2 ? 'red lamp' : 'red' });
  let calls = 0;
  const boost = (doc: number, text: number): number => {
    calls++;
    return text * (1 + (doc % 10) / 100);
  };
  const state = stateOf(f);
  const buckets = bucketsOf(f);
  const request = { limit: 5, rerankDepth: 10, maxPrefixExpansions: 16, boost };
  const bounded = completeItems(state, buckets, 're', { ...request, boostCeiling: 1.09 });
  const boundedCalls = calls;
  calls = 0;
  const unbounded = completeItems(state, buckets, 're', request);
  assert.deepEqual(bounded, unbounded);
  assert.equal(calls, 300 + 10, 'without a ceiling every match is boosted');
  // "red" alone (150 titles) outscores "red lamp"; within 9% only those can win.
  assert.ok(boundedCalls <= 150 + 10, `${boundedCalls} boost calls`);
});

test('no title with every word: left to the general search, which drops a word', () => {
  const f = new SearchFixture({}, [
    { id: 'a', title: 'Red lamp' },
    { id: 'b', title: 'Blue chair' },
    { id: 'c', title: 'Red desk' },
  ]);
  const state = stateOf(f);
  const buckets = bucketsOf(f);
  const request = { limit: 5, rerankDepth: 25, maxPrefixExpansions: 16 };
  assert.equal(completeItems(state, buckets, 'red chai', request), undefined);
  assert.equal(completeItems(state, buckets, '', request), undefined);
  // The rarer word goes: "chai" completes one title, "red" is in two.
  assert.deepEqual(
    f.search
      .suggest('red chai')
      .items.map((hit) => f.catalog.ids.idOf(hit.doc))
      .sort(),
    ['a', 'c'],
  );
});

test('an upsert or a delete changes the next completions at once', () => {
  const f = new SearchFixture({}, [
    { id: 'a', title: 'Red lamp' },
    { id: 'b', title: 'Red chair' },
  ]);
  const ids = (input: string): string[] =>
    f.search.suggest(input).items.map((hit) => f.catalog.ids.idOf(hit.doc) ?? '?');
  assert.deepEqual(ids('red la'), ['a']);
  f.upsert({ id: 'c', title: 'Red lava lamp' });
  assert.deepEqual(ids('red lava'), ['c']);
  f.upsert({ id: 'a', title: 'Green lamp' });
  assert.deepEqual(ids('red la'), ['c']);
  f.delete('c');
  assert.deepEqual(ids('red la'), ['b'], 'only "red" matches now: the general search');
  assert.deepEqual(ids('gre'), ['a']);
});
