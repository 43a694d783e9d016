import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { makeTempDirectory } from '../../test/support/temp-directory.js';
import { PostgresEventLog } from './postgres/postgres-event-log.js';
import { PostgresLeaseStore } from './postgres/postgres-lease-store.js';
import { PostgresStateStore } from './postgres/postgres-state-store.js';
import { openEventLog, openLeaseStore, openStateStore } from './registry.js';
import { SqliteEventLog } from './sqlite/sqlite-event-log.js';
import { SqliteLeaseStore } from './sqlite/sqlite-lease-store.js';
import { SqliteStateStore } from './sqlite/sqlite-state-store.js';

test('adapters are chosen by URL scheme: SQLite by default, PostgreSQL by postgres://', async () => {
  const directory = await makeTempDirectory();
  const embedded = {
    dataDir: join(directory.path, 'data'),
    eventLog: '',
    state: '',
    synchronous: 'normal' as const,
  };
  const opened = [openEventLog(embedded), openStateStore(embedded), openLeaseStore(embedded)];
  assert.ok(opened[0] instanceof SqliteEventLog);
  assert.ok(opened[1] instanceof SqliteStateStore);
  assert.ok(opened[2] instanceof SqliteLeaseStore);
  // Nothing connects until first use: no server is needed to choose.
  const url = 'postgresql://kindred@127.0.0.1:1/kindred?schema=shop';
  const cluster = { ...embedded, eventLog: url, state: url };
  const remote = [openEventLog(cluster), openStateStore(cluster), openLeaseStore(cluster)];
  assert.ok(remote[0] instanceof PostgresEventLog);
  assert.ok(remote[1] instanceof PostgresStateStore);
  assert.ok(remote[2] instanceof PostgresLeaseStore);
  assert.throws(
    () => openEventLog({ ...embedded, eventLog: 'postgres://h/db?schema=Bad-Name' }),
    /schema/,
  );
  assert.throws(() => openEventLog({ ...embedded, eventLog: 'kafka://h' }), /no event-log adapter/);
  await Promise.all([...opened, ...remote].map((adapter) => adapter.close()));
  await directory.remove();
});
