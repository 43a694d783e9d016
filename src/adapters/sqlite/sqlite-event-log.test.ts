import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import type { EventEnvelope, StoredEvent } from '../../core/events/envelope.js';
import { runEventLogContract } from '../../../test/support/event-log.contract.js';
import { SqliteEventLog } from './sqlite-event-log.js';
import { makeTempDirectory } from '../../../test/support/temp-directory.js';

const runNode = promisify(execFile);
const moduleUrl = new URL('./sqlite-event-log.js', import.meta.url).href;

runEventLogContract('SqliteEventLog (file)', async () => {
  const directory = await makeTempDirectory();
  const path = join(directory.path, 'events.db');
  const opened = [new SqliteEventLog({ path })];
  return {
    log: opened[0] as SqliteEventLog,
    reopen: async () => {
      const log = new SqliteEventLog({ path });
      opened.push(log);
      return log;
    },
    cleanup: async () => {
      await Promise.all(opened.map((log) => log.close()));
      await directory.remove();
    },
  };
});

runEventLogContract('SqliteEventLog (:memory:)', async () => {
  const log = new SqliteEventLog({ path: ':memory:', synchronous: 'normal' });
  return { log, cleanup: () => log.close() };
});

let counter = 0;
function event(): EventEnvelope {
  counter++;
  return {
    id: `sqlite-test-${process.pid}-${counter}`,
    type: 'interaction.recorded',
    version: 1,
    occurredAt: 1_700_000_000_000 + counter,
    receivedAt: 1_700_000_000_000 + counter,
    partitionKey: 'user-1',
    payload: { n: counter },
    metadata: {},
  };
}

