import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStateStore } from '../adapters/memory/memory-state-store.js';
import { isKindredError } from '../errors/catalog.js';
import {
  API_KEYS_NAMESPACE,
  ApiKeyStore,
  MASTER_KEY,
  keyView,
  normaliseOrigin,
} from './api-keys.js';
import { allows } from './scopes.js';

function clock(start = 1_800_000_000_000): { now: () => number; advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

function rejects(code: string) {
  return (error: unknown): boolean => isKindredError(error) && error.code === code;
}

test('a created key authenticates with exactly its scopes; wrong or tampered keys do not', async () => {
  const keys = new ApiKeyStore(new MemoryStateStore(), { masterKey: 'master-secret-1' });
  const { record, token } = await keys.create({
    name: 'backend',
    scopes: ['events:write', 'catalog:write'],
  });
  assert.match(token, /^kdr_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
  const caller = keys.authenticate(token);
  assert.ok(typeof caller === 'object');
  assert.equal(caller.id, record.id);
  assert.ok(allows(caller.mask, 'events:write'));
  assert.ok(allows(caller.mask, 'catalog:write'));
  assert.ok(!allows(caller.mask, 'recommendations:read'));
  assert.ok(!allows(caller.mask, 'admin'));
  assert.equal(
    keys.authenticate(`${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`),
    'invalid',
  );
  assert.equal(keys.authenticate('kdr_000000000000_' + 'x'.repeat(43)), 'invalid');
  assert.equal(keys.authenticate(''), 'invalid');
  assert.equal(keys.authenticate('master-secret-1'), MASTER_KEY);
  assert.equal(keys.authenticate('master-secret-2'), 'invalid');
});

test('only a hash is stored; the secret appears nowhere in the record or its view', async () => {
  const store = new MemoryStateStore();
  const keys = new ApiKeyStore(store);
  const { record, token } = await keys.create({ name: 'n', scopes: ['admin'] });
  const stored = Buffer.from(
    (await store.get(API_KEYS_NAMESPACE, record.id)) as Uint8Array,
  ).toString();
  // Everything after the prefix: the secret itself may hold a '_' (base64url).
  const secret = token.slice(`kdr_${record.id}_`.length);
  assert.ok(secret.length >= 40);
  assert.ok(!stored.includes(secret));
  assert.ok(!JSON.stringify(keyView(record)).includes(secret));
  assert.equal(keyView(record).prefix, `kdr_${record.id}_`);
});

test('expired keys are refused as expired, revoked keys as revoked', async () => {
  const time = clock();
  const keys = new ApiKeyStore(new MemoryStateStore(), { now: time.now });
  const expiring = await keys.create({
    name: 'e',
    scopes: ['search:read'],
    expiresAt: time.now() + 60_000,
  });
  assert.equal(typeof keys.authenticate(expiring.token), 'object');
  time.advance(60_000);
  assert.equal(keys.authenticate(expiring.token), 'expired');
  assert.equal(keyView(expiring.record, time.now()).status, 'expired');

  const revoked = await keys.create({ name: 'r', scopes: ['search:read'] });
  await keys.revoke(revoked.record.id);
  assert.equal(keys.authenticate(revoked.token), 'revoked');
  assert.equal(keyView(keys.get(revoked.record.id)!).status, 'revoked');
  // Revoking twice is fine; rotating a revoked key is not.
  await keys.revoke(revoked.record.id);
  await assert.rejects(keys.rotate(revoked.record.id), rejects('KEY_NOT_FOUND'));
  await assert.rejects(keys.revoke('000000000000'), rejects('KEY_NOT_FOUND'));
  await assert.rejects(
    keys.create({ name: 'x', scopes: ['admin'], expiresAt: time.now() - 1 }),
    rejects('INVALID_REQUEST'),
  );
});

test('rotation replaces the secret at once, or after a grace period', async () => {
  const time = clock();
  const keys = new ApiKeyStore(new MemoryStateStore(), { now: time.now });
  const first = await keys.create({ name: 'k', scopes: ['events:write'] });
  const second = await keys.rotate(first.record.id);
  assert.equal(second.record.id, first.record.id);
  assert.notEqual(second.token, first.token);
  assert.equal(keys.authenticate(first.token), 'invalid');
  assert.equal(typeof keys.authenticate(second.token), 'object');

  const third = await keys.rotate(first.record.id, { gracePeriodSeconds: 30 });
  assert.equal(
    typeof keys.authenticate(second.token),
    'object',
    'old secret works during the grace period',
  );
  assert.equal(typeof keys.authenticate(third.token), 'object');
  time.advance(30_000);
  assert.equal(keys.authenticate(second.token), 'invalid', 'and not after it');
  assert.equal(typeof keys.authenticate(third.token), 'object');
});

test('browser keys: origins are normalised, and admin or catalog scopes are refused', async () => {
  const keys = new ApiKeyStore(new MemoryStateStore());
  const { record } = await keys.create({
    name: 'shop',
    scopes: ['events:write', 'recommendations:read'],
    origins: ['https://Shop.Example', 'https://shop.example/', 'http://localhost:3000'],
  });
  assert.deepEqual(record.origins, ['http://localhost:3000', 'https://shop.example']);
  assert.ok(keys.allOrigins.has('https://shop.example'));
  await assert.rejects(
    keys.create({ name: 'bad', scopes: ['catalog:write'], origins: ['https://shop.example'] }),
    rejects('INVALID_REQUEST'),
  );
  for (const bad of ['shop.example', 'https://shop.example/path', 'ftp://x', 'https://a@b.c', '*'])
    assert.throws(() => normaliseOrigin(bad), rejects('INVALID_REQUEST'), bad);
  await assert.rejects(keys.create({ name: 'x', scopes: ['nope'] }), rejects('INVALID_REQUEST'));
  await assert.rejects(keys.create({ name: 'x', scopes: [] }), rejects('INVALID_REQUEST'));
  await assert.rejects(keys.create({ name: ' ', scopes: ['admin'] }), rejects('INVALID_REQUEST'));
  await keys.revoke(record.id);
  assert.ok(!keys.allOrigins.has('https://shop.example'), 'revoked keys leave the CORS union');
});

test('another store over the same state sees keys after refresh (the CLI beside a server)', async () => {
  const state = new MemoryStateStore();
  const server = new ApiKeyStore(state);
  await server.refresh();
  const cli = new ApiKeyStore(state);
  const { record, token } = await cli.create({ name: 'from-cli', scopes: ['admin'] });
  assert.equal(server.authenticate(token), 'invalid');
  await server.refresh();
  assert.equal((server.authenticate(token) as { id: string }).id, record.id);
  await cli.revoke(record.id);
  await server.refresh();
  assert.equal(server.authenticate(token), 'revoked');
  assert.deepEqual(
    server.list().map((r) => r.name),
    ['from-cli'],
  );
});
