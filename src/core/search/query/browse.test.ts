import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SearchFixture } from '../../../../test/support/search-fixture.js';

function shop(): SearchFixture {
  const f = new SearchFixture({
    facetAttributes: ['brand', 'inStock'],
    sortableAttributes: ['price'],
  });
  const brands = ['Acme', 'Bolt', 'Core'];
  for (let i = 0; i < 30; i++) {
    f.upsert({
      id: `chair-${i}`,
      title: `Chair model ${i}`,
      categories: i % 2 === 0 ? ['Furniture', 'Office'] : ['Furniture'],
      tags: i % 5 === 0 ? ['sale'] : [],
      attributes: {
        brand: brands[i % 3] as string,
        inStock: i % 4 !== 0,
        ...(i === 7 ? {} : { price: 100 - i }),
      },
    });
  }
  f.upsert({
    id: 'table',
    title: 'Table',
    categories: ['Furniture'],
    attributes: { brand: 'Acme', price: 1 },
  });
  return f;
}

test('facets count every match, not only the page', () => {
  const f = shop();
  const result = f.search.search('chair', {
    limit: 5,
    facets: ['categories', 'brand', 'tags', 'inStock'],
  });
  assert.equal(result.total, 30);
  assert.equal(result.hits.length, 5);
  assert.deepEqual(result.facets.categories, [
    { value: 'Furniture', count: 30 },
    { value: 'Office', count: 15 },
  ]);
  assert.deepEqual(result.facets.brand, [
    { value: 'Acme', count: 10 },
    { value: 'Bolt', count: 10 },
    { value: 'Core', count: 10 },
  ]);
  assert.deepEqual(result.facets.tags, [{ value: 'sale', count: 6 }]);
  assert.deepEqual(result.facets.inStock, [
    { value: 'true', count: 22 },
    { value: 'false', count: 8 },
  ]);
  assert.deepEqual(f.search.search('chair', { facets: ['brand'], facetLimit: 1 }).facets.brand, [
    { value: 'Acme', count: 10 },
  ]);
  assert.throws(() => f.search.search('chair', { facets: ['colour'] }), /not a facet/);
});

test('a filter keeps only the documents it accepts, and totals and facets follow', () => {
  const f = shop();
  const even = new Set(Array.from({ length: 15 }, (_, i) => f.doc(`chair-${i * 2}`)));
  const result = f.search.search('chair', {
    filter: (doc) => even.has(doc),
    facets: ['categories'],
  });
  assert.equal(result.total, 15);
  assert.ok(result.hits.every((hit) => even.has(hit.doc)));
  assert.deepEqual(result.facets.categories, [
    { value: 'Furniture', count: 15 },
    { value: 'Office', count: 15 },
  ]);
});

test('hidden items never come out, and come back when unhidden', () => {
  const f = shop();
  f.patch('chair-3', { hidden: true });
  assert.equal(f.search.search('chair').total, 29);
  assert.ok(!f.ids('chair model 3 ').includes('chair-3'));
  assert.equal(f.search.search('').total, 30);
  f.patch('chair-3', { hidden: false });
  assert.equal(f.ids('chair model 3 ')[0], 'chair-3');
});

test('sorting by a numeric attribute, both ways, items without it last', () => {
  const f = shop();
  const ascending = f.ids('chair', { sort: { attribute: 'price', order: 'asc' }, limit: 100 });
  assert.deepEqual(ascending.slice(0, 3), ['chair-29', 'chair-28', 'chair-27']);
  assert.equal(ascending[ascending.length - 1], 'chair-7');
  const descending = f.ids('chair', { sort: { attribute: 'price', order: 'desc' }, limit: 100 });
  assert.deepEqual(descending.slice(0, 3), ['chair-0', 'chair-1', 'chair-2']);
  assert.equal(descending[descending.length - 1], 'chair-7');
  f.patch('table', { attributes: { price: 1000 } });
  assert.equal(f.ids('', { sort: { attribute: 'price', order: 'desc' } })[0], 'table');
  assert.throws(
    () => f.search.search('chair', { sort: { attribute: 'weight', order: 'asc' } }),
    /sortableAttributes/,
  );
});

test('pages tile the results exactly, with the same total on each', () => {
  const f = shop();
  const all = f.ids('chair', { limit: 100 });
  assert.equal(all.length, 30);
  const pages: string[] = [];
  for (let offset = 0; offset < 30; offset += 7) {
    const result = f.search.search('chair', { offset, limit: 7 });
    assert.equal(result.total, 30);
    pages.push(...result.hits.map((hit) => f.catalog.ids.idOf(hit.doc) ?? '?'));
  }
  assert.deepEqual(pages, all);
  assert.deepEqual(f.search.search('chair', { offset: 40 }).hits, []);
});

test('an empty query browses every visible item', () => {
  const f = shop();
  const result = f.search.search('', { facets: ['brand'], limit: 3 });
  assert.equal(result.total, 31);
  assert.equal(result.hits.length, 3);
  assert.deepEqual(result.facets.brand?.[0], { value: 'Acme', count: 11 });
});
