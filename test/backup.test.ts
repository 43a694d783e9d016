// Backups as an operator takes them: `kindred backup` of a data directory while a server
// on it takes a steady stream of writes and answers reads; `kindred restore` into a new
// directory; a server started there has the read models of the source at the backup's
// position, every write acknowledged before the backup began, none twice, and takes new
// writes after it. Then each refusal: a non-empty target, a damaged, truncated, foreign or
// unknown-version file, each leaving the target as it was.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { percentile } from './support/load-generator.js';
import { ServerProcess, makeDataDir, runKindred } from './support/server-process.js';

const dir = makeDataDir('kindred-backup-');
after(() => dir.remove());
const source = join(dir.path, 'source');
const backupFile = join(dir.path, 'taken.kbak');

interface Manifest {
  readonly position: number;
  readonly parts: readonly { name: string; bytes: number }[];
}

test(
  'a backup taken under writes restores to the read models of its position',
  { timeout: 240_000 },
  async (t) => {
    const server = await ServerProcess.start({
      dataDir: source,
      env: { KINDRED_TRAINING_ON_START: 'false' },
    });
    const acknowledged: { id: string; at: number }[] = [];
    const reads: { at: number; ms: number }[] = [];
    let writing = true;
    let batch = 0;
    const writer = (async () => {
      while (writing) {
        const events = Array.from({ length: 25 }, (_, n) => ({
          id: `w-${batch}-${n}`,
          type: 'view',
          userId: `u${(batch * 7 + n) % 50}`,
          itemId: `i${(batch * 13 + n) % 200}`,
        }));
        batch++;
        const answer = await fetch(`${server.url}/v1/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ events }),
        });
        assert.ok(answer.status < 300, `writes answer ${answer.status}`);
        await answer.arrayBuffer();
        const at = performance.now();
        for (const event of events) acknowledged.push({ id: event.id, at });
      }
    })();
    const reader = (async () => {
      let n = 0;
      while (writing) {
        const sent = performance.now();
        const answer = await fetch(`${server.url}/v1/users/u${n++ % 50}/interactions?limit=10`);
        await answer.arrayBuffer();
        reads.push({ at: sent, ms: performance.now() - sent });
      }
    })();
    let manifest: Manifest;
    let began = 0;
    let ended = 0;
    try {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      began = performance.now();
      const backup = await runKindred(['backup', '--out', backupFile, '--data', source]);
      ended = performance.now();
      assert.equal(backup.code, 0, backup.stderr);
      manifest = JSON.parse(backup.stdout) as Manifest;
      await new Promise((resolve) => setTimeout(resolve, 500));
    } finally {
      writing = false;
      await Promise.all([writer, reader]);
      await server.stop();
    }
    const during = reads.filter((r) => r.at >= began && r.at <= ended).map((r) => r.ms);
    const outside = reads.filter((r) => r.at < began).map((r) => r.ms);
    during.sort((a, b) => a - b);
    outside.sort((a, b) => a - b);
    t.diagnostic(
      `backup at position ${manifest.position} in ${((ended - began) / 1000).toFixed(2)} s (${manifest.parts
        .map((p) => `${p.name} ${p.bytes} B`)
        .join(
          ', ',
        )}); reads p99 during it ${percentile(during, 99).toFixed(2)} ms over ${during.length}, ` +
        `before it ${percentile(outside, 99).toFixed(2)} ms over ${outside.length}; ${acknowledged.length} writes acknowledged`,
    );
    assert.ok(manifest.position > 0);

    const restored = join(dir.path, 'restored');
    const restore = await runKindred(['restore', backupFile, '--data', restored]);
    assert.equal(restore.code, 0, restore.stderr);
    const expected = await runKindred([
      'replay',
      '--dry-run',
      '--to',
      String(manifest.position),
      '--data',
      source,
    ]);
    assert.equal(expected.code, 0, expected.stderr);
    const { checksum } = JSON.parse(expected.stdout) as { checksum: string };

    // Every write acknowledged before the backup began is in it, once.
    const exported = await runKindred(['export', '--data', restored]);
    const ids = exported.stdout
      .split('\n')
      .filter((line) => line.startsWith('{"kind":"event"'))
      .map((line) => (JSON.parse(line) as { id: string }).id);
    assert.equal(new Set(ids).size, ids.length, 'no event twice');
    assert.equal(ids.length, manifest.position);
    const inBackup = new Set(ids);
    const before = acknowledged.filter((entry) => entry.at < began);
    assert.ok(before.length > 0);
    assert.deepEqual(
      before.filter((entry) => !inBackup.has(entry.id)),
      [],
    );

    const again = await ServerProcess.start({
      dataDir: restored,
      env: { KINDRED_TRAINING_ON_START: 'false' },
    });
    try {
      const status = (await (await fetch(`${again.url}/v1/admin/status?checksum=true`)).json()) as {
        lastOffset: number;
        checksum: string;
      };
      assert.equal(status.lastOffset, manifest.position);
      assert.equal(status.checksum, checksum);
      const posted = await fetch(`${again.url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'view', userId: 'after', itemId: 'i1' }),
      });
      const written = (await posted.json()) as { offset: number };
      assert.equal(written.offset, manifest.position + 1);
      // An event already in the backup is still a duplicate there.
      const repeated = await fetch(`${again.url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id: before[0]!.id, type: 'view', userId: 'u0', itemId: 'i0' }),
      });
      assert.equal(((await repeated.json()) as { status: string }).status, 'duplicate');
    } finally {
      await again.stop();
    }
  },
);

test('restore refuses a non-empty target and damaged, truncated or foreign files, changing nothing', async () => {
  assert.ok(existsSync(backupFile), 'the backup of the first test');
  const whole = readFileSync(backupFile);
  const attempt = async (file: string, target: string, code: string): Promise<void> => {
    const answer = await runKindred(['restore', file, '--data', target]);
    assert.equal(answer.code, 1, answer.stdout);
    assert.match(answer.stderr, new RegExp(code));
  };

  const occupied = join(dir.path, 'occupied');
  mkdirSync(occupied);
  writeFileSync(join(occupied, 'keep.txt'), 'mine');
  await attempt(backupFile, occupied, 'BACKUP_TARGET_NOT_EMPTY');
  assert.deepEqual(readdirSync(occupied), ['keep.txt']);

  const damaged = join(dir.path, 'damaged.kbak');
  const flipped = Buffer.from(whole);
  flipped[flipped.length - 1000] = flipped[flipped.length - 1000]! ^ 0xff;
  writeFileSync(damaged, flipped);
  const truncated = join(dir.path, 'truncated.kbak');
  writeFileSync(truncated, whole.subarray(0, whole.length - 4096));
  const foreign = join(dir.path, 'foreign.kbak');
  writeFileSync(foreign, 'user_id,item_id\n1,2\n');
  const newline = whole.indexOf(0x0a);
  const future = join(dir.path, 'future.kbak');
  const manifest = JSON.parse(whole.subarray(0, newline).toString()) as Record<string, unknown>;
  writeFileSync(
    future,
    Buffer.concat([
      Buffer.from(`${JSON.stringify({ ...manifest, version: 99 })}\n`),
      whole.subarray(newline + 1),
    ]),
  );
  for (const [file, code] of [
    [damaged, 'BACKUP_CORRUPT'],
    [truncated, 'BACKUP_TRUNCATED'],
    [foreign, 'BACKUP_UNKNOWN_FORMAT'],
    [future, 'BACKUP_UNKNOWN_FORMAT'],
  ] as const) {
    const target = join(dir.path, `target-${code}-${file.length}`);
    await attempt(file, target, code);
    assert.equal(existsSync(target), false, `${code}: nothing was made`);
    // Nothing left beside it either.
    assert.deepEqual(
      readdirSync(dir.path).filter((name) => name.startsWith('.kindred-restore-')),
      [],
    );
  }
});

test('a dump (kindred export) loads into an empty deployment with the same read models', async () => {
  const dump = join(dir.path, 'dump.jsonl');
  const exported = await runKindred(['export', '--data', source, '--out', dump]);
  assert.equal(exported.code, 0, exported.stderr);
  const loaded = join(dir.path, 'loaded');
  const load = await runKindred(['load', dump, '--data', loaded]);
  assert.equal(load.code, 0, load.stderr);
  const expected = await runKindred(['replay', '--dry-run', '--data', source]);
  assert.equal(
    (JSON.parse(load.stdout) as { checksum: string }).checksum,
    (JSON.parse(expected.stdout) as { checksum: string }).checksum,
  );
  const rebuilt = await runKindred(['replay', '--dry-run', '--data', loaded]);
  assert.equal(
    (JSON.parse(rebuilt.stdout) as { checksum: string }).checksum,
    (JSON.parse(expected.stdout) as { checksum: string }).checksum,
  );
  // Into a deployment that has events: refused, nothing appended.
  const again = await runKindred(['load', dump, '--data', loaded]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already has events/);
  const after = await runKindred(['replay', '--dry-run', '--data', loaded]);
  assert.equal(
    (JSON.parse(after.stdout) as { events: number }).events,
    (JSON.parse(expected.stdout) as { events: number }).events,
  );
});

test('a backup through the API of a running server (admin scope) restores like one of its directory', async () => {
  const master = 'backup-api-master-0123456789';
  const served = join(dir.path, 'served');
  const server = await ServerProcess.start({
    dataDir: served,
    env: { KINDRED_MASTER_KEY: master, KINDRED_TRAINING_ON_START: 'false' },
  });
  const file = join(dir.path, 'through-api.kbak');
  let version = '';
  try {
    const posted = await fetch(`${server.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${master}` },
      body: JSON.stringify({
        events: Array.from({ length: 240 }, (_, n) => ({
          type: 'view',
          userId: `u${n % 30}`,
          itemId: `i${(n * 7) % 40}`,
        })),
      }),
    });
    assert.equal(posted.status, 200, await posted.clone().text());
    // A model, so that the restored server must serve the same one.
    const trained = await fetch(`${server.url}/v1/models/train?wait=true&budgetSeconds=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${master}` },
      body: '{}',
    });
    assert.equal(trained.status, 200, await trained.clone().text());
    ({ version } = (await trained.json()) as { version: string });
    const refused = await fetch(`${server.url}/v1/admin/backup`);
    assert.equal(refused.status, 401);
    await refused.arrayBuffer();
    const taken = await runKindred(['backup', '--out', file, '--from', server.url], {
      env: { KINDRED_API_KEY: master },
    });
    assert.equal(taken.code, 0, taken.stderr);
    assert.ok((JSON.parse(taken.stdout) as { position: number }).position >= 2);
    const status = (await (
      await fetch(`${server.url}/v1/admin/status?checksum=true`, {
        headers: { authorization: `Bearer ${master}` },
      })
    ).json()) as { checksum: string };
    const restored = join(dir.path, 'restored-from-api');
    const restore = await runKindred(['restore', file, '--data', restored]);
    assert.equal(restore.code, 0, restore.stderr);
    const replayed = await runKindred(['replay', '--dry-run', '--data', restored]);
    assert.equal((JSON.parse(replayed.stdout) as { checksum: string }).checksum, status.checksum);
  } finally {
    await server.stop();
  }
  const again = await ServerProcess.start({
    dataDir: join(dir.path, 'restored-from-api'),
    env: { KINDRED_MASTER_KEY: master, KINDRED_TRAINING_ON_START: 'false' },
  });
  try {
    const models = (await (
      await fetch(`${again.url}/v1/models`, { headers: { authorization: `Bearer ${master}` } })
    ).json()) as { active: string | null };
    assert.equal(models.active, version);
    const list = await fetch(`${again.url}/v1/users/u1/recommendations?k=1`, {
      headers: { authorization: `Bearer ${master}` },
    });
    assert.equal(((await list.json()) as { model: string }).model, version);
  } finally {
    await again.stop();
  }
});
