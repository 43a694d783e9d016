import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import type { TSchema } from '@sinclair/typebox';
import { EventBody, ItemBody, UserBody, type EventBodyT } from '../../contracts/schemas.js';
import { compileStrict, validationError } from '../../contracts/validation.js';
import type { ErrorCode } from '../../errors/catalog.js';
import { CsvError, CsvParser } from './csv.js';
import { importEventId } from './event-ids.js';
import { LineSplitter } from './jsonl.js';
import {
  csvMapper,
  ImportSetupError,
  rawCsvRow,
  type CsvRowMapper,
  type ImportKind,
  type RowBody,
} from './mappers.js';
import { openTextSource, type ImportFormat } from './source.js';

/** What the reading side needs to know; plain data, so it can be handed to a worker thread. */
export interface ReadRequest {
  readonly kind: ImportKind;
  readonly file: string;
  readonly format: ImportFormat;
  /** Interaction type of rows that have none. */
  readonly type?: string | undefined;
  readonly batch: number;
  /** Path of the rejects file (created on the first rejected row). */
  readonly rejects: string;
}

/** Rows that passed the schema, ready for the write side. */
export interface ReadBatch {
  readonly seq: number;
  readonly bodies: RowBody[];
  readonly bytesRead: number;
  readonly totalBytes: number;
}

/** A row the write side turned down, by its index in the batch. */
export interface WriteRejection {
  readonly index: number;
  readonly code: ErrorCode;
  readonly message: string;
}

export interface RejectError {
  readonly code: ErrorCode;
  readonly message: string;
}

/**
 * The rejects file, created on the first rejected row. Rows are rejected at two moments
 * (schema checks as they are read, the write service's checks when their batch is
 * written); entries wait here so that the file lists them in line order.
 */
export class RejectsFile {
  private stream: WriteStream | undefined;
  private waiting: { line: number; text: string }[] = [];
  count = 0;

  constructor(readonly path: string) {}

  add(line: number, row: unknown, error: RejectError): void {
    this.count++;
    const text = `${JSON.stringify({ line, row, error: { code: error.code, message: error.message } })}\n`;
    this.waiting.push({ line, text });
  }

  /** Writes the entries of lines up to `line` (all of them by default). */
  async flush(line = Number.POSITIVE_INFINITY): Promise<void> {
    if (this.waiting.length === 0) return;
    this.waiting.sort((a, b) => a.line - b.line);
    let ready = this.waiting.length;
    while (ready > 0 && (this.waiting[ready - 1] as { line: number }).line > line) ready--;
    if (ready === 0) return;
    const text = this.waiting
      .slice(0, ready)
      .map((entry) => entry.text)
      .join('');
    this.waiting = this.waiting.slice(ready);
    this.stream ??= createWriteStream(this.path, { flags: 'w' });
    if (!this.stream.write(text)) await once(this.stream, 'drain');
  }

  async close(): Promise<void> {
    await this.flush();
    if (!this.stream) return;
    const stream = this.stream;
    stream.end();
    await once(stream, 'finish');
  }
}

const FIRST_BATCH = 1_000;

const SCHEMAS: Readonly<Record<ImportKind, TSchema>> = {
  items: ItemBody,
  users: UserBody,
  interactions: EventBody,
};

/** A batch handed out, kept until the write side says which of its rows it turned down. */
interface OutstandingBatch {
  readonly lines: number[];
  /** The CSV cells or the JSON line of each row, for the rejects file. */
  readonly raws: (readonly string[] | string)[];
}

/**
 * The reading half of an import, which needs no engine: streams the file, parses CSV or
 * JSON lines, maps rows to API bodies, validates them with the HTTP API's schemas, derives
 * interaction ids, and hands out batches. Rejected rows go to the rejects file, including
 * those the write side turns down later (`settle`).
 */
export class RowReader {
  rows = 0;
  private readonly validate;
  private readonly isInteractions: boolean;
  private header: string[] | undefined;
  private mapper: CsvRowMapper | undefined;
  private firstJsonLine = true;
  private bodies: RowBody[] = [];
  private lines: number[] = [];
  private raws: (readonly string[] | string)[] = [];
  private nextSeq = 0;
  private readonly outstanding = new Map<number, OutstandingBatch>();

  constructor(
    private readonly request: ReadRequest,
    readonly rejects: RejectsFile,
  ) {
    this.validate = compileStrict(SCHEMAS[request.kind]);
    this.isInteractions = request.kind === 'interactions';
  }

