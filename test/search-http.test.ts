// Search over HTTP on the real engine (memory adapters, fastify inject): matching,
// facets, filters, sorting, highlights, synonyms, pagination, personalization, real-time
// visibility of writes, hybrid fusion, autocomplete and bad input.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { call, startInProcess, type InProcessEngine } from './support/in-process.js';

interface Hit {
  id: string;
  score: number;
  highlights: Record<string, { ranges: [number, number][]; marked: string }>;
  explain?: Record<string, unknown> & { ranks?: Record<string, number | null> };
}
interface Answer {
  hits: Hit[];
  facets: Record<string, { value: string; count: number }[]>;
  total: number;
}

const MOVIES = [
  {
    id: 'heat',
    title: 'Heat',
    categories: ['Crime', 'Drama'],
    attributes: { year: 1995, price: 10 },
  },
  {
    id: 'toy-story',
    title: 'Toy Story',
    categories: ['Animation', 'Children', 'Comedy'],
    attributes: { year: 1995, price: 8 },
  },
  {
    id: 'toy-story-2',
    title: 'Toy Story 2',
    categories: ['Animation', 'Children'],
    attributes: { year: 1999, price: 9 },
  },
  {
    id: 'godfather',
    title: 'The Godfather',
    categories: ['Crime', 'Drama'],
    attributes: { year: 1972, price: 12 },
  },
  {
    id: 'matrix',
    title: 'The Matrix',
    categories: ['Action', 'Sci-Fi'],
    attributes: { year: 1999, price: 7 },
  },
  {
    id: 'star-wars',
    title: 'Star Wars',
    categories: ['Action', 'Sci-Fi'],
    attributes: { year: 1977, price: 11 },
  },
  {
    id: 'star-trek',
    title: 'Star Trek',
    categories: ['Action', 'Sci-Fi'],
    attributes: { year: 1979, price: 6 },
  },
  {
    id: 'star-born',
    title: 'A Star Is Born',
    categories: ['Drama', 'Romance'],
    attributes: { year: 1976, price: 5 },
  },
  {
    id: 'lone-star',
    title: 'Lone Star',
    categories: ['Mystery', 'Western'],
    attributes: { year: 1996, price: 4 },
  },
  {
    id: 'notting-hill',
    title: 'Notting Hill',
    categories: ['Comedy', 'Romance'],
    attributes: { year: 1999 },
  },
  {
    id: 'pretty-woman',
    title: 'Pretty Woman',
    categories: ['Romance'],
    attributes: { year: 1990 },
  },
  { id: 'titanic', title: 'Titanic', categories: ['Drama', 'Romance'], attributes: { year: 1997 } },
  {
    id: 'samsung-tv',
    title: 'Samsung Television 55 inch',
    categories: ['Electronics'],
    text: { description: 'A bright QLED panel for the living room' },
    attributes: { brand: 'Samsung', price: 499 },
  },
  {
    id: 'lg-oled',
    title: 'LG OLED Screen',
    categories: ['Electronics'],
    tags: ['tv', 'oled'],
    attributes: { brand: 'LG', price: 899 },
  },
];

let kindred: InProcessEngine;
const search = async (query: string): Promise<Answer> => {
  const response = await call(kindred.app, 'GET', `/v1/search?${query}`);
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body as unknown as Answer;
};
const ids = (answer: Answer): string[] => answer.hits.map((hit) => hit.id);

before(async () => {
  kindred = await startInProcess({
    KINDRED_SEARCH_FACETS: 'year,brand',
    KINDRED_SEARCH_SORTABLE: 'price,year',
    KINDRED_SEARCH_SYNONYMS: '[["film", "movie"], ["tv", "television"]]',
  });
  const batch = await call(kindred.app, 'POST', '/v1/items/batch', { items: MOVIES });
  assert.equal(batch.status, 200, JSON.stringify(batch.body));
});
after(() => kindred.close());

