// GET /v1/users/{id}/recommendations is answered on node:http directly, before the
// framework: the same bodies, headers, errors, metrics and gateway checks as the framework
// route (reached here through `app.inject`, which never takes the direct path), and the
// requests it does not fully understand handed over to that route.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startModelServer, type ModelServer } from './support/model-server.js';
import { plantedInteractions, TEST_PIPELINE } from './support/planted-data.js';
import { SECURITY_HEADERS } from '../src/gateway/http-headers.js';

const MASTER = 'direct-route-master-key-0123456789abcdef';

interface Answered {
  status: number;
  body: Record<string, unknown>;
  headers: Record<string, string>;
}

async function overSocket(
  kindred: ModelServer,
  path: string,
  headers: Record<string, string> = {},
): Promise<Answered> {
  const response = await fetch(kindred.url + path, { headers });
  const text = await response.text();
  return {
    status: response.status,
    body: JSON.parse(text) as Record<string, unknown>,
    headers: Object.fromEntries(response.headers.entries()),
  };
}

async function throughFramework(
  kindred: ModelServer,
  path: string,
  headers: Record<string, string> = {},
): Promise<Answered> {
  const response = await kindred.app.inject({ method: 'GET', url: path, headers });
  return {
    status: response.statusCode,
    body: JSON.parse(response.body) as Record<string, unknown>,
    headers: Object.fromEntries(
      Object.entries(response.headers).map(([name, value]) => [name, String(value)]),
    ),
  };
}

/** The body without what differs between two answers by design (the list's id). */
function comparable(answer: Answered): Record<string, unknown> {
  const { recommendationId, ...rest } = answer.body;
  if (answer.status === 200) assert.equal(typeof recommendationId, 'string');
  return rest;
}

async function trainedServer(env: Record<string, string> = {}): Promise<ModelServer> {
  const kindred = await startModelServer({ KINDRED_TRAINING_PIPELINE: TEST_PIPELINE, ...env });
  const items = [];
  for (let block = 0; block < 6; block++)
    for (let i = 0; i < 40; i++)
      items.push({
        id: `i${block}-${i}`,
        categories: [`block-${block}`, i % 2 === 0 ? 'even' : 'odd'],
        attributes: { price: i },
      });
  const headers = env['KINDRED_MASTER_KEY'] ? { authorization: `Bearer ${MASTER}` } : undefined;
  const upserted = await kindred.client.post('/v1/items/batch', { items }, { headers: headers! });
  assert.equal(upserted.status, 200, upserted.text);
  await kindred.record(plantedInteractions().events);
  const trained = await kindred.client.post(
    '/v1/models/train?wait=true',
    {},
    { headers: headers! },
  );
  assert.equal(trained.status, 200, trained.text);
  return kindred;
}