async function waitUntil(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

test('subscribers see appends from another connection, mixed with their own, once and in order', async () => {
  const directory = await makeTempDirectory();
  const path = join(directory.path, 'events.db');
  const reader = new SqliteEventLog({ path, pollIntervalMs: 10 });
  const writer = new SqliteEventLog({ path });
  try {
    const received: StoredEvent[] = [];
    const subscription = reader.subscribe(0, (batch) => {
      received.push(...batch);
    });
    for (let round = 0; round < 20; round++) {
      await (round % 2 === 0 ? writer : reader).append([event(), event()]);
      if (round % 5 === 0) await new Promise((resolve) => setTimeout(resolve, 15));
    }
    await waitUntil(() => received.length >= 40);
    await new Promise((resolve) => setTimeout(resolve, 40));
    await subscription.close();
    assert.deepEqual(received, await reader.readAfter(0, 100));
  } finally {
    await Promise.all([reader.close(), writer.close()]);
    await directory.remove();
  }
});

test('subscribers see appends made by another process', async () => {
  const directory = await makeTempDirectory();
  const path = join(directory.path, 'events.db');
  const log = new SqliteEventLog({ path, pollIntervalMs: 10 });
  try {
    const received: StoredEvent[] = [];
    const subscription = log.subscribe(0, (batch) => {
      received.push(...batch);
    });
    const script = `
      const { SqliteEventLog } = await import(${JSON.stringify(moduleUrl)});
      const log = new SqliteEventLog({ path: ${JSON.stringify(path)} });
      await log.append([1, 2, 3].map((n) => ({
        id: 'from-child-' + n, type: 't', version: 1, occurredAt: n, receivedAt: n,
        partitionKey: 'p', payload: { n }, metadata: { process: 'child' },
      })));
      await log.close();`;
    await runNode(process.execPath, ['--input-type=module', '-e', script], { timeout: 10_000 });
    await waitUntil(() => received.length === 3);
    await subscription.close();
    assert.deepEqual(
      received.map((stored) => stored.id),
      ['from-child-1', 'from-child-2', 'from-child-3'],
    );
    assert.deepEqual(received[0]?.metadata, { process: 'child' });
  } finally {
    await log.close();
    await directory.remove();
  }
});

test('an open subscription does not keep the process alive', async () => {
  const directory = await makeTempDirectory();
  try {
    const script = `
      const { SqliteEventLog } = await import(${JSON.stringify(moduleUrl)});
      const log = new SqliteEventLog({ path: ${JSON.stringify(join(directory.path, 'events.db'))} });
      log.subscribe(0, () => {});
      setTimeout(() => console.log('still polling'), 100);`;
    const started = Date.now();
    const { stdout } = await runNode(process.execPath, ['--input-type=module', '-e', script], {
      timeout: 10_000,
    });
    assert.equal(stdout.trim(), 'still polling');
    assert.ok(Date.now() - started < 5_000);
  } finally {
    await directory.remove();
  }
});

test('iterateAll pages through the whole log', async () => {
  const log = new SqliteEventLog({ path: ':memory:' });
  try {
    const events = Array.from({ length: 25 }, event);
    await log.append(events);
    const pages: string[][] = [];
    for await (const page of log.iterateAll(10)) pages.push(page.map((stored) => stored.id));
    assert.deepEqual(
      pages.map((page) => page.length),
      [10, 10, 5],
    );
    assert.deepEqual(
      pages.flat(),
      events.map((appended) => appended.id),
    );
    const tail: string[] = [];
    for await (const page of log.iterateAll(100, 20)) tail.push(...page.map((stored) => stored.id));
    assert.deepEqual(
      tail,
      events.slice(20).map((appended) => appended.id),
    );
  } finally {
    await log.close();
  }
});

test('a busy log is checkpointed by a worker thread, not by the connection that appends', async () => {
  const directory = await makeTempDirectory();
  const path = join(directory.path, 'events.db');
  const log = new SqliteEventLog({ path, backgroundCheckpointAfter: 0 });
  try {
    const sizeOf = (): number => statSync(path).size;
    const before = sizeOf();
    // About 2 MB: far below the 16 MB at which SQLite would checkpoint by itself.
    for (let batch = 0; batch < 20; batch++)
      await log.append(
        Array.from({ length: 10 }, () => ({ ...event(), payload: { text: 'x'.repeat(10_000) } })),
      );
    assert.equal(sizeOf(), before, 'the appending connection does not checkpoint');
    const deadline = Date.now() + 5000;
    while (sizeOf() < before + 1_000_000 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(sizeOf() >= before + 1_000_000, `the worker checkpointed: ${sizeOf()} bytes`);
    assert.equal((await log.readAfter(0, 1000)).length, 200);
  } finally {
    await log.close();
    await directory.remove();
  }
});

test('a log of the row-per-event layout moves into segments on open, offsets and ids kept', async () => {
  const directory = await makeTempDirectory();
  const path = join(directory.path, 'events.db');
  const legacy = new Database(path);
  legacy.exec(`CREATE TABLE events (
    "offset" INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, type TEXT NOT NULL,
    version INTEGER NOT NULL, occurred_at INTEGER NOT NULL, received_at INTEGER NOT NULL,
    partition_key TEXT NOT NULL, payload TEXT NOT NULL, metadata TEXT NOT NULL)`);
  const events = Array.from({ length: 2_500 }, event);
  const insert = legacy.prepare(
    'INSERT INTO events (id, type, version, occurred_at, received_at, partition_key, payload, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  for (const e of events)
    insert.run(
      e.id,
      e.type,
      e.version,
      e.occurredAt,
      e.receivedAt,
      e.partitionKey,
      JSON.stringify(e.payload),
      JSON.stringify(e.metadata),
    );
  legacy.close();

  const extra = event();
  const log = new SqliteEventLog({ path });
  try {
    assert.equal(await log.lastOffset(), 2_500);
    assert.equal(await log.count(), 2_500);
    assert.deepEqual(
      await log.readAfter(1_990, 20),
      events.slice(1_990, 2_010).map((e, i) => ({ ...e, offset: 1_991 + i })),
    );
    const again = await log.append([events[1_234] as EventEnvelope, extra]);
    assert.deepEqual(again, [
      { offset: 1_235, duplicate: true },
      { offset: 2_501, duplicate: false },
    ]);
  } finally {
    await log.close();
  }
  const reopened = new Database(path, { readonly: true });
  try {
    const tables = reopened
      .prepare<[], string>("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
      .pluck()
      .all();
    assert.deepEqual(tables, ['event_segments']);
    // The view gives one row per event to whoever reads the file with SQL.
    assert.deepEqual(
      reopened
        .prepare('SELECT "offset", id, payload FROM events WHERE "offset" IN (1, 2501)')
        .all(),
      [
        { offset: 1, id: events[0]?.id, payload: JSON.stringify(events[0]?.payload) },
        { offset: 2501, id: extra.id, payload: JSON.stringify(extra.payload) },
      ],
    );
    assert.equal(
      reopened.prepare('SELECT count(*) FROM event_segments').pluck().get(),
      4,
      'segments of at most 1,000 events',
    );
  } finally {
    reopened.close();
    await directory.remove();
  }
});

test('a large batch goes into segments of at most 1,000 events, each found from any offset', async () => {
  const log = new SqliteEventLog({ path: ':memory:' });
  try {
    const events = Array.from({ length: 2_345 }, event);
    await log.append(events);
    for (const after of [0, 999, 1_000, 1_001, 1_999, 2_000, 2_344]) {
      const read = await log.readAfter(after, 1_500);
      assert.equal(read[0]?.offset, after + 1);
      assert.equal(read.length, Math.min(1_500, 2_345 - after));
      assert.deepEqual(
        read.map((stored) => stored.id),
        events.slice(after, after + 1_500).map((appended) => appended.id),
      );
    }
    assert.deepEqual(await log.readAfter(2_345, 10), []);
  } finally {
    await log.close();
  }
});

for (const prepared of [false, true])
  test(`a reopened log indexes every segment ${prepared ? 'when asked to prepare appends' : 'before its first append'}, however many`, async () => {
    const directory = await makeTempDirectory();
    const path = join(directory.path, 'events.db');
    const events = Array.from({ length: 12_345 }, event);
    const first = new SqliteEventLog({ path });
    for (let start = 0; start < events.length; start += 500)
      await first.append(events.slice(start, start + 500));
    await first.close();
    const log = new SqliteEventLog({ path });
    try {
      if (prepared) {
        await log.prepareAppends();
        // Appended by another connection after the index was built: found all the same.
        const other = new SqliteEventLog({ path });
        await other.append([events[0] as EventEnvelope, event()]);
        await other.close();
      }
      const again = await log.append([
        events[0] as EventEnvelope,
        events[6_789] as EventEnvelope,
        event(),
        events[12_344] as EventEnvelope,
      ]);
      const next = prepared ? 12_347 : 12_346;
      assert.deepEqual(again, [
        { offset: 1, duplicate: true },
        { offset: 6_790, duplicate: true },
        { offset: next, duplicate: false },
        { offset: 12_345, duplicate: true },
      ]);
      if (prepared)
        assert.deepEqual(await log.append([events[12_344] as EventEnvelope]), [
          { offset: 12_345, duplicate: true },
        ]);
    } finally {
      await log.close();
      await directory.remove();
    }
  });
