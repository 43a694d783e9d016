import { test } from 'node:test';
import assert from 'node:assert/strict';
import { porter2 } from './porter2.js';
import { PORTER2_REFERENCE_SAMPLE } from '../../../../test/fixtures/porter2-reference-sample.js';

test('matches the Snowball reference output on a sample of its vocabulary', () => {
  const pairs = PORTER2_REFERENCE_SAMPLE.trim()
    .split('\n')
    .map((line) => line.split(' ') as [string, string]);
  assert.ok(pairs.length > 250);
  const wrong = pairs
    .filter(([word, stem]) => porter2(word) !== stem)
    .map(([word, stem]) => `${word}: ${porter2(word)} != ${stem}`);
  assert.deepEqual(wrong, []);
});

test('the algorithm special cases', () => {
  const cases: Record<string, string> = {
    // Exceptional forms and invariants.
    skis: 'ski',
    skies: 'sky',
    dying: 'die',
    news: 'news',
    gently: 'gentl',
    only: 'onli',
    atlas: 'atlas',
    inning: 'inning',
    evening: 'evening',
    succeed: 'succeed',
    // R1 after the "gener", "commun", "arsen" prefixes.
    generously: 'generous',
    communism: 'communism',
    arsenal: 'arsenal',
    // Step 1a/1b/1c details.
    caresses: 'caress',
    ties: 'tie',
    cries: 'cri',
    gas: 'gas',
    gaps: 'gap',
    hoping: 'hope',
    hopping: 'hop',
    added: 'add',
    luxuriating: 'luxuri',
    cry: 'cri',
    say: 'say',
    by: 'by',
    // Step 2-5 suffixes.
    relational: 'relat',
    conditional: 'condit',
    rational: 'ration',
    hopefulness: 'hope',
    knives: 'knive',
    controlling: 'control',
    // Consonant y.
    yelling: 'yell',
    playing: 'play',
  };
  for (const [word, stem] of Object.entries(cases)) assert.equal(porter2(word), stem, word);
});

test('words of one or two letters are left alone', () => {
  for (const word of ['a', 'is', 'us', 'as']) assert.equal(porter2(word), word);
});
