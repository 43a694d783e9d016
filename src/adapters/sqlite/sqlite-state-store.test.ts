import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { runStateStoreContract } from '../../../test/support/state-store.contract.js';
import { SqliteEventLog } from './sqlite-event-log.js';
import { LARGE_VALUE_BYTES, SqliteStateStore } from './sqlite-state-store.js';
import { makeTempDirectory } from '../../../test/support/temp-directory.js';

runStateStoreContract('SqliteStateStore (file)', async () => {
  const directory = await makeTempDirectory();
  const path = join(directory.path, 'state.db');
  const opened = [new SqliteStateStore({ path })];
  return {
    store: opened[0] as SqliteStateStore,
    reopen: async () => {
      const store = new SqliteStateStore({ path });
      opened.push(store);
      return store;
    },
    cleanup: async () => {
      await Promise.all(opened.map((store) => store.close()));
      await directory.remove();
    },
  };
});

runStateStoreContract('SqliteStateStore (:memory:)', async () => {
  const store = new SqliteStateStore({ path: ':memory:' });
  return { store, cleanup: () => store.close() };
});

test('the state store keeps values in a rowid table keyed by an index, in WAL mode, and can share the log file', async () => {
  const directory = await makeTempDirectory();
  try {
    const path = join(directory.path, 'kindred.db');
    const log = new SqliteEventLog({ path });
    const store = new SqliteStateStore({ path, synchronous: 'normal' });
    await store.put('checkpoints', 'projection', Uint8Array.from([1]));
    await log.append([
      {
        id: 'e1',
        type: 't',
        version: 1,
        occurredAt: 1,
        receivedAt: 2,
        partitionKey: 'p',
        payload: {},
        metadata: {},
      },
    ]);
    await Promise.all([log.close(), store.close()]);

    const db = new Database(path, { readonly: true });
    try {
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      const sql = db
        .prepare<[], string>("SELECT sql FROM sqlite_schema WHERE name = 'state_values'")
        .pluck()
        .get();
      assert.doesNotMatch(sql ?? '', /WITHOUT ROWID/);
      // Keys are found through the index alone: large values are not read on the way.
      const plan = db
        .prepare<[string, string], { detail: string }>(
          'EXPLAIN QUERY PLAN SELECT key, value FROM state_values WHERE namespace = ? AND key >= ? ORDER BY key',
        )
        .all('checkpoints', '')
        .map((row) => row.detail)
        .join('; ');
      assert.match(plan, /USING INDEX state_values_by_key/);
      assert.equal(db.prepare('SELECT last_offset FROM event_segments').pluck().get(), 1);
    } finally {
      db.close();
    }
  } finally {
    await directory.remove();
  }
});

test('entries of the former WITHOUT ROWID layout are moved into the current one on open', async () => {
  const directory = await makeTempDirectory();
  try {
    const path = join(directory.path, 'state.db');
    const former = new Database(path);
    former.exec(`CREATE TABLE state_entries (
      namespace TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL,
      PRIMARY KEY (namespace, key)) WITHOUT ROWID`);
    const insert = former.prepare('INSERT INTO state_entries VALUES (?, ?, ?)');
    insert.run('models', 'active', Buffer.from('v1'));
    insert.run('models', 'meta/v1', Buffer.from('{}'));
    insert.run('api-keys', 'k1', Buffer.from('key'));
    former.close();

    const store = new SqliteStateStore({ path });
    try {
      assert.deepEqual(Buffer.from((await store.get('models', 'active'))!).toString(), 'v1');
      assert.deepEqual(
        (await store.list('models', { prefix: 'meta/' })).map((entry) => entry.key),
        ['meta/v1'],
      );
      assert.equal((await store.list('api-keys')).length, 1);
      await store.put('models', 'active', Uint8Array.from(Buffer.from('v2')));
      assert.equal(Buffer.from((await store.get('models', 'active'))!).toString(), 'v2');
    } finally {
      await store.close();
    }
    const db = new Database(path, { readonly: true });
    try {
      const tables = db
        .prepare<[], string>("SELECT name FROM sqlite_schema WHERE type = 'table'")
        .pluck()
        .all();
      assert.ok(!tables.includes('state_entries'));
    } finally {
      db.close();
    }
  } finally {
    await directory.remove();
  }
});

test('large values are written off the event loop, in order with the puts around them', async () => {
  const directory = await makeTempDirectory();
  try {
    const path = join(directory.path, 'state.db');
    const store = new SqliteStateStore({ path });
    const large = new Uint8Array(LARGE_VALUE_BYTES + 10).fill(7);
    large[0] = 1;
    // Not awaited in between: the later small put must win, and the caller's bytes stay.
    const first = store.put('snapshots', 'read-models', large);
    const second = store.put('snapshots', 'read-models', Uint8Array.from([2]));
    const other = store.put('snapshots', 'other', large);
    assert.equal(large.byteLength, LARGE_VALUE_BYTES + 10);
    await Promise.all([first, second, other]);
    assert.deepEqual([...(await store.get('snapshots', 'read-models'))!], [2]);
    const stored = (await store.get('snapshots', 'other'))!;
    assert.equal(stored.byteLength, LARGE_VALUE_BYTES + 10);
    assert.equal(stored[0], 1);
    assert.equal(stored[5], 7);
    // close waits for a write still in flight; a reopened store reads it.
    const last = store.put('snapshots', 'read-models', large);
    await store.close();
    await last;
    const reopened = new SqliteStateStore({ path });
    try {
      assert.equal((await reopened.get('snapshots', 'read-models'))!.byteLength, large.byteLength);
    } finally {
      await reopened.close();
    }
  } finally {
    await directory.remove();
  }
});