describe('direct recommendations route', () => {
  let kindred: ModelServer;
  before(async () => {
    kindred = await trainedServer();
  });
  after(() => kindred.close());

  test('answers as the framework route does: body, headers, order of fields', async () => {
    const paths = [
      '/v1/users/u0-1/recommendations',
      '/v1/users/u1-3/recommendations?k=7',
      '/v1/users/u2-5/recommendations?k=5&offset=3',
      `/v1/users/u3-7/recommendations?k=10&filter=${encodeURIComponent('"even" in categories and price >= 10')}`,
      '/v1/users/u4-9/recommendations?k=6&exclude=i4-0,i4-2,%20i4-4&scenario=default',
      '/v1/users/u5-11/recommendations?k=8&diversity=cap:2&explain=false',
      '/v1/users/u0-2/recommendations?k=4&filter=%22odd%22+in+categories',
      '/v1/users/nobody-at-all/recommendations?k=3',
      '/v1/users/u%30-1/recommendations?k=3',
    ];
    for (const path of paths) {
      const direct = await overSocket(kindred, path);
      const framework = await throughFramework(kindred, path);
      assert.equal(direct.status, 200, `${path}: ${JSON.stringify(direct.body)}`);
      assert.equal(framework.status, 200, path);
      assert.match(direct.headers['x-request-id'] ?? '', /^req-d/, `${path} went direct`);
      assert.doesNotMatch(framework.headers['x-request-id'] ?? '', /^req-d/);
      assert.deepEqual(comparable(direct), comparable(framework), path);
      assert.deepEqual(Object.keys(direct.body), Object.keys(framework.body), path);
      for (const name of [...Object.keys(SECURITY_HEADERS), 'content-type'])
        assert.equal(direct.headers[name], framework.headers[name], `${path}: ${name}`);
    }
  });

  test('a client-sent request id is echoed when safe, replaced when not', async () => {
    const echoed = await overSocket(kindred, '/v1/users/u0-1/recommendations?k=2', {
      'x-request-id': 'trace-42',
    });
    assert.equal(echoed.headers['x-request-id'], 'trace-42');
    const replaced = await overSocket(kindred, '/v1/users/u0-1/recommendations?k=2', {
      'x-request-id': 'x'.repeat(300),
    });
    assert.match(replaced.headers['x-request-id'] ?? '', /^req-d/);
  });

  test('errors the service raises carry the catalog body and status', async () => {
    const path = '/v1/users/u0-1/recommendations?scenario=no-such-placement';
    const direct = await overSocket(kindred, path);
    const framework = await throughFramework(kindred, path);
    assert.equal(direct.status, 404);
    assert.match(direct.headers['x-request-id'] ?? '', /^req-d/);
    assert.deepEqual(direct.body, framework.body);
    const badRule = `/v1/users/u0-1/recommendations?filter=${encodeURIComponent('price >=')}`;
    const directRule = await overSocket(kindred, badRule);
    assert.equal(directRule.status, 400);
    assert.equal((directRule.body['error'] as { code: string }).code, 'INVALID_RULE');
    assert.deepEqual(directRule.body, (await throughFramework(kindred, badRule)).body);
  });

  test('what the route schema refuses or the direct path does not take goes to the framework', async () => {
    const handedOver: [string, number][] = [
      ['/v1/users/u0-1/recommendations?k=0', 400],
      ['/v1/users/u0-1/recommendations?k=abc', 400],
      ['/v1/users/u0-1/recommendations?k=3&k=4', 400],
      ['/v1/users/u0-1/recommendations?colour=red', 400],
      ['/v1/users/u0-1/recommendations?explain=true', 200],
      ['/v1/users/u0-1/recommendations?diversity=most', 400],
      ['/v1/users/u0-1/recommendations?scenario=-bad', 400],
      ['/v1/users/u0-1/recommendations?filter=%E0%A4%A', 400],
      ['/v1/users/u0-1/recommendations/', 404],
      ['/v1/users//recommendations', 400],
    ];
    for (const [path, status] of handedOver) {
      const direct = await overSocket(kindred, path);
      const framework = await throughFramework(kindred, path);
      assert.equal(direct.status, status, `${path}: ${JSON.stringify(direct.body)}`);
      assert.doesNotMatch(direct.headers['x-request-id'] ?? '', /^req-d/, `${path} handed over`);
      // Explanations carry live feature values (impressions move them): fields only.
      if (status === 200) assert.deepEqual(Object.keys(direct.body), Object.keys(framework.body));
      else assert.deepEqual(direct.body, framework.body, path);
    }
  });

  test('served lists page on and are counted in the request metrics', async () => {
    const first = await overSocket(kindred, '/v1/users/u1-1/recommendations?k=4');
    const id = first.body['recommendationId'] as string;
    const next = await overSocket(
      kindred,
      `/v1/users/u1-1/recommendations?k=4&recommendationId=${id}`,
    );
    assert.equal(next.status, 200);
    assert.equal(next.body['recommendationId'], id);
    const seen = (answer: Answered): string[] =>
      (answer.body['items'] as { id: string }[]).map((item) => item.id);
    assert.equal(seen(next).filter((item) => seen(first).includes(item)).length, 0, 'no repeats');
    const metrics = await kindred.client.get('/metrics', { parse: false });
    const line = metrics.text
      .split('\n')
      .find((row) =>
        row.startsWith(
          'kindred_http_request_duration_seconds_count{method="GET",route="/v1/users/:id/recommendations",status="200"}',
        ),
      );
    assert.ok(line, 'the direct answers are in the duration histogram');
    assert.ok(Number(line.split(' ').pop()) >= 2);
  });
});

