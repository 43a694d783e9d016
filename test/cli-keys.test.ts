// `kindred keys create|list|rotate|revoke` against the data directory, also while a server
// runs on it: the server picks up keys created and revoked by the CLI within
// keys.refreshSeconds.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { JsonClient, ServerProcess, makeDataDir, runKindred } from './support/server-process.js';

const dataDir = makeDataDir('kindred-cli-keys-');
let server: ServerProcess | undefined;
after(async () => {
  if (server) await server.stop().catch(() => server?.kill('SIGKILL'));
  dataDir.remove();
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface KeyOutput {
  id: string;
  key: string;
  name: string;
  scopes: string[];
  origins: string[];
  status: string;
  expiresAt: string | null;
}

async function keys(
  args: string[],
): Promise<{ code: number | null; json: unknown; stderr: string }> {
  const result = await runKindred(['keys', ...args, '--data', dataDir.path]);
  let json: unknown;
  try {
    json = JSON.parse(result.stdout);
  } catch {
    json = undefined;
  }
  return { code: result.code, json, stderr: result.stderr };
}

test(
  'the CLI manages keys, and a running server follows its changes',
  { timeout: 90_000 },
  async () => {
    const created = await keys([
      'create',
      '--name',
      'importer',
      '--scopes',
      'catalog:write,events:write',
      '--expires',
      '30d',
    ]);
    assert.equal(created.code, 0, created.stderr);
    const importer = created.json as KeyOutput;
    assert.match(importer.key, /^kdr_[0-9a-f]{12}_/);
    assert.deepEqual(importer.scopes, ['events:write', 'catalog:write']);
    assert.ok(importer.expiresAt && Date.parse(importer.expiresAt) > Date.now() + 29 * 86_400_000);

    const bad = await keys([
      'create',
      '--name',
      'x',
      '--scopes',
      'admin',
      '--origins',
      'https://shop.example',
    ]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /INVALID_REQUEST/);

    server = await ServerProcess.start({
      dataDir: dataDir.path,
      env: { KINDRED_MASTER_KEY: 'cli-keys-master-0123456789', KINDRED_KEYS_REFRESH_SECONDS: '1' },
    });
    const client = new JsonClient(server.url);
    const asImporter = { headers: { authorization: `Bearer ${importer.key}` } };
    assert.equal(
      (await client.post('/v1/items', { id: 'i1', title: 'I' }, asImporter)).status,
      200,
    );
    assert.equal((await client.get('/v1/keys', asImporter)).status, 403);

    // Created while the server runs.
    const shop = (
      await keys([
        'create',
        '--name',
        'shop',
        '--scopes',
        'events:write',
        '--origins',
        'https://shop.example',
      ])
    ).json as KeyOutput;
    await sleep(1500);
    const asShop = {
      headers: { authorization: `Bearer ${shop.key}`, origin: 'https://shop.example' },
    };
    assert.equal(
      (await client.post('/v1/events', { type: 'view', userId: 'u', itemId: 'i1' }, asShop)).status,
      201,
    );

    // Rotated: the old key keeps working for the grace period only.
    const rotated = (await keys(['rotate', importer.id, '--grace', '2'])).json as KeyOutput;
    assert.notEqual(rotated.key, importer.key);
    await sleep(1500);
    assert.equal(
      (await client.get('/v1/items/i1', { headers: { authorization: `Bearer ${rotated.key}` } }))
        .status,
      200,
    );
    assert.equal(
      (await client.get('/v1/items/i1', asImporter)).status,
      200,
      'within the grace period',
    );
    await sleep(1500);
    assert.equal((await client.get('/v1/items/i1', asImporter)).status, 401, 'after it');

    // Revoked while the server runs.
    const revoked = await keys(['revoke', shop.id]);
    assert.equal((revoked.json as KeyOutput).status, 'revoked');
    await sleep(1500);
    const refused = await client.post<{ error: { details: { reason: string } } }>(
      '/v1/events',
      { type: 'view', userId: 'u', itemId: 'i1' },
      asShop,
    );
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error.details.reason, 'revoked');

    const listed = (await keys(['list'])).json as { keys: KeyOutput[] };
    assert.deepEqual(
      listed.keys.map((k) => [k.name, k.status]),
      [
        ['importer', 'active'],
        ['shop', 'revoked'],
      ],
    );
    assert.ok(!JSON.stringify(listed).includes(rotated.key.slice(-20)), 'list never shows secrets');
    assert.equal((await keys(['revoke', '000000000000'])).code, 1);
    client.close();
  },
);
