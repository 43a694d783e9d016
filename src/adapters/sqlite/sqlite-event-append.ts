import type { EventEnvelope } from '../../core/events/envelope.js';
import type { AppendOutcome } from '../../ports/event-log.js';
import { EventIdIndex, fingerprintOf, type Fingerprint } from './event-id-index.js';
import type { SqliteDatabase } from './sqlite-database.js';
import {
  SEGMENT_EVENTS,
  encodeSegment,
  forEachFingerprint,
  prepareSegmentInsert,
  segmentIds,
} from './sqlite-event-segments.js';

interface FingerprintRow {
  readonly first_offset: number;
  readonly fingerprints: Buffer;
}

interface SegmentRow {
  readonly first_offset: number;
  readonly events: string;
}

export interface AppendPath {
  /** Appends a batch in one transaction; see `prepareAppendPath`. */
  append(events: readonly EventEnvelope[]): AppendOutcome[];
  /** Indexes every event stored so far (the first append does it otherwise). */
  indexStoredEvents(): void;
}

/**
 * Builds the append path: one IMMEDIATE transaction per batch (atomic, one fsync, and no
 * other connection can append between the duplicate check and the insert), duplicates
 * found through the in-memory id index, the new events written as segments.
 */
export function prepareAppendPath(db: SqliteDatabase): AppendPath {
  const index = new EventIdIndex();
  /** Every event up to this offset is in `index`. */
  let indexedThrough = 0;
  const insertSegment = prepareSegmentInsert(db);
  const selectFingerprintsAfter = db.prepare<[number], FingerprintRow>(
    'SELECT first_offset, fingerprints FROM event_segments WHERE first_offset > ? ORDER BY first_offset',
  );
  const selectSegmentHolding = db.prepare<[number], SegmentRow>(
    `SELECT first_offset, events FROM event_segments WHERE first_offset <= ?
      ORDER BY first_offset DESC LIMIT 1`,
  );
  // A re-import meets its duplicates in log order: the segment of the last one is kept.
  let cachedSegment: { first: number; ids: string[] } | undefined;

  /** Indexes what this or any other connection appended since last time (all of it, the first time). */
  function catchUp(): void {
    for (const row of selectFingerprintsAfter.iterate(indexedThrough)) {
      const count = row.fingerprints.length / 8;
      index.reserve(count);
      forEachFingerprint(row.first_offset, row.fingerprints, (fingerprint, offset) =>
        index.add(fingerprint, offset),
      );
      // Committed by whoever wrote them: they stay whatever becomes of this batch.
      index.commit();
      indexedThrough = row.first_offset + count - 1;
    }
  }

  function storedIdAt(offset: number): string | undefined {
    const cached = cachedSegment;
    if (cached && offset >= cached.first && offset < cached.first + cached.ids.length)
      return cached.ids[offset - cached.first];
    const row = selectSegmentHolding.get(offset);
    if (!row) return undefined;
    cachedSegment = { first: row.first_offset, ids: segmentIds(row.events) };
    return cachedSegment.ids[offset - row.first_offset];
  }

  const fingerprint: Fingerprint = { high: 0, low: 0 };

  const appendBatch = db.transaction((events: readonly EventEnvelope[]): AppendOutcome[] => {
    catchUp();
    const before = indexedThrough;
    index.reserve(events.length);
    const outcomes = new Array<AppendOutcome>(events.length);
    const fresh: EventEnvelope[] = [];
    for (let i = 0; i < events.length; i++) {
      const event = events[i] as EventEnvelope;
      const id = event.id;
      const idAt = (offset: number): boolean =>
        (offset > before ? fresh[offset - before - 1]?.id : storedIdAt(offset)) === id;
      const earlier = index.find(fingerprintOf(id, fingerprint), idAt);
      if (earlier !== 0) {
        outcomes[i] = { offset: earlier, duplicate: true };
        continue;
      }
      const offset = before + fresh.length + 1;
      index.add(fingerprint, offset);
      fresh.push(event);
      outcomes[i] = { offset, duplicate: false };
    }
    for (let start = 0; start < fresh.length; start += SEGMENT_EVENTS) {
      insertSegment(encodeSegment(fresh.slice(start, start + SEGMENT_EVENTS), before + start + 1));
    }
    return outcomes;
  });

  const indexStoredEvents = db.transaction(catchUp);

  const append = (events: readonly EventEnvelope[]): AppendOutcome[] => {
    let outcomes: AppendOutcome[];
    try {
      outcomes = appendBatch.immediate(events);
    } catch (error) {
      // Rolled back (also when COMMIT itself failed): forget what the batch indexed.
      index.rollBack();
      throw error;
    }
    index.commit();
    for (const outcome of outcomes) {
      if (!outcome.duplicate) indexedThrough = Math.max(indexedThrough, outcome.offset);
    }
    return outcomes;
  };
  return { append, indexStoredEvents: () => indexStoredEvents.deferred() };
}
