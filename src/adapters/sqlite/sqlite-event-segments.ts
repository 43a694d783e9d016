import type { EventEnvelope, StoredEvent } from '../../core/events/envelope.js';
import { FINGERPRINT_BYTES, fingerprintOf, type Fingerprint } from './event-id-index.js';
import type { SqliteDatabase } from './sqlite-database.js';

/**
 * The embedded log keeps events in segments: one row per run of consecutive offsets, the
 * events as one JSON array, their id fingerprints as one blob. One row insert for up to
 * `SEGMENT_EVENTS` events, and only the end of the table is written, however large the
 * log: an import's cost per event does not grow with the log.
 */
export const SEGMENT_SCHEMA = `
  CREATE TABLE IF NOT EXISTS event_segments (
    first_offset INTEGER PRIMARY KEY,
    last_offset  INTEGER NOT NULL,
    fingerprints BLOB    NOT NULL,
    events       TEXT    NOT NULL
  )`;

/**
 * One row per event, for people and tools that read the file with SQL (read-only; it
 * unpacks every segment it reads, so it is not the way the engine reads).
 */
export const EVENTS_VIEW = `
  CREATE VIEW IF NOT EXISTS events AS
    SELECT segment.first_offset + event.key AS "offset",
           event.value ->> 0 AS id,
           event.value ->> 1 AS type,
           event.value ->> 2 AS version,
           event.value ->> 3 AS occurred_at,
           event.value ->> 4 AS received_at,
           event.value ->> 5 AS partition_key,
           event.value -> 6 AS payload,
           event.value -> 7 AS metadata
      FROM event_segments AS segment, json_each(segment.events) AS event`;

/** Most events in one segment: a reader that starts mid-segment parses at most this many. */
export const SEGMENT_EVENTS = 1000;

/** An event as a segment stores it: [id, type, version, occurredAt, receivedAt, partitionKey, payload, metadata]. */
type StoredTuple = [
  string,
  string,
  number,
  number,
  number,
  string,
  unknown,
  Record<string, string>,
];

export interface Segment {
  readonly firstOffset: number;
  readonly lastOffset: number;
  readonly fingerprints: Buffer;
  readonly events: string;
}

/** The row for `events`, stored from `firstOffset` on. */
export function encodeSegment(events: readonly EventEnvelope[], firstOffset: number): Segment {
  const fingerprints = Buffer.allocUnsafe(events.length * FINGERPRINT_BYTES);
  const fingerprint: Fingerprint = { high: 0, low: 0 };
  const tuples = new Array<StoredTuple>(events.length);
  for (let i = 0; i < events.length; i++) {
    const event = events[i] as EventEnvelope;
    putFingerprint(fingerprints, i, event.id, fingerprint);
    tuples[i] = [
      event.id,
      event.type,
      finite(event, 'version'),
      finite(event, 'occurredAt'),
      finite(event, 'receivedAt'),
      event.partitionKey,
      jsonValue(event, 'payload'),
      jsonValue(event, 'metadata') as Record<string, string>,
    ];
  }
  let text: string;
  try {
    // One call for the whole segment: V8's serializer, not a string built up in JavaScript.
    text = JSON.stringify(tuples);
  } catch (cause) {
    throw new TypeError('an event of the batch is not serialisable as JSON', { cause });
  }
  return { firstOffset, lastOffset: firstOffset + events.length - 1, fingerprints, events: text };
}

/** JSON.stringify would write these as null inside an array: refuse them as a lone value would be. */
function jsonValue(event: EventEnvelope, field: 'payload' | 'metadata'): unknown {
  const value = event[field];
  const kind = typeof value;
  if (kind === 'undefined' || kind === 'function' || kind === 'symbol')
    throw new TypeError(`event ${event.id}: ${field} is not serialisable as JSON`);
  return value;
}

function finite(event: EventEnvelope, field: 'version' | 'occurredAt' | 'receivedAt'): number {
  const value = event[field];
  if (!Number.isFinite(value)) throw new TypeError(`event ${event.id}: ${field} is not a number`);
  return value;
}

/** The events of a segment, from the first whose offset is above `afterOffset`, at most `limit`. */
export function decodeSegment(
  firstOffset: number,
  events: string,
  afterOffset: number,
  limit: number,
  into: StoredEvent[],
): void {
  const tuples = JSON.parse(events) as StoredTuple[];
  const from = Math.max(0, afterOffset + 1 - firstOffset);
  const to = Math.min(tuples.length, from + limit);
  for (let i = from; i < to; i++) {
    const [id, type, version, occurredAt, receivedAt, partitionKey, payload, metadata] = tuples[
      i
    ] as StoredTuple;
    into.push({
      offset: firstOffset + i,
      id,
      type,
      version,
      occurredAt,
      receivedAt,
      partitionKey,
      payload,
      metadata,
    });
  }
}