describe('text matching', () => {
  test('a word with a typo finds the item', async () => {
    assert.deepEqual(ids(await search('q=godfahter')), ['godfather']);
    assert.equal((await search('q=godfahter&typos=false')).total, 0);
  });

  test('the last word is completed while typed, not after a space', async () => {
    assert.deepEqual(ids(await search('q=toy%20st')).sort(), ['toy-story', 'toy-story-2']);
    assert.deepEqual(ids(await search('q=godf')), ['godfather']);
    assert.equal((await search('q=godf%20')).total, 0);
    assert.equal((await search('q=godf&prefix=false')).total, 0);
  });

  test('configured synonyms match both ways', async () => {
    // "tv" is only a tag of the LG screen and "television" only the Samsung title.
    assert.deepEqual(ids(await search('q=tv%20')).sort(), ['lg-oled', 'samsung-tv']);
    assert.deepEqual(ids(await search('q=television%20')).sort(), ['lg-oled', 'samsung-tv']);
  });

  test('highlights give ranges and escaped marked text per matched field', async () => {
    const answer = await search('q=samsung%20panel');
    const hit = answer.hits[0]!;
    assert.equal(hit.id, 'samsung-tv');
    assert.deepEqual(hit.highlights['title'], {
      ranges: [[0, 7]],
      marked: '<em>Samsung</em> Television 55 inch',
    });
    assert.deepEqual(hit.highlights['text.description']?.ranges, [[14, 19]]);
    assert.match(hit.highlights['text.description']!.marked, /<em>panel<\/em>/);
  });

  test('fields restrict matching', async () => {
    assert.equal((await search('q=drama%20&fields=title')).total, 0);
    assert.equal((await search('q=drama%20&fields=categories')).total, 4);
  });
});

describe('facets, filters, sorting, pagination', () => {
  test('facet counts cover every match, not just the page', async () => {
    const answer = await search('q=star%20&k=1&facets=categories,year');
    assert.equal(answer.total, 4);
    assert.equal(answer.hits.length, 1);
    assert.deepEqual(answer.facets['categories']?.slice(0, 2), [
      { value: 'Action', count: 2 },
      { value: 'Sci-Fi', count: 2 },
    ]);
    assert.equal(answer.facets['year']?.length, 4);
  });

  test('a filter in the rule language restricts hits, facets and totals', async () => {
    const filter = encodeURIComponent('"Sci-Fi" in categories and year < 1979');
    const answer = await search(`q=star%20&filter=${filter}&facets=year`);
    assert.deepEqual(ids(answer), ['star-wars']);
    assert.equal(answer.total, 1);
    assert.deepEqual(answer.facets['year'], [{ value: '1977', count: 1 }]);
    const post = await call(kindred.app, 'POST', '/v1/search', {
      q: '',
      filter: 'id in context.wanted and price > 5',
      context: { wanted: ['heat', 'toy-story', 'lone-star'] },
      sort: 'price:asc',
    });
    assert.equal(post.status, 200, JSON.stringify(post.body));
    assert.deepEqual(ids(post.body as unknown as Answer), ['toy-story', 'heat']);
  });

  test('a bad filter is a 400 INVALID_RULE with its position', async () => {
    const response = await call(
      kindred.app,
      'GET',
      `/v1/search?q=star&filter=${encodeURIComponent('year >= and price < 5')}`,
    );
    assert.equal(response.status, 400);
    assert.equal(response.body.error?.code, 'INVALID_RULE');
    assert.equal(response.body.error?.details['position'], 8);
    assert.equal(response.body.error?.details['column'], 9);
  });

  test('an unknown facet is a 400 UNKNOWN_FACET', async () => {
    const response = await call(kindred.app, 'GET', '/v1/search?q=star&facets=colour');
    assert.equal(response.status, 400);
    assert.equal(response.body.error?.code, 'UNKNOWN_FACET');
  });

  test('sorting by a sortable attribute, both ways; others are 400 NOT_SORTABLE', async () => {
    assert.deepEqual(ids(await search('q=star%20&sort=price:asc')), [
      'lone-star',
      'star-born',
      'star-trek',
      'star-wars',
    ]);
    assert.deepEqual(ids(await search('q=star%20&sort=price:desc')), [
      'star-wars',
      'star-trek',
      'star-born',
      'lone-star',
    ]);
    for (const sort of ['title:asc', 'price:up']) {
      const response = await call(kindred.app, 'GET', `/v1/search?q=star&sort=${sort}`);
      assert.equal(response.status, 400, sort);
      assert.equal(response.body.error?.code, 'NOT_SORTABLE');
    }
  });

  test('pages are consecutive slices of one order', async () => {
    const all = ids(await search('q=&k=14&sort=year:asc'));
    assert.equal(all.length, 14);
    const pages: string[] = [];
    for (let offset = 0; offset < 14; offset += 5)
      pages.push(...ids(await search(`q=&k=5&offset=${offset}&sort=year:asc`)));
    assert.deepEqual(pages, all);
    const beyond = await search('q=&k=5&offset=20');
    assert.deepEqual(beyond.hits, []);
    assert.equal(beyond.total, 14);
  });

  test('offset + k beyond 1000 is a 400', async () => {
    const response = await call(kindred.app, 'GET', '/v1/search?q=star&k=10&offset=995');
    assert.equal(response.status, 400);
    assert.equal(response.body.error?.code, 'INVALID_REQUEST');
  });
});

