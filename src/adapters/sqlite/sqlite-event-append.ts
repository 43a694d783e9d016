import type { EventEnvelope } from '../../core/events/envelope.js';
import type { AppendOutcome } from '../../ports/event-log.js';
import { toEventJson, toMetadataJson } from '../../ports/event-json.js';
import type { SqliteDatabase } from './sqlite-database.js';

/** Rows per INSERT: fewer, larger statements roughly halve the per-event driver overhead. */
const ROWS_PER_STATEMENT = 32;
const COLUMNS_PER_ROW = 8;

interface InsertResult {
  readonly changes: number;
  readonly lastInsertRowid: number | bigint;
}

/**
 * Builds the append hot path: one transaction per batch (atomic, one fsync), multi-row
 * INSERT OR IGNORE statements, and a lookup of existing offsets only for statements where
 * the unique id index turned some row away.
 */
export function prepareAppendTransaction(
  db: SqliteDatabase,
): (events: readonly EventEnvelope[]) => AppendOutcome[] {
  const prepareInsert = (rows: number) =>
    db.prepare<unknown[]>(
      `INSERT OR IGNORE INTO events
         (id, type, version, occurred_at, received_at, partition_key, payload, metadata)
       VALUES ${Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
    );
  const insertMany = prepareInsert(ROWS_PER_STATEMENT);
  const insertOne = prepareInsert(1);
  const selectOffsetById = db
    .prepare<[string], number>('SELECT "offset" FROM events WHERE id = ?')
    .pluck();
  const selectLastOffset = db
    .prepare<[], number>('SELECT coalesce(max("offset"), 0) FROM events')
    .pluck();
  const parameters = new Array<unknown>(ROWS_PER_STATEMENT * COLUMNS_PER_ROW);

  /** Works out each row's outcome; returns the newest offset in the log afterwards. */
  function settle(
    events: readonly EventEnvelope[],
    start: number,
    rows: number,
    inserted: InsertResult,
    offsetBefore: number,
    outcomes: AppendOutcome[],
  ): number {
    // SQLite gives each new row max(rowid) + 1, so a statement that inserted every row
    // used exactly the offsets after `offsetBefore`, in row order.
    if (inserted.changes === rows && Number(inserted.lastInsertRowid) === offsetBefore + rows) {
      for (let row = 0; row < rows; row++) {
        outcomes[start + row] = { offset: offsetBefore + 1 + row, duplicate: false };
      }
      return offsetBefore + rows;
    }
    // Some ids were taken, by older events or by earlier rows of this batch. The rows this
    // statement inserted are the ones above `offsetBefore`, met in increasing order; an id
    // whose offset is not above the newest seen so far belongs to a first copy elsewhere.
    let newest = offsetBefore;
    for (let row = start; row < start + rows; row++) {
      const id = (events[row] as EventEnvelope).id;
      const offset = selectOffsetById.get(id);
      if (offset === undefined) throw new Error(`event ${id} was neither stored nor found`);
      const duplicate = offset <= newest;
      outcomes[row] = { offset, duplicate };
      if (!duplicate) newest = offset;
    }
    if (newest - offsetBefore !== inserted.changes) {
      throw new Error('SQLite assigned offsets out of order; the batch was rolled back');
    }
    return newest;
  }

  return db.transaction((events: readonly EventEnvelope[]) => {
    const outcomes = new Array<AppendOutcome>(events.length);
    let newestOffset = selectLastOffset.get() ?? 0;
    let start = 0;
    for (; start + ROWS_PER_STATEMENT <= events.length; start += ROWS_PER_STATEMENT) {
      for (let row = 0; row < ROWS_PER_STATEMENT; row++) {
        bindRow(parameters, row * COLUMNS_PER_ROW, events[start + row] as EventEnvelope);
      }
      const inserted = insertMany.run(parameters);
      newestOffset = settle(events, start, ROWS_PER_STATEMENT, inserted, newestOffset, outcomes);
    }
    for (; start < events.length; start++) {
      const row = new Array<unknown>(COLUMNS_PER_ROW);
      bindRow(row, 0, events[start] as EventEnvelope);
      newestOffset = settle(events, start, 1, insertOne.run(row), newestOffset, outcomes);
    }
    return outcomes;
  });
}

function bindRow(parameters: unknown[], at: number, event: EventEnvelope): void {
  parameters[at] = event.id;
  parameters[at + 1] = event.type;
  parameters[at + 2] = event.version;
  parameters[at + 3] = event.occurredAt;
  parameters[at + 4] = event.receivedAt;
  parameters[at + 5] = event.partitionKey;
  parameters[at + 6] = toEventJson(event, 'payload');
  parameters[at + 7] = toMetadataJson(event);
}