  /** Reads the whole file, awaiting `emit` for each batch (that is the back-pressure). */
  async run(emit: (batch: ReadBatch) => Promise<void>): Promise<void> {
    const { file, format } = this.request;
    const source = await openTextSource(file);
    const csv = format === 'csv' ? new CsvParser() : undefined;
    const lines = format === 'jsonl' ? new LineSplitter() : undefined;
    const onCsvRecord = (cells: string[], line: number): void => this.csvRecord(cells, line);
    const onJsonLine = (text: string, line: number): void => this.jsonLine(text, line);
    const send = (count: number): Promise<void> =>
      emit({ ...this.take(count), bytesRead: source.bytesRead(), totalBytes: source.bytes });
    for await (const chunk of source.text) {
      if (csv) csv.push(chunk, onCsvRecord);
      else lines?.push(chunk, onJsonLine);
      for (let size = this.batchSize(); this.bodies.length >= size; size = this.batchSize())
        await send(size);
    }
    if (csv) {
      try {
        csv.end(onCsvRecord);
      } catch (error) {
        if (!(error instanceof CsvError)) throw error;
        this.rows++;
        this.rejects.add(error.line, null, { code: 'INVALID_REQUEST', message: error.message });
      }
      if (!this.header)
        throw new ImportSetupError(`"${file}" is empty: a CSV file starts with a header row`);
    } else lines?.end(onJsonLine);
    while (this.bodies.length > 0) await send(this.batchSize());
    // A last batch of nothing, so progress reaches the end and trailing rejects get written.
    await send(0);
  }

  /**
   * Rows in the next batch. The first ones are small and grow to the requested size, so the
   * writer has work while this side is still warming up rather than waiting for a full batch.
   */
  private batchSize(): number {
    return Math.min(this.request.batch, FIRST_BATCH << Math.min(this.nextSeq, 16));
  }

  /** Records the rows of batch `seq` the write side rejected, and writes the rejects file up to it. */
  async settle(seq: number, rejections: readonly WriteRejection[]): Promise<void> {
    const batch = this.outstanding.get(seq);
    if (!batch) throw new Error(`no outstanding batch #${seq}`);
    this.outstanding.delete(seq);
    for (const { index, code, message } of rejections) {
      const line = batch.lines[index];
      const raw = batch.raws[index];
      if (line === undefined || raw === undefined)
        throw new Error(`batch #${seq} has no row #${index}`);
      this.rejects.add(line, this.rawRow(raw), { code, message });
    }
    // Rows after this batch's last one may still be rejected by a later batch's checks.
    const last = batch.lines[batch.lines.length - 1];
    await this.rejects.flush(last ?? Number.POSITIVE_INFINITY);
  }

  /** The first `count` queued rows as the next batch (all of them when fewer are queued). */
  private take(count: number): { seq: number; bodies: RowBody[] } {
    const bodies = this.bodies;
    const lines = this.lines;
    const raws = this.raws;
    if (count < bodies.length) {
      this.bodies = bodies.slice(count);
      this.lines = lines.slice(count);
      this.raws = raws.slice(count);
      bodies.length = count;
      lines.length = count;
      raws.length = count;
    } else {
      this.bodies = [];
      this.lines = [];
      this.raws = [];
    }
    const seq = this.nextSeq++;
    this.outstanding.set(seq, { lines, raws });
    return { seq, bodies };
  }

