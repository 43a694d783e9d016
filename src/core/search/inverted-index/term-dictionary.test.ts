import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRandom } from '../../models/random.js';
import { boundedEditDistance } from '../text/edit-distance.js';
import { porter2 } from '../text/porter2.js';
import { TermDictionary } from './term-dictionary.js';

function randomWords(count: number, seed: number): string[] {
  const random = createRandom(seed);
  const letters = 'abcdeilmnorstu';
  const words = new Set<string>();
  while (words.size < count) {
    const length = 2 + random.nextInt(9);
    let word = '';
    for (let i = 0; i < length; i++) word += letters[random.nextInt(letters.length)];
    words.add(word);
  }
  return [...words];
}

test('the sorted-trie walk finds exactly the words a full scan finds', () => {
  const words = randomWords(3000, 7);
  const dictionary = new TermDictionary(porter2);
  // Two batches, so lookups see both the sorted view and the unsorted tail.
  for (const word of words.slice(0, 2980)) dictionary.intern(word);
  dictionary.forEachWithin('warmup', 1, () => undefined);
  for (const word of words.slice(2980)) dictionary.intern(word);
  const queries = [...randomWords(40, 8), ...words.slice(0, 10), ...words.slice(2985)];
  for (const query of queries) {
    for (const budget of [1, 2]) {
      const found = new Map<string, number>();
      dictionary.forEachWithin(query, budget, (term, distance) =>
        found.set(dictionary.term(term), distance),
      );
      const expected = new Map<string, number>();
      for (const word of words) {
        const distance = boundedEditDistance(query, word, budget);
        if (distance <= budget) expected.set(word, distance);
      }
      assert.deepEqual(
        [...found.entries()].sort(),
        [...expected.entries()].sort(),
        `${query} within ${budget}`,
      );
    }
  }
});

test('prefix lookups cover the sorted view and the tail', () => {
  const dictionary = new TermDictionary(porter2);
  const words = randomWords(500, 3);
  for (const word of words) dictionary.intern(word);
  dictionary.forEachWithPrefix('a', () => undefined);
  dictionary.intern('abracadabra');
  for (const prefix of ['a', 'ab', 'mo', 'zz', '']) {
    const found: string[] = [];
    dictionary.forEachWithPrefix(prefix, (term) => found.push(dictionary.term(term)));
    const expected = [...words, 'abracadabra'].filter((word) => word.startsWith(prefix));
    assert.deepEqual(found.sort(), expected.sort(), prefix);
  }
});

test('stem groups gather inflections', () => {
  const dictionary = new TermDictionary(porter2);
  for (const word of ['run', 'running', 'runs', 'runner', 'ran']) dictionary.intern(word);
  const group = dictionary.withStem('run').map((term) => dictionary.term(term));
  assert.deepEqual(group.sort(), ['run', 'running', 'runs']);
});
