import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { call, startInProcess, type InProcessEngine } from './support/in-process.js';

describe('HTTP API v1', () => {
  let kindred: InProcessEngine;
  before(async () => {
    kindred = await startInProcess();
  });
  after(() => kindred.close());

  test('items: create, replace, patch, get, delete', async () => {
    const created = await call(kindred.app, 'POST', '/v1/items', {
      id: 'm1',
      title: 'Heat',
      categories: ['Crime', 'Drama'],
      tags: ['classic'],
      attributes: { year: 1995, price: 9.5, directors: ['Mann'], inStock: true },
      text: { description: 'A thief and a detective.' },
    });
    assert.equal(created.status, 200);
    assert.equal(created.body['title'], 'Heat');
    assert.deepEqual(created.body['attributes'], {
      year: 1995,
      price: 9.5,
      directors: ['Mann'],
      inStock: true,
    });
    const createdAt = created.body['createdAt'];

    const replaced = await call(kindred.app, 'PUT', '/v1/items/m1', {
      title: 'Heat (1995)',
      categories: ['Crime'],
    });
    assert.equal(replaced.body['title'], 'Heat (1995)');
    assert.deepEqual(replaced.body['attributes'], {}, 'replace drops what is not sent');
    assert.equal(replaced.body['createdAt'], createdAt, 'replace keeps the creation time');

    const patched = await call(kindred.app, 'PATCH', '/v1/items/m1', {
      attributes: { year: 1995, rated: 'R' },
      available: false,
    });
    assert.deepEqual(patched.body['attributes'], { year: 1995, rated: 'R' });
    const patchedAgain = await call(kindred.app, 'PATCH', '/v1/items/m1', {
      attributes: { rated: null },
    });
    assert.deepEqual(patchedAgain.body['attributes'], { year: 1995 });
    assert.equal(patchedAgain.body['available'], false);
    assert.equal(patchedAgain.body['title'], 'Heat (1995)');

    assert.equal((await call(kindred.app, 'GET', '/v1/items/m1')).status, 200);
    assert.equal((await call(kindred.app, 'DELETE', '/v1/items/m1')).status, 204);
    assert.equal((await call(kindred.app, 'GET', '/v1/items/m1')).status, 404);
    assert.equal((await call(kindred.app, 'DELETE', '/v1/items/m1')).status, 404);
  });

  test('batch upserts and cursor pagination visit every item once', async () => {
    const items = Array.from({ length: 250 }, (_, i) => ({
      id: `p${i}`,
      title: `Product ${i}`,
      attributes: { rank: i },
    }));
    const written = await call(kindred.app, 'POST', '/v1/items/batch', { items });
    assert.equal(written.status, 200);
    assert.equal(written.body['written'], 250);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await call(
        kindred.app,
        'GET',
        `/v1/items?limit=60${cursor ? `&cursor=${cursor}` : ''}`,
      );
      assert.equal(page.status, 200);
      for (const item of page.body['items'] as { id: string }[]) seen.push(item.id);
      cursor = page.body['nextCursor'] as string | null;
      pages++;
    } while (cursor && pages < 20);
    const products = seen.filter((id) => id.startsWith('p'));
    assert.equal(products.length, 250);
    assert.equal(new Set(seen).size, seen.length);
  });

  test('users: create, patch, list', async () => {
    assert.equal(
      (
        await call(kindred.app, 'PUT', '/v1/users/alice', {
          attributes: { country: 'FR', age: 31 },
        })
      ).status,
      200,
    );
    const patched = await call(kindred.app, 'PATCH', '/v1/users/alice', {
      attributes: { age: 32, plan: 'pro' },
    });
    assert.deepEqual(patched.body['attributes'], { country: 'FR', age: 32, plan: 'pro' });
    const batch = await call(kindred.app, 'POST', '/v1/users/batch', {
      users: [{ id: 'bob' }, { id: 'carol', attributes: { vip: true } }],
    });
    assert.equal(batch.body['written'], 2);
    const list = await call(kindred.app, 'GET', '/v1/users?limit=10');
    const ids = (list.body['users'] as { id: string }[]).map((u) => u.id);
    assert.ok(['alice', 'bob', 'carol'].every((id) => ids.includes(id)));
  });

  test('events create unknown users and items by default, and are idempotent by id', async () => {
    const first = await call(kindred.app, 'POST', '/v1/events', {
      id: 'e-1',
      type: 'purchase',
      userId: 'dave',
      itemId: 'new-item',
      value: 19.99,
    });
    assert.equal(first.status, 201);
    const again = await call(kindred.app, 'POST', '/v1/events', {
      id: 'e-1',
      type: 'purchase',
      userId: 'dave',
      itemId: 'new-item',
      value: 19.99,
    });
    assert.equal(again.status, 200);
    assert.equal(again.body['status'], 'duplicate');
    assert.equal(again.body['offset'], first.body['offset']);
    assert.equal((await call(kindred.app, 'GET', '/v1/users/dave')).status, 200);
    assert.equal((await call(kindred.app, 'GET', '/v1/items/new-item')).status, 200);
    const history = await call(kindred.app, 'GET', '/v1/users/dave/interactions');
    assert.deepEqual(
      (history.body['interactions'] as { itemId: string; type: string; value: number }[]).map(
        (i) => [i.itemId, i.type, i.value],
      ),
      [['new-item', 'purchase', 19.99]],
    );
  });

  test('a batch of 10,000 events is accepted in one request', async () => {
    const events = Array.from({ length: 10_000 }, (_, i) => ({
      type: 'view',
      userId: `bulk${i % 500}`,
      itemId: `p${i % 250}`,
      timestamp: 1_700_000_000 + i,
    }));
    const response = await call(kindred.app, 'POST', '/v1/events', { events });
    assert.equal(response.status, 200);
    assert.equal(response.body['accepted'], 10_000);
    assert.equal(
      kindred.engine.readModels.itemCounters.count(
        kindred.engine.readModels.catalog.ids.indexOf('p0') ?? -1,
        0,
      ),
      40,
    );
  });

  test('deleting a user forgets them everywhere but keeps aggregate counts', async () => {
    await call(kindred.app, 'PUT', '/v1/users/erin', { attributes: { email: 'erin@example.com' } });
    await call(kindred.app, 'POST', '/v1/events', {
      events: [
        { type: 'purchase', userId: 'erin', itemId: 'p1' },
        { type: 'like', userId: 'erin', itemId: 'p2' },
      ],
    });
    const models = kindred.engine.readModels;
    const p1 = models.catalog.ids.indexOf('p1') ?? -1;
    const purchase = models.interactionTypes.indexOf('purchase') ?? -1;
    const purchasesBefore = models.itemCounters.count(p1, purchase);
    const interactionsBefore = models.histories.size;

    assert.equal((await call(kindred.app, 'DELETE', '/v1/users/erin')).status, 204);
    assert.equal((await call(kindred.app, 'GET', '/v1/users/erin')).status, 404);
    assert.equal((await call(kindred.app, 'GET', '/v1/users/erin/interactions')).status, 404);
    assert.equal(models.users.ids.indexOf('erin'), undefined, 'the external id is gone');
    assert.equal(models.histories.size, interactionsBefore - 2);
    const columns = models.histories.columns();
    const snapshotText = JSON.stringify(models.snapshot().states['users']?.json);
    assert.ok(!snapshotText.includes('erin'), 'no trace in the users snapshot');
    assert.ok(
      columns.users.every((u, i) => u !== -1 || columns.items[i] === -1),
      'erased rows carry no item',
    );
    assert.equal(models.itemCounters.count(p1, purchase), purchasesBefore, 'aggregates stay');
  });

  test('health and OpenAPI', async () => {
    assert.deepEqual((await call(kindred.app, 'GET', '/health/live')).body, { status: 'ok' });
    const ready = await call(kindred.app, 'GET', '/health/ready');
    assert.equal(ready.status, 200);
    assert.equal(ready.body['status'], 'ready');
    const spec = await call(kindred.app, 'GET', '/openapi.json');
    assert.equal(spec.body['openapi'], '3.1.0');
    const paths = spec.body['paths'] as Record<string, Record<string, unknown>>;
    for (const path of [
      '/v1/events',
      '/v1/items',
      '/v1/items/{id}',
      '/v1/users/{id}',
      '/health/ready',
    ]) {
      assert.ok(paths[path], `documents ${path}`);
    }
    const eventBody = JSON.stringify(paths['/v1/events']?.['post']);
    assert.ok(
      eventBody.includes('"userId"') && eventBody.includes('"itemId"'),
      'request schema is the validating one',
    );
  });
});

describe('rejecting events for unknown entities', () => {
  let kindred: InProcessEngine;
  before(async () => {
    kindred = await startInProcess({ KINDRED_UNKNOWN_ENTITIES: 'reject' });
  });
  after(() => kindred.close());

  test('422 with UNKNOWN_USER / UNKNOWN_ITEM, accepted once both exist', async () => {
    const noUser = await call(kindred.app, 'POST', '/v1/events', {
      type: 'click',
      userId: 'ghost',
      itemId: 'i1',
    });
    assert.equal(noUser.status, 422);
    assert.equal(noUser.body.error?.code, 'UNKNOWN_USER');
    await call(kindred.app, 'POST', '/v1/users', { id: 'ghost' });
    const noItem = await call(kindred.app, 'POST', '/v1/events', {
      type: 'click',
      userId: 'ghost',
      itemId: 'i1',
    });
    assert.equal(noItem.body.error?.code, 'UNKNOWN_ITEM');
    await call(kindred.app, 'POST', '/v1/items', { id: 'i1' });
    assert.equal(
      (
        await call(kindred.app, 'POST', '/v1/events', {
          type: 'click',
          userId: 'ghost',
          itemId: 'i1',
        })
      ).status,
      201,
    );
  });
});