  private rawRow(raw: readonly string[] | string): unknown {
    if (typeof raw !== 'string') return rawCsvRow(this.header ?? [], raw);
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      return raw;
    }
  }

  /** Schema check, then queue; the id of an interaction is derived here when the row has none. */
  private accept(body: RowBody, line: number, raw: readonly string[] | string): void {
    if (!this.validate(body)) {
      this.rejects.add(line, this.rawRow(raw), validationError(this.validate.errors, 'row'));
      return;
    }
    if (this.isInteractions && body['id'] === undefined)
      body['id'] = importEventId(body as EventBodyT, line);
    this.bodies.push(body);
    this.lines.push(line);
    this.raws.push(raw);
  }

  private csvRecord(cells: string[], line: number): void {
    const header = this.header;
    if (!header) {
      this.header = cells;
      this.mapper = csvMapper(this.request.kind, cells, { defaultType: this.request.type });
      return;
    }
    this.rows++;
    if (cells.length !== header.length) {
      this.rejects.add(line, rawCsvRow(header, cells), {
        code: 'INVALID_REQUEST',
        message: `row has ${cells.length} fields, the header has ${header.length}`,
      });
      return;
    }
    this.accept((this.mapper as CsvRowMapper)(cells), line, cells);
  }

  private jsonLine(text: string, line: number): void {
    if (this.firstJsonLine) {
      this.firstJsonLine = false;
      if (text.trimStart().startsWith('['))
        throw new ImportSetupError(
          `"${this.request.file}" holds a JSON array; the importer reads JSON lines (one object per line)`,
        );
    }
    this.rows++;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      this.rejects.add(line, text, {
        code: 'INVALID_JSON',
        message: `the line is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
      });
      return;
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      this.rejects.add(line, body, { code: 'INVALID_REQUEST', message: 'row must be an object' });
      return;
    }
    // JSON.parse reads 1e999 as Infinity, which the schema accepts as a number but no event
    // can hold (it would reach the log as null). Only an exponent of 3+ digits can overflow.
    if (LARGE_EXPONENT.test(text) && hasNonFinite(body)) {
      this.rejects.add(line, body, {
        code: 'INVALID_REQUEST',
        message: 'row has a number too large to represent',
      });
      return;
    }
    const row = body as RowBody;
    const defaultType = this.request.type;
    if (this.isInteractions && defaultType !== undefined && row['type'] === undefined)
      row['type'] = defaultType;
    this.accept(row, line, text);
  }
}

const LARGE_EXPONENT = /\d[eE]\+?\d{3}/;

function hasNonFinite(value: unknown): boolean {
  if (typeof value === 'number') return !Number.isFinite(value);
  if (value === null || typeof value !== 'object') return false;
  return Object.values(value).some(hasNonFinite);
}

/** Messages from the import command to its reader thread. */
export type ToReader =
  | { type: 'start' }
  | { type: 'written'; seq: number; rejections: WriteRejection[] };

/** Messages from the reader thread. A batch travels as JSON text: far cheaper to clone than objects. */
export type FromReader =
  | { type: 'ready' }
  | { type: 'batch'; seq: number; json: string; bytesRead: number; totalBytes: number }
  | { type: 'done'; rows: number; rejected: number }
  | { type: 'failed'; message: string; setup: boolean; code: string | undefined };

interface InteractionColumns {
  readonly id: string[];
  readonly type: string[];
  readonly userId: string[];
  readonly itemId: string[];
  readonly value: (number | null)[];
  readonly timestamp: (number | string | null)[];
  readonly context: (object | null)[] | null;
}

/**
 * A batch as text for the trip between threads. Interactions go as columns: parsing
 * arrays and building the rows costs the receiving thread (the busy one) half as much as
 * parsing an array of objects. Values are JSON-safe: the schema let only finite numbers in.
 */
export function encodeBatch(kind: ImportKind, bodies: readonly RowBody[]): string {
  if (kind !== 'interactions') return JSON.stringify(bodies);
  const rows = bodies as unknown as EventBodyT[];
  const n = rows.length;
  const columns: InteractionColumns = {
    id: new Array<string>(n),
    type: new Array<string>(n),
    userId: new Array<string>(n),
    itemId: new Array<string>(n),
    value: new Array<number | null>(n),
    timestamp: new Array<number | string | null>(n),
    context: rows.some((row) => row.context !== undefined) ? new Array<object | null>(n) : null,
  };
  for (let i = 0; i < n; i++) {
    const row = rows[i] as EventBodyT;
    columns.id[i] = row.id as string;
    columns.type[i] = row.type;
    columns.userId[i] = row.userId;
    columns.itemId[i] = row.itemId;
    columns.value[i] = row.value ?? null;
    columns.timestamp[i] = row.timestamp ?? null;
    if (columns.context) columns.context[i] = row.context ?? null;
  }
  return JSON.stringify(columns);
}

export function decodeBatch(kind: ImportKind, text: string): RowBody[] {
  if (kind !== 'interactions') return JSON.parse(text) as RowBody[];
  const columns = JSON.parse(text) as InteractionColumns;
  const n = columns.id.length;
  const rows = new Array<EventBodyT>(n);
  for (let i = 0; i < n; i++) {
    const value = columns.value[i];
    const timestamp = columns.timestamp[i];
    const context = columns.context?.[i];
    // One shape for every row; absent fields are undefined, as the write service expects.
    rows[i] = {
      id: columns.id[i] as string,
      type: columns.type[i] as string,
      userId: columns.userId[i] as string,
      itemId: columns.itemId[i] as string,
      value: value === null ? undefined : value,
      timestamp: timestamp === null ? undefined : timestamp,
      context: context === null ? undefined : (context as EventBodyT['context']),
    };
  }
  return rows as unknown as RowBody[];
}