/** The ids of a segment's events, in offset order. */
export function segmentIds(events: string): string[] {
  return (JSON.parse(events) as StoredTuple[]).map((tuple) => tuple[0]);
}

/** Writes the fingerprint of `id` as the `index`-th of a segment's blob. */
function putFingerprint(blob: Buffer, index: number, id: string, scratch: Fingerprint): void {
  fingerprintOf(id, scratch);
  blob.writeUInt32LE(scratch.high, index * FINGERPRINT_BYTES);
  blob.writeUInt32LE(scratch.low, index * FINGERPRINT_BYTES + 4);
}

/** Calls `visit` with each fingerprint of a segment and the offset it belongs to. */
export function forEachFingerprint(
  firstOffset: number,
  fingerprints: Buffer,
  visit: (fingerprint: Fingerprint, offset: number) => void,
): void {
  const fingerprint: Fingerprint = { high: 0, low: 0 };
  for (let at = 0, offset = firstOffset; at < fingerprints.length; at += FINGERPRINT_BYTES) {
    fingerprint.high = fingerprints.readUInt32LE(at);
    fingerprint.low = fingerprints.readUInt32LE(at + 4);
    visit(fingerprint, offset++);
  }
}

interface LegacyRow {
  readonly offset: number;
  readonly id: string;
  readonly type: string;
  readonly version: number;
  readonly occurred_at: number;
  readonly received_at: number;
  readonly partition_key: string;
  readonly payload: string;
  readonly metadata: string;
}

/**
 * Logs written before segments kept one row per event in `events`, with a unique index on
 * the id. They move into segments once, in one transaction, offsets unchanged.
 */
export function migrateRowPerEventLog(db: SqliteDatabase): void {
  const legacy = db
    .prepare<
      [],
      number
    >(`SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'events'`)
    .pluck()
    .get();
  if (!legacy) return;
  const insert = prepareSegmentInsert(db);
  // better-sqlite3 cannot write while a statement of the same connection is being read:
  // a page of rows at a time.
  const page = db.prepare<[number, number], LegacyRow>(
    `SELECT "offset", id, type, version, occurred_at, received_at, partition_key, payload, metadata
       FROM events WHERE "offset" > ? ORDER BY "offset" LIMIT ?`,
  );
  db.transaction(() => {
    let pending: LegacyRow[] = [];
    const flush = (): void => {
      if (pending.length === 0) return;
      insert(legacySegment(pending));
      pending = [];
    };
    for (let after = 0; ; ) {
      const rows = page.all(after, SEGMENT_EVENTS);
      if (rows.length === 0) break;
      for (const row of rows) {
        const previous = pending.at(-1);
        if (previous && (row.offset !== previous.offset + 1 || pending.length === SEGMENT_EVENTS))
          flush();
        pending.push(row);
        after = row.offset;
      }
    }
    flush();
    db.exec('DROP TABLE events');
  })();
}

function legacySegment(rows: readonly LegacyRow[]): Segment {
  const fingerprints = Buffer.allocUnsafe(rows.length * FINGERPRINT_BYTES);
  const fingerprint: Fingerprint = { high: 0, low: 0 };
  const parts = rows.map((row, i) => {
    putFingerprint(fingerprints, i, row.id, fingerprint);
    return (
      `[${JSON.stringify(row.id)},${JSON.stringify(row.type)},${row.version},${row.occurred_at},` +
      `${row.received_at},${JSON.stringify(row.partition_key)},${row.payload},${row.metadata}]`
    );
  });
  const first = (rows[0] as LegacyRow).offset;
  return {
    firstOffset: first,
    lastOffset: first + rows.length - 1,
    fingerprints,
    events: `[${parts.join(',')}]`,
  };
}

export function prepareSegmentInsert(db: SqliteDatabase): (segment: Segment) => void {
  const statement = db.prepare<[number, number, Buffer, string]>(
    'INSERT INTO event_segments (first_offset, last_offset, fingerprints, events) VALUES (?, ?, ?, ?)',
  );
  return (segment) => {
    statement.run(segment.firstOffset, segment.lastOffset, segment.fingerprints, segment.events);
  };
}
