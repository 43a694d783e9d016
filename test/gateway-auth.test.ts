// The authorization matrix: every route of the real app against every scope, with no
// key, a wrong key, an expired key, a revoked key, the master key and one key per scope;
// plus browser keys and origins, rate limits, CORS and security headers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ERROR_CATALOG } from '../src/errors/catalog.js';
import type { GatewayRoute } from '../src/gateway/gateway.js';
import { SCOPES } from '../src/gateway/scopes.js';
import {
  call,
  startInProcess,
  type InProcessEngine,
  type JsonResponse,
} from './support/in-process.js';

const MASTER = 'matrix-master-key-0123456789';
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function concrete(route: GatewayRoute): string {
  if (route.url === '/*') return '/v1/items';
  return route.url
    .replace(':id/rotate', '000000000000/rotate')
    .replace(/:id/g, route.url.startsWith('/v1/keys') ? '000000000000' : 'matrix-nobody');
}

async function send(
  kindred: InProcessEngine,
  route: GatewayRoute,
  headers: Record<string, string>,
): Promise<{ status: number; body: JsonResponse['body']; headers: Record<string, unknown> }> {
  const hasBody = ['POST', 'PUT', 'PATCH'].includes(route.method);
  const response = await kindred.app.inject({
    method: route.method as 'GET',
    url: concrete(route),
    headers: { ...headers, ...(hasBody ? { 'content-type': 'application/json' } : {}) },
    ...(hasBody ? { payload: '{}' } : {}),
  });
  let body: JsonResponse['body'] = {};
  try {
    body = response.body ? (JSON.parse(response.body) as JsonResponse['body']) : {};
  } catch {
    body = {};
  }
  return { status: response.statusCode, body, headers: response.headers };
}

describe('authorization matrix', () => {
  let kindred: InProcessEngine;
  const tokens = new Map<string, string>();
  before(async () => {
    // No rate limits: the matrix makes four failed authentications per route from one
    // address, more than the per-address burst once there are enough routes.
    kindred = await startInProcess({
      KINDRED_MASTER_KEY: MASTER,
      KINDRED_RATE_LIMIT_PER_KEY: '0',
      KINDRED_RATE_LIMIT_PER_ADDRESS: '0',
    });
    const master = { authorization: `Bearer ${MASTER}` };
    for (const scope of SCOPES) {
      const created = await call(
        kindred.app,
        'POST',
        '/v1/keys',
        { name: scope, scopes: [scope] },
        master,
      );
      assert.equal(created.status, 201, JSON.stringify(created.body));
      tokens.set(scope, created.body['key'] as string);
    }
    const revoked = await call(
      kindred.app,
      'POST',
      '/v1/keys',
      { name: 'revoked', scopes: ['admin'] },
      master,
    );
    tokens.set('revoked', revoked.body['key'] as string);
    assert.equal(
      (
        await call(
          kindred.app,
          'DELETE',
          `/v1/keys/${revoked.body['id'] as string}`,
          undefined,
          master,
        )
      ).status,
      204,
    );
    const expired = await call(
      kindred.app,
      'POST',
      '/v1/keys',
      { name: 'expired', scopes: ['admin'], expiresInSeconds: 1 },
      master,
    );
    tokens.set('expired', expired.body['key'] as string);
    tokens.set('wrong', `kdr_${'0'.repeat(12)}_${'x'.repeat(43)}`);
    await sleep(1100);
  });
  after(() => kindred.close());

  test('every route x every caller', async () => {
    const routes = kindred.app.kindredGateway.routes();
    let cells = 0;
    for (const route of routes) {
      // Without a key.
      const none = await send(kindred, route, {});
      const head = route.method === 'HEAD'; // no body to read
      if (route.scope === 'public') {
        assert.ok(![401, 403].includes(none.status), `${route.method} ${route.url} is public`);
      } else {
        assert.equal(none.status, 401, `${route.method} ${route.url} without a key`);
        if (!head) assert.equal(none.body.error?.code, 'UNAUTHORIZED');
        if (!head) assert.equal(none.body.error?.details['reason'], 'missing');
        assert.equal(none.headers['www-authenticate'], 'Bearer realm="kindred"');
      }
      cells++;
      for (const [caller, reason] of [
        ['wrong', 'invalid'],
        ['expired', 'expired'],
        ['revoked', 'revoked'],
      ] as const) {
        const answer = await send(kindred, route, {
          authorization: `Bearer ${tokens.get(caller) as string}`,
        });
        if (route.scope === 'public') assert.ok(![401, 403].includes(answer.status));
        else {
          assert.equal(answer.status, 401, `${route.method} ${route.url} with a ${caller} key`);
          if (!head) assert.equal(answer.body.error?.details['reason'], reason);
        }
        cells++;
      }
      const master = await send(kindred, route, { 'x-api-key': MASTER });
      assert.ok(
        ![401, 403].includes(master.status),
        `${route.method} ${route.url} with the master key: ${master.status}`,
      );
      cells++;
      for (const scope of SCOPES) {
        const answer = await send(kindred, route, {
          authorization: `bearer ${tokens.get(scope) as string}`,
        });
        const allowed = route.scope === 'public' || scope === 'admin' || scope === route.scope;
        if (allowed)
          assert.ok(
            ![401, 403].includes(answer.status),
            `${route.method} ${route.url} with ${scope}: ${answer.status} ${JSON.stringify(answer.body)}`,
          );
        else {
          assert.equal(answer.status, 403, `${route.method} ${route.url} with ${scope}`);
          if (!head) assert.equal(answer.body.error?.code, 'FORBIDDEN');
          if (!head) assert.equal(answer.body.error?.details['required'], route.scope);
        }
        if (answer.body.error) assert.ok(answer.body.error.code in ERROR_CATALOG);
        cells++;
      }
    }
    assert.ok(routes.length >= 39, `${routes.length} routes`);
    // The live stream is in the matrix (without models here it never starts streaming).
    assert.ok(
      routes.some(
        (r) =>
          r.url === '/v1/users/:id/recommendations/stream' && r.scope === 'recommendations:read',
      ),
    );
    process.stdout.write(
      `# authorization matrix: ${routes.length} routes x 10 callers = ${cells} cells\n`,
    );
  });

  test('with a scope the request goes through to the route', async () => {
    const catalog = { authorization: `Bearer ${tokens.get('catalog:write') as string}` };
    const created = await call(kindred.app, 'POST', '/v1/items', { id: 'm1', title: 'M' }, catalog);
    assert.equal(created.status, 200);
    const events = { 'x-api-key': tokens.get('events:write') as string };
    assert.equal(
      (
        await call(
          kindred.app,
          'POST',
          '/v1/events',
          { type: 'view', userId: 'u', itemId: 'm1' },
          events,
        )
      ).status,
      201,
    );
    assert.equal((await call(kindred.app, 'GET', '/v1/items/m1', undefined, events)).status, 403);
  });
});

