import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  type ItemContent,
  fitContent,
  recommendByContent,
  scoreByContent,
  similarItemsByContent,
  tokenize,
  userContentProfile,
  vectorizeContent,
} from './content.js';
import { IndexMask } from './top-k.js';

const catalog: readonly (ItemContent | undefined)[] = [
  { title: 'The Lord of the Rings: The Fellowship', categories: ['Fantasy', 'Adventure'] },
  { title: 'The Lord of the Rings: The Two Towers', categories: ['Fantasy', 'Adventure'] },
  { title: 'Toy Story', categories: ['Animation', 'Children'], attributes: { studio: 'Pixar' } },
  { title: 'Toy Story 2', categories: ['Animation', 'Children'], attributes: { studio: 'Pixar' } },
  { title: 'Finding Nemo', categories: ['Animation'], attributes: { studio: 'Pixar' } },
  { title: 'Heat', categories: ['Crime', 'Thriller'], attributes: { year: 1995 } },
  undefined,
];

test('tokenize lower-cases and drops stopwords and one-letter tokens', () => {
  assert.deepEqual(tokenize('The Lord of the Rings: Return of a KING, 2003!'), [
    'lord',
    'rings',
    'return',
    'king',
    '2003',
  ]);
});

test('similar items share title words, categories and attributes', () => {
  const model = fitContent(catalog);
  assert.equal(similarItemsByContent(model, 0, 1).indices[0], 1);
  assert.equal(similarItemsByContent(model, 2, 1).indices[0], 3);
  const nemoNeighbours = [...similarItemsByContent(model, 4, 2).indices].sort();
  assert.deepEqual(nemoNeighbours, [2, 3]);
  // Vectors are normalized: identical content has cosine 1.
  const selfScore = scoreByContent(model, vectorizeContent(model, catalog[5]!))[5]!;
  assert.ok(Math.abs(selfScore - 1) < 1e-6);
  // Items without content have no features and match nothing.
  assert.equal(model.itemVectors.rowPtr[7]! - model.itemVectors.rowPtr[6]!, 0);
});

test('a new item finds its neighbours from content alone', () => {
  const model = fitContent(catalog);
  const newItem = vectorizeContent(model, {
    title: 'Toy Story 3',
    categories: ['Animation'],
    attributes: { studio: 'Pixar', rating: 'G' },
  });
  const ranked = recommendByContent(model, newItem, 3);
  assert.deepEqual([...ranked.indices].slice(0, 2).sort(), [2, 3]);
  assert.equal(ranked.indices[2], 4);
});

test('a new user profile from their history ranks similar items first', () => {
  const model = fitContent(catalog);
  const profile = userContentProfile(model, [0, 5], [3, 1]);
  const ranked = recommendByContent(model, profile, 2, new IndexMask(catalog.length, [0, 5]));
  assert.equal(ranked.indices[0], 1);
  // A dislike subtracts: disliking animation pushes Pixar titles below the rest.
  const dislikes = userContentProfile(model, [0, 2], [1, -1]);
  const scores = scoreByContent(model, dislikes);
  assert.ok(scores[3]! < 0 && scores[4]! < 0 && scores[1]! > 0);
});
