import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { runStateStoreContract } from '../../ports/state-store.contract.js';
import { SqliteEventLog } from './sqlite-event-log.js';
import { SqliteStateStore } from './sqlite-state-store.js';
import { makeTempDirectory } from './sqlite-test-files.js';

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

test('the state store uses a WITHOUT ROWID table in WAL mode and can share the log file', async () => {
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
        .prepare<[], string>("SELECT sql FROM sqlite_schema WHERE name = 'state_entries'")
        .pluck()
        .get();
      assert.match(sql ?? '', /WITHOUT ROWID/);
      assert.equal(db.prepare('SELECT count(*) FROM events').pluck().get(), 1);
    } finally {
      db.close();
    }
  } finally {
    await directory.remove();
  }
});