describe('browser keys, rate limits, CORS and security headers', () => {
  let kindred: InProcessEngine;
  let browserKey = '';
  let serverKey = '';
  const master = { authorization: `Bearer ${MASTER}` };
  before(async () => {
    kindred = await startInProcess({
      KINDRED_MASTER_KEY: MASTER,
      KINDRED_RATE_LIMIT_PER_KEY: '5',
      KINDRED_RATE_LIMIT_PER_KEY_BURST: '5',
      KINDRED_RATE_LIMIT_PER_ADDRESS: '3',
      KINDRED_RATE_LIMIT_PER_ADDRESS_BURST: '3',
      KINDRED_CORS_ORIGINS: 'https://admin.example',
    });
    const browser = await call(
      kindred.app,
      'POST',
      '/v1/keys',
      {
        name: 'shop',
        scopes: ['events:write', 'recommendations:read'],
        origins: ['https://shop.example'],
      },
      master,
    );
    assert.equal(browser.status, 201, JSON.stringify(browser.body));
    browserKey = browser.body['key'] as string;
    const server = await call(
      kindred.app,
      'POST',
      '/v1/keys',
      { name: 'backend', scopes: ['catalog:write'] },
      master,
    );
    serverKey = server.body['key'] as string;
    const refused = await call(
      kindred.app,
      'POST',
      '/v1/keys',
      { name: 'x', scopes: ['admin'], origins: ['https://shop.example'] },
      master,
    );
    assert.equal(refused.status, 400);
  });
  after(() => kindred.close());

  test('preflights: allowed for configured origins and browser-key origins, refused otherwise', async () => {
    for (const origin of ['https://admin.example', 'https://shop.example']) {
      const answer = await kindred.app.inject({
        method: 'OPTIONS',
        url: '/v1/events',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, content-type',
        },
      });
      assert.equal(answer.statusCode, 204, origin);
      assert.equal(answer.headers['access-control-allow-origin'], origin);
      assert.match(String(answer.headers['access-control-allow-headers']), /authorization/);
      assert.match(String(answer.headers['access-control-allow-methods']), /POST/);
    }
    const evil = await kindred.app.inject({
      method: 'OPTIONS',
      url: '/v1/events',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    assert.equal(evil.statusCode, 403);
    assert.equal(JSON.parse(evil.body).error.code, 'ORIGIN_NOT_ALLOWED');
    assert.equal(evil.headers['access-control-allow-origin'], undefined);
  });

  test('a browser key works from its origin only, and is rate limited per address', async () => {
    const event = { type: 'view', userId: 'shopper', itemId: 'thing' };
    const fromShop = await call(kindred.app, 'POST', '/v1/events', event, {
      authorization: `Bearer ${browserKey}`,
      origin: 'https://shop.example',
    });
    assert.equal(fromShop.status, 201);
    assert.equal(fromShop.headers['access-control-allow-origin'], 'https://shop.example');
    assert.match(String(fromShop.headers['access-control-expose-headers']), /ratelimit-remaining/);
    const fromAdmin = await call(kindred.app, 'POST', '/v1/events', event, {
      authorization: `Bearer ${browserKey}`,
      origin: 'https://admin.example',
    });
    assert.equal(fromAdmin.status, 403);
    assert.equal(fromAdmin.body.error?.code, 'ORIGIN_NOT_ALLOWED');
    // Per-address bucket of 3: two more pass, then 429 with Retry-After.
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++)
      statuses.push(
        (
          await call(kindred.app, 'POST', '/v1/events', event, {
            authorization: `Bearer ${browserKey}`,
            origin: 'https://shop.example',
          })
        ).status,
      );
    assert.deepEqual(statuses, [201, 201, 429]);
  });

  test('per-key limits answer 429 with Retry-After and the RateLimit headers', async () => {
    const headers = { authorization: `Bearer ${serverKey}` };
    const answers: JsonResponse[] = [];
    for (let i = 0; i < 6; i++)
      answers.push(await call(kindred.app, 'GET', '/v1/items', undefined, headers));
    assert.deepEqual(
      answers.map((a) => a.status),
      [200, 200, 200, 200, 200, 429],
    );
    assert.equal(answers[0]?.headers['ratelimit-limit'], '5');
    assert.equal(answers[0]?.headers['ratelimit-remaining'], '4');
    assert.equal(answers[0]?.headers['ratelimit-policy'], '5;w=1');
    const limited = answers[5] as JsonResponse;
    assert.equal(limited.body.error?.code, 'RATE_LIMITED');
    assert.equal(limited.headers['retry-after'], '1');
    assert.equal(limited.headers['ratelimit-remaining'], '0');
    assert.equal(limited.body.error?.details['limit'], 'key');
    // The master key is not rate limited.
    for (let i = 0; i < 10; i++)
      assert.equal((await call(kindred.app, 'GET', '/v1/items', undefined, master)).status, 200);
  });

  test('guessing keys is rate limited per address', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const answer = await kindred.app.inject({
        method: 'GET',
        url: '/v1/items',
        remoteAddress: '192.0.2.7',
        headers: { authorization: `Bearer guess-${i}` },
      });
      statuses.push(answer.statusCode);
    }
    assert.deepEqual(statuses, [401, 401, 401, 429, 429, 429]);
  });

  test('security headers on every answer: 200, 401/429, 404', async () => {
    const answers = [
      await call(kindred.app, 'GET', '/health/live'),
      await call(kindred.app, 'GET', '/v1/items'),
      await call(kindred.app, 'GET', '/no/such/route'),
      await call(kindred.app, 'GET', '/v1/items', undefined, master),
    ];
    // The second is 401, or 429 once earlier tests used up this address's bucket.
    assert.equal(answers[0]?.status, 200);
    assert.ok([401, 429].includes(answers[1]?.status as number));
    assert.equal(answers[2]?.status, 404);
    assert.equal(answers[3]?.status, 200);
    for (const answer of answers) {
      assert.equal(answer.headers['x-content-type-options'], 'nosniff');
      assert.equal(answer.headers['x-frame-options'], 'DENY');
      assert.equal(answer.headers['referrer-policy'], 'no-referrer');
      assert.equal(answer.headers['cache-control'], 'no-store');
      assert.match(String(answer.headers['content-security-policy']), /default-src 'none'/);
      assert.ok(answer.headers['x-request-id']);
    }
  });
});

describe('without a master key', () => {
  let kindred: InProcessEngine;
  before(async () => {
    kindred = await startInProcess({});
  });
  after(() => kindred.close());

  test('authentication is off: every route answers without a key', async () => {
    for (const route of kindred.app.kindredGateway.routes()) {
      const answer = await send(kindred, route, {});
      assert.ok(
        ![401, 403, 429].includes(answer.status),
        `${route.method} ${route.url}: ${answer.status}`,
      );
    }
  });
});
