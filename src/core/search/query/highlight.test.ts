import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SearchFixture } from '../../../../test/support/search-fixture.js';
import { markHighlights } from './highlight.js';

test('each hit marks the matched words per field, with offsets into the original text', () => {
  const f = new SearchFixture({}, [
    {
      id: 'lamp',
      title: 'Crème Brûlée Lamp',
      text: { description: 'A lamp for brulee lovers', brand: 'Lumen' },
      categories: ['Home', 'Lamps'],
    },
  ]);
  const [hit] = f.search.search('creme lamp').hits;
  const title = f.catalog.get('lamp')?.title ?? '';
  assert.equal(
    markHighlights(title, hit?.highlights.title ?? []),
    '<em>Crème</em> Brûlée <em>Lamp</em>',
  );
  assert.deepEqual(hit?.highlights, {
    title: [
      [0, 5],
      [13, 17],
    ],
    'categories.1': [[0, 5]],
    'text.description': [[2, 6]],
  });
});

test('typo and prefix matches highlight the whole word', () => {
  const f = new SearchFixture({}, [{ id: 'dragon', title: 'Enter the Dragon' }]);
  assert.deepEqual(f.search.search('entr the drag').hits[0]?.highlights.title, [
    [6, 9],
    [10, 16],
  ]);
  assert.deepEqual(f.search.search('enetr dragon').hits[0]?.highlights.title, [
    [0, 5],
    [10, 16],
  ]);
});

test('highlighting escapes HTML and can be turned off', () => {
  assert.equal(markHighlights('<b> & lamp', [[6, 10] as const]), '&lt;b&gt; &amp; <em>lamp</em>');
  assert.equal(markHighlights('lamp', [[0, 4] as const], '[', ']'), '[lamp]');
  const f = new SearchFixture({}, [{ id: 'lamp', title: 'Lamp' }]);
  assert.deepEqual(f.search.search('lamp', { highlight: false }).hits[0]?.highlights, {});
});