describe('personalization', () => {
  test('a user with a clear taste reorders results; anonymous order is unchanged', async () => {
    const anonymousBefore = ids(await search('q=star%20'));
    assert.equal(anonymousBefore.length, 4);
    assert.notEqual(anonymousBefore[0], 'star-born');
    // Romance fan: many interactions with romance items that do not match "star".
    const events = [];
    for (let i = 0; i < 6; i++)
      for (const itemId of ['notting-hill', 'pretty-woman', 'titanic'])
        events.push({ type: 'like', userId: 'romantic', itemId });
    const written = await call(kindred.app, 'POST', '/v1/events', { events });
    assert.equal(written.status, 200, JSON.stringify(written.body));

    const personal = await search('q=star%20&userId=romantic&explain=true');
    assert.equal(personal.hits[0]?.id, 'star-born');
    const explain = personal.hits[0]!.explain!;
    assert.equal(explain['categories'], 1);
    assert.equal(explain['affinity'], null, 'no trained model here');
    assert.ok(
      Math.abs(
        (explain['text'] as number) * (explain['multiplier'] as number) - personal.hits[0]!.score,
      ) < 1e-9,
    );

    const anonymous = ids(await search('q=star%20'));
    assert.deepEqual(anonymous, anonymousBefore);
    assert.deepEqual(ids(await search('q=star%20')), anonymous, 'two anonymous calls agree');
    // A user the engine does not know is ranked as anyone.
    assert.deepEqual(ids(await search('q=star%20&userId=stranger')), anonymous);
  });

  test('blend weights are overridable per request', async () => {
    const withoutCategories = ids(await search('q=star%20&userId=romantic&blend=categories:0'));
    assert.deepEqual(withoutCategories, ids(await search('q=star%20')));
    const post = await call(kindred.app, 'POST', '/v1/search', {
      q: 'star ',
      userId: 'romantic',
      blend: { categories: 0 },
    });
    assert.equal(post.status, 200);
    assert.deepEqual(ids(post.body as unknown as Answer), withoutCategories);
    const bad = await call(kindred.app, 'GET', '/v1/search?q=star&blend=colour:1');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error?.code, 'INVALID_REQUEST');
  });

  test('browsing without a query ranks by popularity', async () => {
    const events = [];
    for (let i = 0; i < 5; i++)
      events.push({ type: 'purchase', userId: `buyer-${i}`, itemId: 'heat' });
    assert.equal((await call(kindred.app, 'POST', '/v1/events', { events })).status, 200);
    const browse = await search('q=&k=3&explain=true');
    assert.equal(browse.hits[0]?.id, 'heat');
    assert.equal(browse.hits[0]?.explain?.['popularity'], 1);
  });
});