describe('direct recommendations route with authentication on', () => {
  let kindred: ModelServer;
  let readerKey = '';
  let writerKey = '';
  before(async () => {
    kindred = await trainedServer({
      KINDRED_MASTER_KEY: MASTER,
      KINDRED_RATE_LIMIT_PER_KEY: '1',
      KINDRED_RATE_LIMIT_PER_KEY_BURST: '3',
    });
    const master = { headers: { authorization: `Bearer ${MASTER}` } };
    const reader = await kindred.client.post<{ key: string }>(
      '/v1/keys',
      { name: 'reader', scopes: ['recommendations:read'] },
      master,
    );
    assert.equal(reader.status, 201, reader.text);
    readerKey = reader.body.key;
    const writer = await kindred.client.post<{ key: string }>(
      '/v1/keys',
      { name: 'writer', scopes: ['events:write'] },
      master,
    );
    writerKey = writer.body.key;
  });
  after(() => kindred.close());

  test('a key in scope is served directly, with its rate-limit headers', async () => {
    const path = '/v1/users/u0-1/recommendations?k=3';
    const answered = await overSocket(kindred, path, { authorization: `Bearer ${readerKey}` });
    assert.equal(answered.status, 200, JSON.stringify(answered.body));
    assert.match(answered.headers['x-request-id'] ?? '', /^req-d/);
    assert.equal(answered.headers['ratelimit-limit'], '3');
    assert.ok(Number(answered.headers['ratelimit-remaining']) < 3);
    const byHeader = await overSocket(kindred, path, { 'x-api-key': readerKey });
    assert.equal(byHeader.status, 200);
  });

  test('refusals and browser requests are answered directly, as the framework answers them', async () => {
    const path = '/v1/users/u0-1/recommendations?k=3';
    const browserKey = (
      await kindred.client.post<{ key: string }>(
        '/v1/keys',
        { name: 'site', scopes: ['recommendations:read'], origins: ['https://shop.example'] },
        { headers: { authorization: `Bearer ${MASTER}` } },
      )
    ).body.key;
    const cases: [string, Record<string, string>][] = [
      ['no key', {}],
      ['a wrong key', { authorization: 'Bearer kdr_nope' }],
      ['a key out of scope', { authorization: `Bearer ${writerKey}` }],
      [
        'a browser key from its origin',
        { authorization: `Bearer ${browserKey}`, origin: 'https://shop.example' },
      ],
      [
        'a browser key from another origin',
        { authorization: `Bearer ${browserKey}`, origin: 'https://evil.example' },
      ],
    ];
    const compared = [
      ...Object.keys(SECURITY_HEADERS),
      'content-type',
      'www-authenticate',
      'access-control-allow-origin',
      'access-control-expose-headers',
      'vary',
      'ratelimit-limit',
      'ratelimit-policy',
    ];
    const statuses: number[] = [];
    for (const [label, headers] of cases) {
      const direct = await overSocket(kindred, path, headers);
      const framework = await throughFramework(kindred, path, headers);
      assert.match(direct.headers['x-request-id'] ?? '', /^req-d/, `${label}: went direct`);
      assert.equal(direct.status, framework.status, label);
      if (direct.status === 200) assert.deepEqual(comparable(direct), comparable(framework), label);
      else assert.deepEqual(direct.body, framework.body, label);
      for (const name of compared)
        assert.equal(direct.headers[name], framework.headers[name], `${label}: ${name}`);
      statuses.push(direct.status);
    }
    assert.deepEqual(statuses, [401, 401, 403, 200, 403]);
  });

  test('a missing, wrong or out-of-scope key, or a used-up rate, is refused as anywhere else', async () => {
    const path = '/v1/users/u0-1/recommendations?k=3';
    const missing = await overSocket(kindred, path);
    assert.equal(missing.status, 401);
    assert.equal((missing.body['error'] as { code: string }).code, 'UNAUTHORIZED');
    const wrong = await overSocket(kindred, path, { authorization: 'Bearer kdr_nope' });
    assert.equal(wrong.status, 401);
    const scope = await overSocket(kindred, path, { authorization: `Bearer ${writerKey}` });
    assert.equal(scope.status, 403);
    assert.equal((scope.body['error'] as { code: string }).code, 'FORBIDDEN');
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++)
      statuses.push(
        (await overSocket(kindred, path, { authorization: `Bearer ${readerKey}` })).status,
      );
    assert.ok(statuses.includes(429), `a burst of 3 is used up: ${statuses.join(',')}`);
  });
});
