// Append throughput of SqliteEventLog against a raw baseline: the same rows, the same
// pragmas and one transaction per batch, into a plain table with no unique id index and
// no dedupe. The gap between the two is the cost of idempotent appends.
//
// Usage (after `npm run build`):
//   node build/bench/event-log-append.js [batches=30] [batchSize=10000] [rounds=3]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventEnvelope } from '../src/core/events/envelope.js';
import { newEventId } from '../src/core/events/event-id.js';
import {
  openSqliteDatabase,
  type SqliteSynchronous,
} from '../src/adapters/sqlite/sqlite-database.js';
import { SqliteEventLog } from '../src/adapters/sqlite/sqlite-event-log.js';

const [batches = 30, batchSize = 10_000, rounds = 3] = process.argv
  .slice(2)
  .map((argument) => Number.parseInt(argument, 10));

function interactionBatch(size: number): EventEnvelope[] {
  const now = Date.now();
  return Array.from({ length: size }, (_, index) => ({
    id: newEventId(now),
    type: 'interaction.recorded',
    version: 1,
    occurredAt: now - 250,
    receivedAt: now,
    partitionKey: `user-${index % 5_000}`,
    payload: { userId: `user-${index % 5_000}`, itemId: `item-${index % 20_000}`, kind: 'view' },
    metadata: { source: 'bench' },
  }));
}

interface BatchTiming {
  readonly wallSeconds: number;
  /** User + system CPU time: unlike wall time, barely moved by other processes on the box. */
  readonly cpuSeconds: number;
}

/** Wraps a batch writer so that each call reports how long it took. */
function timed<T>(
  append: (batch: EventEnvelope[]) => T,
): (batch: EventEnvelope[]) => Promise<BatchTiming> {
  return async (batch) => {
    const cpuBefore = process.cpuUsage();
    const started = process.hrtime.bigint();
    await append(batch);
    const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = process.cpuUsage(cpuBefore);
    return { wallSeconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
  };
}

function openRawTable(path: string, synchronous: SqliteSynchronous) {
  const db = openSqliteDatabase(path, { synchronous });
  db.exec(`CREATE TABLE raw_events (
    "offset" INTEGER PRIMARY KEY, id TEXT NOT NULL, type TEXT NOT NULL, version INTEGER NOT NULL,
    occurred_at INTEGER NOT NULL, received_at INTEGER NOT NULL, partition_key TEXT NOT NULL,
    payload TEXT NOT NULL, metadata TEXT NOT NULL)`);
  const insert = db.prepare(
    `INSERT INTO raw_events (id, type, version, occurred_at, received_at, partition_key, payload, metadata)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertBatch = db.transaction((events: readonly EventEnvelope[]) => {
    for (const event of events) {
      insert.run(
        event.id,
        event.type,
        event.version,
        event.occurredAt,
        event.receivedAt,
        event.partitionKey,
        JSON.stringify(event.payload),
        JSON.stringify(event.metadata),
      );
    }
  });
  return { insertBatch, close: () => db.close() };
}

function describeRates(label: string, timings: readonly BatchTiming[]): string {
  const events = timings.length * batchSize;
  const wall = timings.reduce((sum, timing) => sum + timing.wallSeconds, 0);
  const cpu = timings.reduce((sum, timing) => sum + timing.cpuSeconds, 0);
  const sorted = timings.map((timing) => timing.wallSeconds).sort((left, right) => left - right);
  const median = sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
  const rate = (count: number, seconds: number) =>
    Math.round(count / seconds)
      .toLocaleString('en-US')
      .padStart(9);
  return (
    `${label.padEnd(50)} ${rate(events, wall)} events/s wall, ${rate(batchSize, median)} ` +
    `median batch, ${rate(events, cpu)} per CPU-second`
  );
}

const directory = mkdtempSync(join(tmpdir(), 'kindred-append-bench-'));
try {
  console.log(
    `${rounds} rounds x ${batches} batches x ${batchSize} events, file-backed in ${directory}; ` +
      'the two writers alternate batch by batch so machine noise hits both alike',
  );
  for (const synchronous of ['full', 'normal'] as const) {
    const logTimings: BatchTiming[] = [];
    const rawTimings: BatchTiming[] = [];
    for (let round = 0; round < rounds; round++) {
      const log = new SqliteEventLog({
        path: join(directory, `log-${synchronous}-${round}.db`),
        synchronous,
      });
      const raw = openRawTable(join(directory, `raw-${synchronous}-${round}.db`), synchronous);
      const appendToLog = timed((batch) => log.append(batch));
      const insertRaw = timed((batch) => raw.insertBatch(batch));
      for (let index = 0; index < batches; index++) {
        const batch = interactionBatch(batchSize);
        if (index % 2 === 0) {
          logTimings.push(await appendToLog(batch));
          rawTimings.push(await insertRaw(batch));
        } else {
          rawTimings.push(await insertRaw(batch));
          logTimings.push(await appendToLog(batch));
        }
      }
      await log.close();
      raw.close();
    }
    console.log(describeRates(`SqliteEventLog.append, synchronous=${synchronous}`, logTimings));
    console.log(
      describeRates(`raw INSERT, no unique index, synchronous=${synchronous}`, rawTimings),
    );
  }
} finally {
  rmSync(directory, { recursive: true, force: true });
}
