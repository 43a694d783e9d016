import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import type { Engine } from '../../app/engine.js';
import { itemView, userView } from '../../http/views.js';
import { openEngine } from '../../roles/open-engine.js';
import { addCommonOptions, configFromOptions } from '../context.js';
import { createProgress } from '../progress.js';
import { quietLogger } from './import.js';

const EVENTS_PER_READ = 2_000;
const ENTITIES_PER_PAGE = 1_000;
/** Lines are gathered into writes of about this many characters. */
const WRITE_CHARS = 256 * 1024;

export interface ExportCounts {
  readonly events: number;
  readonly items: number;
  readonly users: number;
}

/** Thrown when the reader went away (`kindred export | head`): not a failure of the export. */
class OutputClosed extends Error {}

/** Buffered writes to a stream, waiting for 'drain' whenever the stream asks us to. */
class LineWriter {
  private buffered = '';
  private failure: Error | undefined;
  private readonly onError = (error: Error): void => {
    this.failure = error;
  };

  constructor(private readonly out: Writable) {
    out.on('error', this.onError);
  }

  async line(value: unknown): Promise<void> {
    this.buffered += `${JSON.stringify(value)}\n`;
    if (this.buffered.length >= WRITE_CHARS) await this.flush();
  }

  async flush(): Promise<void> {
    this.check();
    if (this.buffered === '') return;
    const text = this.buffered;
    this.buffered = '';
    if (!this.out.write(text)) await drained(this.out);
    this.check();
  }

  detach(): void {
    this.out.off('error', this.onError);
  }

  private check(): void {
    if (!this.failure) return;
    const code = (this.failure as { code?: string }).code;
    if (code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED')
      throw new OutputClosed(this.failure.message);
    throw this.failure;
  }
}

/** Resolves once the stream can take more, or will never (closed, failed: see `check`). */
function drained(out: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      out.off('drain', done);
      out.off('close', done);
      out.off('error', done);
      resolve();
    };
    out.on('drain', done);
    out.on('close', done);
    out.on('error', done);
  });
}

/**
 * Writes the engine's data as JSON lines: every event of the log in offset order (up to
 * the read models' checkpoint, so the two parts agree), then every current item, then
 * every user. Reads a page at a time and waits for the output to drain, so memory stays
 * flat however large the log.
 */
export async function exportData(
  engine: Engine,
  out: Writable,
  onProgress?: (done: number, total: number) => void,
): Promise<ExportCounts> {
  const models = engine.readModels;
  const upTo = models.checkpoint;
  const total = upTo + models.catalog.size + models.users.size;
  const writer = new LineWriter(out);
  let events = 0;
  let items = 0;
  let users = 0;
  try {
    for (let cursor = 0; cursor < upTo; ) {
      const page = await engine.log.readAfter(cursor, EVENTS_PER_READ);
      if (page.length === 0) break;
      for (const event of page) {
        if (event.offset > upTo) break;
        await writer.line({
          kind: 'event',
          offset: event.offset,
          id: event.id,
          type: event.type,
          version: event.version,
          occurredAt: event.occurredAt,
          receivedAt: event.receivedAt,
          partitionKey: event.partitionKey,
          payload: event.payload,
          metadata: event.metadata,
        });
        events++;
      }
      cursor = (page[page.length - 1] as { offset: number }).offset;
      onProgress?.(events, total);
    }
    for (let after = -1; after < models.catalog.capacity - 1; ) {
      const page = models.catalog.page(after, ENTITIES_PER_PAGE);
      for (const item of page.items) await writer.line({ kind: 'item', ...itemView(item) });
      items += page.items.length;
      after = page.lastIndex;
      onProgress?.(events + items, total);
    }
    for (let after = -1; after < models.users.capacity - 1; ) {
      const page = models.users.page(after, ENTITIES_PER_PAGE);
      for (const user of page.users) await writer.line({ kind: 'user', ...userView(user) });
      users += page.users.length;
      after = page.lastIndex;
      onProgress?.(events + items + users, total);
    }
    await writer.flush();
  } finally {
    writer.detach();
  }
  return { events, items, users };
}

export function registerExport(program: Command): void {
  addCommonOptions(program.command('export'))
    .description('write the event log, then the current items and users, as JSON lines')
    .option('--out <file>', 'write to this file instead of stdout')
    .addHelpText(
      'after',
      `
Lines, in this order:
  {"kind":"event","offset":1,"id":...,"type":...,"version":...,"occurredAt":...,"receivedAt":...,
   "partitionKey":...,"payload":{...},"metadata":{...}}      every event, in offset order
  {"kind":"item", ...as GET /v1/items/:id returns it}          every current item
  {"kind":"user", ...as GET /v1/users/:id returns it}          every current user
Events are exported as stored (their original payload version). Progress goes to stderr; the
summary too when the data goes to stdout.`,
    )
    .action(async (options: Record<string, unknown>) => {
      const config = configFromOptions(options);
      const engine = openEngine(config, quietLogger(options, config));
      const file = options['out'] as string | undefined;
      const started = performance.now();
      let counts: ExportCounts | undefined;
      try {
        await engine.start({});
        // Opened once the engine is up, and handed straight to exportData, which listens for errors.
        const out: Writable = file ? createWriteStream(file) : process.stdout;
        let progress: ReturnType<typeof createProgress> | undefined;
        try {
          counts = await exportData(engine, out, (done, total) => {
            progress ??= createProgress('export', total, 'records');
            progress.update(done);
          });
        } catch (error) {
          if (!(error instanceof OutputClosed)) throw error;
        } finally {
          progress?.stop();
        }
        if (file) {
          out.end();
          await once(out, 'finish');
        }
      } finally {
        // A read-only command: no snapshot, so it never competes with a running server's.
        await engine.close({ snapshot: false });
      }
      if (!counts) return; // the reader closed the pipe
      const summary = `${JSON.stringify({
        ...counts,
        seconds: Number(((performance.now() - started) / 1000).toFixed(3)),
        out: file ?? null,
      })}\n`;
      (file ? process.stdout : process.stderr).write(summary);
    });
}