describe('real time', () => {
  test('an upsert and a delete are visible within 100 ms of the acknowledgement', async () => {
    const created = await call(kindred.app, 'POST', '/v1/items', {
      id: 'zeppelin',
      title: 'Zeppelin Adventures',
      categories: ['Adventure'],
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const acknowledged = performance.now();
    let visibleAfter = Number.POSITIVE_INFINITY;
    while (performance.now() - acknowledged < 100) {
      if (ids(await search('q=zepelin%20')).includes('zeppelin')) {
        visibleAfter = performance.now() - acknowledged;
        break;
      }
    }
    assert.ok(visibleAfter < 100, `upsert visible after ${visibleAfter} ms`);

    const deleted = await call(kindred.app, 'DELETE', '/v1/items/zeppelin');
    assert.equal(deleted.status, 204);
    const deletedAt = performance.now();
    let goneAfter = Number.POSITIVE_INFINITY;
    while (performance.now() - deletedAt < 100) {
      if ((await search('q=zeppelin%20')).total === 0) {
        goneAfter = performance.now() - deletedAt;
        break;
      }
    }
    assert.ok(goneAfter < 100, `delete visible after ${goneAfter} ms`);
    process.stdout.write(
      `# search visibility: upsert ${visibleAfter.toFixed(2)} ms, delete ${goneAfter.toFixed(2)} ms\n`,
    );
  });

  test('a patch that hides an item removes it from results', async () => {
    assert.equal(
      (await call(kindred.app, 'PATCH', '/v1/items/titanic', { hidden: true })).status,
      200,
    );
    assert.equal((await search('q=titanic%20')).total, 0);
    assert.equal(
      (await call(kindred.app, 'PATCH', '/v1/items/titanic', { hidden: false })).status,
      200,
    );
    assert.deepEqual(ids(await search('q=titanic%20')), ['titanic']);
  });
});

describe('hybrid', () => {
  test('similarTo fuses content neighbours with the text matches by reciprocal rank', async () => {
    const answer = await search('q=star%20&similarTo=matrix&explain=true&k=20');
    const byId = new Map(answer.hits.map((hit) => [hit.id, hit]));
    assert.ok(!byId.has('matrix'), 'the anchor itself is left out');
    // Star Wars and Star Trek share the Matrix's categories and match the text: both lists.
    for (const id of ['star-wars', 'star-trek']) {
      const ranks = byId.get(id)!.explain!.ranks!;
      assert.ok(
        ranks['text'] !== null && ranks['content'] !== null,
        `${id} ${JSON.stringify(ranks)}`,
      );
    }
    assert.deepEqual(ids(answer).slice(0, 2).sort(), ['star-trek', 'star-wars']);
    const first = answer.hits[0]!;
    const ranks = first.explain!.ranks!;
    const expected = 1 / (60 + ranks['text']!) + 1 / (60 + ranks['content']!);
    assert.ok(Math.abs(first.score - expected) < 1e-12);
    assert.ok(Math.abs((first.explain!['rrf'] as number) - expected) < 1e-12);
    // A text-only match (no shared content) still appears, below the fused ones.
    const textOnly = byId.get('star-born')!.explain!.ranks!;
    assert.equal(textOnly['content'], null);
    assert.notEqual(textOnly['text'], null);
    assert.ok(ids(answer).indexOf('star-born') > 1);
  });

  test('similarTo without a query lists content neighbours', async () => {
    const answer = await search('similarTo=toy-story');
    assert.equal(answer.hits[0]?.id, 'toy-story-2');
  });

  test('an unknown similarTo item is 404', async () => {
    const missing = await call(kindred.app, 'GET', '/v1/search?q=x&similarTo=nothing-here');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error?.code, 'ITEM_NOT_FOUND');
  });

  test('semantic finds items that fit the query without sharing its words', async () => {
    const answer = await search('q=wars&semantic=true&explain=true&k=20');
    assert.equal(answer.hits[0]?.id, 'star-wars', 'the text match leads');
    const matrix = answer.hits.find((hit) => hit.id === 'matrix');
    assert.ok(matrix, `the Matrix shares Star Wars' content: ${JSON.stringify(ids(answer))}`);
    const ranks = matrix.explain!.ranks!;
    assert.equal(ranks['text'], null, 'no word of the query is in its text');
    assert.notEqual(ranks['content'], null);
    const plain = await search('q=wars&k=20');
    assert.ok(!ids(plain).includes('matrix'), 'plain text search does not find it');
    const filtered = await search(
      `q=wars&semantic=true&k=20&filter=${encodeURIComponent('year < 1990')}`,
    );
    assert.ok(!ids(filtered).includes('matrix'), 'the filter applies to every list');
    const empty = await call(kindred.app, 'GET', '/v1/search?q=&semantic=true');
    assert.equal(empty.status, 400);
    assert.equal(empty.body.error?.code, 'INVALID_REQUEST');
  });
});

describe('autocomplete', () => {
  test('query completions and item completions as a person types', async () => {
    const response = await call(kindred.app, 'GET', '/v1/autocomplete?q=toy%20s&k=3&items=5');
    assert.equal(response.status, 200);
    const body = response.body as unknown as {
      queries: { text: string; count: number }[];
      items: { id: string; title: string; score: number }[];
    };
    assert.deepEqual(body.queries[0], { text: 'toy story', count: 2 });
    assert.deepEqual(body.items.map((item) => item.id).sort(), ['toy-story', 'toy-story-2']);
    assert.equal(body.items.find((item) => item.id === 'toy-story')?.title, 'Toy Story');
  });

  test('a missing q is a 400', async () => {
    const response = await call(kindred.app, 'GET', '/v1/autocomplete');
    assert.equal(response.status, 400);
  });
});

describe('bad input', () => {
  test('unknown parameters and wrong types are 400, never 500', async () => {
    for (const query of ['colour=red', 'k=0', 'k=abc', 'offset=-1', 'explain=maybe', 'userId=']) {
      const response = await call(kindred.app, 'GET', `/v1/search?q=star&${query}`);
      assert.equal(response.status, 400, query);
    }
    const body = await call(kindred.app, 'POST', '/v1/search', { q: 'star', facets: 'categories' });
    assert.equal(body.status, 400);
    const unknown = await call(kindred.app, 'POST', '/v1/search', { q: 'star', colour: 'red' });
    assert.equal(unknown.status, 400);
  });
});
