// No secret in any log line: a real `kindred serve` at the most verbose log level handles
// requests with the master key and API keys (valid, wrong, revoked, rotated, in both
// headers), key creation and rotation (whose answers hold secrets), failures of every
// kind; then every line it wrote is searched for the keys and their secret parts.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { JsonClient, ServerProcess, makeDataDir, runKindred } from './support/server-process.js';

const dataDir = makeDataDir('kindred-secrets-');
let server: ServerProcess | undefined;
after(async () => {
  if (server) await server.stop().catch(() => server?.kill('SIGKILL'));
  dataDir.remove();
});

test('keys and the master key never appear in the logs', { timeout: 60_000 }, async () => {
  const master = `master-${randomBytes(24).toString('base64url')}`;
  server = await ServerProcess.start({
    dataDir: dataDir.path,
    env: { KINDRED_MASTER_KEY: master, KINDRED_LOG_LEVEL: 'trace' },
  });
  const client = new JsonClient(server.url);
  const asMaster = { authorization: `Bearer ${master}` };
  const secrets: string[] = [master];
  const created: Array<{ id: string; key: string }> = [];
  for (const [name, scopes, origins] of [
    ['backend', ['admin'], undefined],
    ['catalog', ['catalog:write'], undefined],
    ['shop', ['events:write', 'recommendations:read'], ['https://shop.example']],
  ] as const) {
    const answer = await client.post<{ id: string; key: string }>(
      '/v1/keys',
      { name, scopes, ...(origins ? { origins } : {}) },
      { headers: asMaster },
    );
    assert.equal(answer.status, 201, answer.text);
    created.push(answer.body);
    secrets.push(answer.body.key);
  }
  const [admin, catalog, shop] = created as [
    (typeof created)[0],
    (typeof created)[0],
    (typeof created)[0],
  ];
  const rotated = await client.post<{ key: string }>(
    `/v1/keys/${catalog.id}/rotate`,
    { gracePeriodSeconds: 60 },
    { headers: { 'x-api-key': admin.key } },
  );
  assert.equal(rotated.status, 200);
  secrets.push(rotated.body.key);

  const uses: Array<Record<string, string>> = [
    asMaster,
    { 'x-api-key': master },
    { authorization: `Bearer ${admin.key}` },
    { 'x-api-key': catalog.key },
    { authorization: `Bearer ${rotated.body.key}` },
    { authorization: `Bearer ${shop.key}`, origin: 'https://shop.example' },
    { authorization: `Bearer ${shop.key}`, origin: 'https://evil.example' },
    { authorization: `Bearer ${master}x` },
    { authorization: `Basic ${Buffer.from(`user:${master}`).toString('base64')}` },
    { authorization: master },
  ];
  for (const headers of uses) {
    await client.get('/v1/items', { headers, parse: false });
    await client.post(
      '/v1/events',
      { type: 'view', userId: 'u', itemId: 'i' },
      { headers, parse: false },
    );
    await client.post('/v1/events', '{"type":', { headers, parse: false });
    await client.post('/v1/items', { id: 'x', unknown: true }, { headers, parse: false });
    await client.get('/v1/admin/status', { headers, parse: false });
    await client.get('/metrics', { headers, parse: false });
    await client.get('/no/such/route', { headers, parse: false });
  }
  assert.equal((await client.delete(`/v1/keys/${shop.id}`, { headers: asMaster })).status, 204);
  await client.get('/v1/items', { headers: { authorization: `Bearer ${shop.key}` }, parse: false });
  await client.get('/v1/keys', { headers: asMaster });
  client.close();
  await server.stop();

  const lines = server.logs.map((line) => JSON.stringify(line));
  assert.ok(lines.length > 20, `${lines.length} log lines`);
  assert.ok(
    lines.some((l) => l.includes('API key created')),
    'key events are logged (without secrets)',
  );
  // Each whole key, and the 43-character secret part of the API keys on its own.
  const parts = secrets.flatMap((secret) =>
    secret.startsWith('kdr_') ? [secret, secret.slice(-43)] : [secret],
  );
  for (const secret of parts) {
    const leaking = lines.filter((line) => line.includes(secret));
    assert.deepEqual(leaking, [], `a log line holds a secret (${secret.slice(0, 6)}...)`);
  }

  const config = await runKindred(['config', '--data', dataDir.path], {
    env: { KINDRED_MASTER_KEY: master },
  });
  assert.equal(config.code, 0);
  assert.ok(!config.stdout.includes(master) && !config.stderr.includes(master));
  assert.match(config.stdout, /"masterKey": "\*\*\*"/);
});
