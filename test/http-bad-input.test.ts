import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ERROR_CATALOG } from '../src/errors/catalog.js';
import {
  call,
  startInProcess,
  type InProcessEngine,
  type JsonResponse,
} from './support/in-process.js';

function assertError(response: JsonResponse, status: number, code: string): void {
  assert.equal(response.status, status, JSON.stringify(response.body));
  assert.ok(response.body.error, 'error body present');
  assert.equal(response.body.error.code, code);
  assert.equal(typeof response.body.error.message, 'string');
  assert.equal(typeof response.body.error.details, 'object');
  assert.ok(code in ERROR_CATALOG);
}

describe('bad input gets a 4xx with a catalog code and loses nothing acknowledged', () => {
  let kindred: InProcessEngine;
  before(async () => {
    kindred = await startInProcess({ KINDRED_BODY_LIMIT_BYTES: String(64 * 1024) });
    const seeded = await call(kindred.app, 'POST', '/v1/events', {
      id: 'acked-1',
      type: 'click',
      userId: 'u1',
      itemId: 'i1',
    });
    assert.equal(seeded.status, 201);
  });
  after(() => kindred.close());

  test('malformed JSON', async () => {
    assertError(
      await call(kindred.app, 'POST', '/v1/events', '{"type": "click",'),
      400,
      'INVALID_JSON',
    );
    assertError(
      await call(kindred.app, 'POST', '/v1/items', '{"id": "x"} trailing'),
      400,
      'INVALID_JSON',
    );
    assertError(await call(kindred.app, 'POST', '/v1/events', ''), 400, 'INVALID_JSON');
  });

  test('prototype pollution attempts are refused', async () => {
    const response = await call(
      kindred.app,
      'POST',
      '/v1/items',
      '{"id":"p","__proto__":{"admin":true}}',
    );
    assert.ok(response.status === 400, `status ${response.status}`);
    assert.ok(response.body.error && response.body.error.code in ERROR_CATALOG);
  });

  test('wrong types are not coerced', async () => {
    assertError(
      await call(kindred.app, 'POST', '/v1/events', { type: 'click', userId: 5, itemId: 'i' }),
      400,
      'INVALID_REQUEST',
    );
    assertError(
      await call(kindred.app, 'POST', '/v1/events', {
        type: 'rating',
        userId: 'u',
        itemId: 'i',
        value: '5',
      }),
      400,
      'INVALID_REQUEST',
    );
    assertError(
      await call(kindred.app, 'POST', '/v1/items', { id: 'x', categories: 'Drama' }),
      400,
      'INVALID_REQUEST',
    );
    assertError(
      await call(kindred.app, 'POST', '/v1/items', {
        id: 'x',
        attributes: { nested: { deep: 1 } },
      }),
      400,
      'INVALID_REQUEST',
    );
    assertError(await call(kindred.app, 'POST', '/v1/events', [1, 2, 3]), 400, 'INVALID_REQUEST');
    assertError(await call(kindred.app, 'GET', '/v1/items?limit=abc'), 400, 'INVALID_REQUEST');
    assertError(await call(kindred.app, 'GET', '/v1/items?limit=100000'), 400, 'INVALID_REQUEST');
  });

  test('missing fields name the field', async () => {
    const response = await call(kindred.app, 'POST', '/v1/events', { type: 'click', userId: 'u1' });
    assertError(response, 400, 'INVALID_REQUEST');
    assert.equal(response.body.error?.details['field'], 'itemId');
    assertError(
      await call(kindred.app, 'POST', '/v1/items', { title: 'no id' }),
      400,
      'INVALID_REQUEST',
    );
  });

  test('bad timestamps', async () => {
    for (const timestamp of [
      'yesterday',
      '2024-13-45T00:00:00Z',
      -5,
      4_102_444_800,
      '2024/01/01',
      1e300,
    ]) {
      const response = await call(kindred.app, 'POST', '/v1/events', {
        type: 'click',
        userId: 'u1',
        itemId: 'i1',
        timestamp,
      });
      assertError(response, 400, 'INVALID_TIMESTAMP');
    }
    const ok = await call(kindred.app, 'POST', '/v1/events', {
      type: 'click',
      userId: 'u1',
      itemId: 'i1',
      timestamp: '2024-01-01T10:00:00Z',
    });
    assert.equal(ok.status, 201);
  });

  test('oversized bodies', async () => {
    const huge = {
      events: Array.from({ length: 2000 }, (_, i) => ({
        type: 'click',
        userId: `u${i}`,
        itemId: 'i1',
      })),
    };
    assertError(await call(kindred.app, 'POST', '/v1/events', huge), 413, 'PAYLOAD_TOO_LARGE');
  });

  test('too many rows in a batch', async () => {
    const small = await startInProcess({ KINDRED_EVENTS_MAX_BATCH: '3' });
    try {
      const rows = Array.from({ length: 4 }, () => ({ type: 'click', userId: 'u', itemId: 'i' }));
      assertError(
        await call(small.app, 'POST', '/v1/events', { events: rows }),
        400,
        'BATCH_TOO_LARGE',
      );
      assertError(
        await call(small.app, 'POST', '/v1/items/batch', {
          items: rows.map((_, i) => ({ id: `i${i}` })),
        }),
        400,
        'BATCH_TOO_LARGE',
      );
    } finally {
      await small.close();
    }
  });

  test('unknown fields are rejected, not dropped', async () => {
    const response = await call(kindred.app, 'POST', '/v1/events', {
      type: 'click',
      userId: 'u1',
      itemId: 'i1',
      usr: 'x',
    });
    assertError(response, 400, 'UNKNOWN_FIELD');
    assert.equal(response.body.error?.details['field'], 'usr');
    assertError(
      await call(kindred.app, 'POST', '/v1/items', { id: 'x', titel: 'typo' }),
      400,
      'UNKNOWN_FIELD',
    );
    assertError(
      await call(kindred.app, 'POST', '/v1/events', { events: [], extra: 1 }),
      400,
      'UNKNOWN_FIELD',
    );
    assertError(await call(kindred.app, 'GET', '/v1/items?limt=5'), 400, 'UNKNOWN_FIELD');
  });

  test('a batch with some bad rows lists every bad row and writes nothing', async () => {
    const before = await kindred.engine.log.count();
    const response = await call(kindred.app, 'POST', '/v1/events', {
      events: [
        { type: 'click', userId: 'u1', itemId: 'i2' },
        { type: 'clik', userId: 'u1', itemId: 'i2' },
        { type: 'click', userId: 'u1' },
        { type: 'click', userId: 'u1', itemId: 'i3', timestamp: 'soon' },
        { type: 'view', userId: 'u2', itemId: 'i3' },
      ],
    });
    assertError(response, 400, 'BATCH_HAS_INVALID_ROWS');
    const rows = response.body.error?.details['rows'] as {
      index: number;
      error: { code: string };
    }[];
    assert.deepEqual(
      rows.map((r) => [r.index, r.error.code]),
      [
        [1, 'UNKNOWN_INTERACTION_TYPE'],
        [2, 'INVALID_REQUEST'],
        [3, 'INVALID_TIMESTAMP'],
      ],
    );
    assert.equal(await kindred.engine.log.count(), before);
  });

  test('partial=true writes the good rows and reports the bad ones', async () => {
    const response = await call(kindred.app, 'POST', '/v1/events?partial=true', {
      events: [
        { id: 'p-1', type: 'click', userId: 'u1', itemId: 'i2' },
        { type: 'clik', userId: 'u1', itemId: 'i2' },
        { id: 'acked-1', type: 'click', userId: 'u1', itemId: 'i1' },
      ],
    });
    assert.equal(response.status, 200);
    assert.deepEqual(
      [response.body['accepted'], response.body['duplicates'], response.body['rejected']],
      [1, 1, 1],
    );
    const results = response.body['results'] as {
      index: number;
      status?: string;
      error?: { code: string };
    }[];
    assert.deepEqual(
      results.map((r) => r.status ?? r.error?.code),
      ['accepted', 'UNKNOWN_INTERACTION_TYPE', 'duplicate'],
    );
  });

  test('bad ids, cursors, routes and media types', async () => {
    assertError(await call(kindred.app, 'POST', '/v1/items', { id: '' }), 400, 'INVALID_REQUEST');
    assertError(
      await call(kindred.app, 'POST', '/v1/items', { id: 'a\u0001b' }),
      400,
      'INVALID_REQUEST',
    );
    assertError(
      await call(kindred.app, 'POST', '/v1/items', { id: 'x'.repeat(300) }),
      400,
      'INVALID_REQUEST',
    );
    assertError(await call(kindred.app, 'GET', '/v1/items?cursor=bogus'), 400, 'INVALID_CURSOR');
    assertError(await call(kindred.app, 'GET', '/v1/nowhere'), 404, 'ROUTE_NOT_FOUND');
    assertError(await call(kindred.app, 'GET', '/v1/items/missing'), 404, 'ITEM_NOT_FOUND');
    assertError(
      await call(kindred.app, 'PATCH', '/v1/users/missing', { attributes: {} }),
      404,
      'USER_NOT_FOUND',
    );
    assertError(await call(kindred.app, 'PUT', '/v1/items/a', { id: 'b' }), 400, 'ID_MISMATCH');
    const form = await kindred.app.inject({
      method: 'POST',
      url: '/v1/events',
      payload: 'type=click',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(form.statusCode, 415);
    assert.equal(
      (JSON.parse(form.body) as JsonResponse['body']).error?.code,
      'UNSUPPORTED_MEDIA_TYPE',
    );
  });

  test('non-finite and extreme numbers', async () => {
    assertError(
      await call(
        kindred.app,
        'POST',
        '/v1/events',
        '{"type":"rating","userId":"u","itemId":"i","value":1e999}',
      ),
      400,
      'INVALID_REQUEST',
    );
    assertError(
      await call(
        kindred.app,
        'POST',
        '/v1/events',
        '{"type":"rating","userId":"u","itemId":"i","value":NaN}',
      ),
      400,
      'INVALID_JSON',
    );
  });

  test('nothing acknowledged was lost along the way', async () => {
    const history = await call(kindred.app, 'GET', '/v1/users/u1/interactions');
    assert.equal(history.status, 200);
    const interactions = history.body['interactions'] as { itemId: string }[];
    assert.ok(interactions.some((i) => i.itemId === 'i1'));
    assert.ok(interactions.some((i) => i.itemId === 'i2'));
    const events = await kindred.engine.log.readAfter(0, 100);
    assert.equal(events.filter((e) => e.id === 'acked-1').length, 1);
  });
});
