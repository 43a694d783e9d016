import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { Writable } from 'node:stream';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { pino } from 'pino';
import type { Engine } from '../src/app/engine.js';
import { loadConfig } from '../src/config/load.js';
import { openEngine } from '../src/roles/open-engine.js';
import { CsvParser } from '../src/cli/import/csv.js';
import { LineSplitter } from '../src/cli/import/jsonl.js';
import { importFile } from '../src/cli/import/importer.js';
import { ImportSetupError } from '../src/cli/import/mappers.js';
import { exportData } from '../src/cli/commands/export.js';

const runNode = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const movielens = join(root, 'datasets', 'movielens-small');
const cli = join(root, 'bin', 'kindred.js');

function parseCsv(chunks: readonly string[]): { fields: string[]; line: number }[] {
  const out: { fields: string[]; line: number }[] = [];
  const parser = new CsvParser();
  for (const chunk of chunks) parser.push(chunk, (fields, line) => out.push({ fields, line }));
  parser.end((fields, line) => out.push({ fields, line }));
  return out;
}

async function tempDir(): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'kindred-import-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

function engineIn(dataDir: string): Engine {
  const config = loadConfig({ env: {}, flags: { 'data.dir': dataDir } });
  return openEngine(config, pino({ level: 'silent' }));
}

async function readJsonLines(path: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(path, 'utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** A slow output that counts export lines by kind without keeping them. */
class LineCounter extends Writable {
  readonly kinds = new Map<string, number>();
  offsetsInOrder = true;
  firstLine = '';
  toyStory = '';
  maxBuffered = 0;
  bytes = 0;
  private carry = '';
  private nextOffset = 1;

  constructor() {
    super({ highWaterMark: 16 * 1024, decodeStrings: false });
  }

  override _write(chunk: string | Buffer, _encoding: string, done: (error?: Error) => void): void {
    const lines = (this.carry + chunk.toString()).split('\n');
    this.carry = lines.pop() ?? '';
    for (const line of lines) {
      const kind = line.slice(9, line.indexOf('"', 9)); // {"kind":"...
      this.kinds.set(kind, (this.kinds.get(kind) ?? 0) + 1);
      if (this.firstLine === '') this.firstLine = line;
      if (kind === 'event') {
        const offset = Number(/"offset":(\d+)/.exec(line)?.[1]);
        if (offset !== this.nextOffset++) this.offsetsInOrder = false;
      }
      if (kind === 'item' && line.startsWith('{"kind":"item","id":"1",')) this.toyStory = line;
    }
    this.bytes += chunk.length;
    this.maxBuffered = Math.max(this.maxBuffered, this.writableLength);
    setImmediate(done);
  }
}

describe('CSV parser', () => {
  const text =
    '\uFEFFid,title,genres\r\n' +
    '1,"Heat, the movie",Crime|Drama\r\n' +
    '\r\n' +
    '2,"She said ""no""",\r\n' +
    '3,"two\nlines",x\n' +
    '4,plain,"a""b"\r' +
    '5,last,no-newline';

  test('quotes, doubled quotes, commas and line breaks in fields, CRLF/LF/CR, BOM, blank lines', () => {
    assert.deepEqual(parseCsv([text]), [
      { fields: ['id', 'title', 'genres'], line: 1 },
      { fields: ['1', 'Heat, the movie', 'Crime|Drama'], line: 2 },
      { fields: ['2', 'She said "no"', ''], line: 4 },
      { fields: ['3', 'two\nlines', 'x'], line: 5 },
      { fields: ['4', 'plain', 'a"b'], line: 7 },
      { fields: ['5', 'last', 'no-newline'], line: 8 },
    ]);
  });

  test('chunks split anywhere give the same records', () => {
    const whole = parseCsv([text]);
    for (let a = 0; a <= text.length; a++) {
      for (let b = a; b <= text.length; b += 3) {
        assert.deepEqual(
          parseCsv([text.slice(0, a), text.slice(a, b), text.slice(b)]),
          whole,
          `split at ${a}/${b}`,
        );
      }
    }
  });

  test('trailing comma, empty last field, unterminated quote', () => {
    assert.deepEqual(
      parseCsv(['a,b,\n', 'c,,']).map((r) => r.fields),
      [
        ['a', 'b', ''],
        ['c', '', ''],
      ],
    );
    assert.throws(() => parseCsv(['a,"b\n', 'c']), /line 1: a quoted field is not closed/);
  });

  test('JSON lines splitter: LF and CRLF, blank lines, line numbers', () => {
    const lines: [string, number][] = [];
    const splitter = new LineSplitter();
    for (const chunk of ['\uFEFF{"a":1}\r\n\n{"b"', ':2}\n  \n{"c":3}'])
      splitter.push(chunk, (t, n) => lines.push([t, n]));
    splitter.end((t, n) => lines.push([t, n]));
    assert.deepEqual(lines, [
      ['{"a":1}', 1],
      ['{"b":2}', 3],
      ['{"c":3}', 5],
    ]);
  });
});

describe('kindred import / export', () => {
  let dir: { path: string; remove: () => Promise<void> };
  before(async () => {
    dir = await tempDir();
  });
  after(() => dir.remove());

  test('MovieLens (shipped gzipped sample): items, ratings, re-import, export round-trip', async () => {
    const data = join(dir.path, 'movielens');
    const engine = engineIn(data);
    await engine.start({});
    try {
      const items = await importFile(engine, {
        kind: 'items',
        file: join(movielens, 'movies.csv.gz'),
      });
      assert.equal(items.rows, 9066);
      assert.equal(items.imported, 9066);
      assert.equal(items.rejected, 0);
      assert.equal(items.rejects, null);
      const toyStory = engine.readModels.catalog.get('1');
      assert.ok(toyStory);
      assert.equal(toyStory.title, 'Toy Story');
      assert.deepEqual(
        toyStory.attributes,
        { year: 1995 },
        'year is a number, empty cells are omitted',
      );
      assert.deepEqual(toyStory.categories, [
        'Adventure',
        'Animation',
        'Children',
        'Comedy',
        'Fantasy',
      ]);
      assert.deepEqual(
        engine.readModels.catalog.get('143410')?.categories,
        [],
        '"(no genres listed)" is no category',
      );

      const ratings = await importFile(engine, {
        kind: 'interactions',
        file: join(movielens, 'ratings.csv.gz'),
      });
      assert.deepEqual(
        {
          rows: ratings.rows,
          imported: ratings.imported,
          duplicates: ratings.duplicates,
          rejected: ratings.rejected,
        },
        { rows: 100_004, imported: 100_004, duplicates: 0, rejected: 0 },
      );
      const models = engine.readModels;
      assert.equal(models.catalog.size, 9066, 'every rated movie is in movies.csv');
      assert.equal(models.users.size, 671);
      assert.equal(models.histories.size, 100_004);
      const rating = models.interactionTypes.indexOf('rating');
      assert.ok(models.histories.columns().types.every((type) => type === rating));
      const user1 = models.users.ids.indexOf('1');
      assert.ok(user1 !== undefined);
      const first = models.histories.recent(user1).at(-1);
      assert.deepEqual(first && { value: first.value, time: first.time }, {
        value: 2.5,
        time: 1260759144,
      });

      // Idempotent re-import (interactions are checked on a small file below, to keep this fast).
      const eventsBefore = await engine.log.count();
      assert.equal(eventsBefore, 9066 + 100_004);
      const itemsAgain = await importFile(engine, {
        kind: 'items',
        file: join(movielens, 'movies.csv.gz'),
      });
      assert.deepEqual([itemsAgain.imported, itemsAgain.duplicates], [0, 9066]);
      assert.equal(
        await engine.log.count(),
        eventsBefore,
        're-importing unchanged items appends nothing',
      );

      // Export through a slow consumer with a small buffer: the exporter must wait for it.
      const out = new LineCounter();
      const counts = await exportData(engine, out);
      await new Promise<void>((resolve) => out.end(resolve));
      assert.deepEqual(counts, { events: eventsBefore, items: 9066, users: 671 });
      assert.deepEqual(Object.fromEntries(out.kinds), {
        event: eventsBefore,
        item: 9066,
        user: 671,
      });
      assert.ok(out.offsetsInOrder, 'events in offset order, 1, 2, 3...');
      assert.ok(
        out.maxBuffered < 1024 * 1024 && out.bytes > 20 * 1024 * 1024,
        `the exporter waits for a slow output (${out.maxBuffered} bytes buffered at most of ${out.bytes})`,
      );
      const firstEvent = JSON.parse(out.firstLine) as Record<string, unknown>;
      assert.deepEqual(
        [firstEvent['kind'], firstEvent['offset'], firstEvent['type'], firstEvent['metadata']],
        ['event', 1, 'item.upserted', { source: 'import' }],
      );
      const toyStoryLine = JSON.parse(out.toyStory) as Record<string, unknown>;
      assert.equal(toyStoryLine['title'], 'Toy Story');
    } finally {
      await engine.close();
    }
  });

  test('bad rows go to the rejects file, good rows are imported; re-import records nothing', async () => {
    const data = join(dir.path, 'bad-rows');
    const file = join(dir.path, 'events.csv');
    await writeFile(
      file,
      '\uFEFFuser_id,item_id,type,value,timestamp\r\n' +
        'u1,i1,view,,1700000000\r\n' + // 2 ok
        'u2,i2,teleport,,1700000000\r\n' + // 3 unknown type
        'u3,i3,view,,yesterday\r\n' + // 4 bad timestamp
        ',i4,view,,1700000000\r\n' + // 5 no user id
        '"u,5","i ""5""",like,,2024-01-02T03:04:05Z\r\n' + // 6 ok: quoted comma, doubled quotes
        'u6,i6,rating,abc,1700000000\r\n' + // 7 value is not a number
        'u7,i7,view\r\n' + // 8 too few fields
        '"u8","two\r\nlines",view,,1700000000\r\n' + // 9-10 control characters in an id
        'u9,i9,rating,4.5,1700000001\r\n', // 11 ok
    );
    const engine = engineIn(data);
    await engine.start({});
    try {
      const summary = await importFile(engine, { kind: 'interactions', file, batch: 4 });
      assert.deepEqual(
        {
          rows: summary.rows,
          imported: summary.imported,
          duplicates: summary.duplicates,
          rejected: summary.rejected,
        },
        { rows: 9, imported: 3, duplicates: 0, rejected: 6 },
      );
      assert.equal(summary.rejects, `${file}.rejects.jsonl`);
      const rejects = await readJsonLines(`${file}.rejects.jsonl`);
      assert.deepEqual(
        rejects.map((r) => [r['line'], (r['error'] as { code: string }).code]),
        [
          [3, 'UNKNOWN_INTERACTION_TYPE'],
          [4, 'INVALID_TIMESTAMP'],
          [5, 'INVALID_REQUEST'],
          [7, 'INVALID_REQUEST'],
          [8, 'INVALID_REQUEST'],
          [9, 'INVALID_REQUEST'],
        ],
        'in line order, a record spanning lines 9-10 reported at its first',
      );
      assert.deepEqual(rejects[0]?.['row'], {
        user_id: 'u2',
        item_id: 'i2',
        type: 'teleport',
        value: '',
        timestamp: '1700000000',
      });
      assert.match((rejects[2]?.['error'] as { message: string }).message, /userId/);
      assert.match((rejects[3]?.['error'] as { message: string }).message, /value must be number/);
      assert.match(
        (rejects[4]?.['error'] as { message: string }).message,
        /row has 3 fields, the header has 5/,
      );

      const models = engine.readModels;
      assert.ok(models.users.get('u,5'), 'a quoted comma stays in the field');
      assert.ok(models.catalog.get('i "5"'), 'doubled quotes become one');
      assert.equal(models.histories.size, 3);

      const count = await engine.log.count();
      const again = await importFile(engine, {
        kind: 'interactions',
        file,
        rejects: join(dir.path, 'again.jsonl'),
      });
      assert.deepEqual([again.imported, again.duplicates, again.rejected], [0, 3, 6]);
      assert.equal(await engine.log.count(), count);
    } finally {
      await engine.close();
    }
  });

  test('items CSV and JSON lines with API field names, gzipped, with --type as the default type', async () => {
    const data = join(dir.path, 'jsonl');
    const items = join(dir.path, 'items.csv');
    await writeFile(
      items,
      'item_id,title,categories,tags,available,price,sku,color\n' +
        'a,"Lamp, small",Home|Light,sale,false,19.90,0042,\n' +
        'b,Chair,Home,,true,-3,12345678901234567890,red\n' +
        'c,Bad,Home,,maybe,1,x,y\n',
    );
    const events = join(dir.path, 'events.jsonl.gz');
    await writeFile(
      events,
      gzipSync(
        [
          '{"userId":"u1","itemId":"a","timestamp":"2024-05-01T10:00:00Z"}',
          '{"userId":"u1","itemId":"b","type":"purchase","value":2,"timestamp":1714557600}',
          '{"userId":"u2","itemId":"a","colour":"red"}',
          'not json',
          '',
          '{"userId":"u2","itemId":"b","type":"like","id":"my-own-id"}',
          '{"userId":"u3","itemId":"b","value":1e999}',
        ].join('\n'),
      ),
    );
    const engine = engineIn(data);
    await engine.start({});
    try {
      const itemSummary = await importFile(engine, { kind: 'items', file: items });
      assert.deepEqual([itemSummary.imported, itemSummary.rejected], [2, 1]);
      const lamp = engine.readModels.catalog.get('a');
      assert.deepEqual(
        lamp && {
          title: lamp.title,
          categories: lamp.categories,
          tags: lamp.tags,
          available: lamp.available,
          attributes: lamp.attributes,
        },
        {
          title: 'Lamp, small',
          categories: ['Home', 'Light'],
          tags: ['sale'],
          available: false,
          attributes: { price: 19.9, sku: '0042' },
        },
      );
      assert.deepEqual(engine.readModels.catalog.get('b')?.attributes, {
        price: -3,
        sku: '12345678901234567890',
        color: 'red',
      });
      const itemRejects = await readJsonLines(`${items}.rejects.jsonl`);
      assert.equal(itemRejects[0]?.['line'], 4);
      assert.match(
        (itemRejects[0]?.['error'] as { message: string }).message,
        /available must be boolean/,
      );

      await assert.rejects(
        importFile(engine, { kind: 'interactions', file: items }),
        (error: Error) =>
          error instanceof ImportSetupError && /unknown column\(s\)/.test(error.message),
        'a file whose header does not fit is refused before anything is written',
      );
      const summary = await importFile(engine, {
        kind: 'interactions',
        file: events,
        type: 'view',
      });
      assert.deepEqual([summary.rows, summary.imported, summary.rejected], [6, 3, 3]);
      const rejects = await readJsonLines(`${events}.rejects.jsonl`);
      assert.deepEqual(
        rejects.map((r) => [r['line'], (r['error'] as { code: string }).code]),
        [
          [3, 'UNKNOWN_FIELD'],
          [4, 'INVALID_JSON'],
          [7, 'INVALID_REQUEST'],
        ],
      );
      assert.equal(rejects[1]?.['row'], 'not json');
      const stored = await engine.log.readAfter(0, 100);
      const interactions = stored.filter((e) => e.type === 'interaction.recorded');
      assert.deepEqual(
        interactions.map((e) => (e.payload as { type: string }).type),
        ['view', 'purchase', 'like'],
      );
      assert.equal(interactions[2]?.id, 'my-own-id', 'an id in the row is kept');
      assert.match(interactions[0]?.id ?? '', /^[A-Za-z0-9_-]{22}$/);
      assert.equal(interactions[0]?.occurredAt, Date.parse('2024-05-01T10:00:00Z'));
    } finally {
      await engine.close();
    }
  });

  test('the CLI: kindred import prints a JSON summary, kindred export writes JSON lines', async () => {
    const data = join(dir.path, 'cli');
    const users = join(dir.path, 'users.csv');
    await writeFile(users, 'userId,country,age\nu1,FR,31\nu2,DE,\n');
    const imported = await runNode(process.execPath, [
      cli,
      'import',
      'users',
      users,
      '--data',
      data,
    ]);
    const summary = JSON.parse(imported.stdout.trim().split('\n').at(-1) as string) as Record<
      string,
      unknown
    >;
    assert.deepEqual(
      {
        kind: summary['kind'],
        rows: summary['rows'],
        imported: summary['imported'],
        rejects: summary['rejects'],
      },
      { kind: 'users', rows: 2, imported: 2, rejects: null },
    );
    assert.equal(typeof summary['seconds'], 'number');
    assert.equal(typeof summary['rowsPerSecond'], 'number');

    const exported = await runNode(process.execPath, [cli, 'export', '--data', data]);
    const lines = exported.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(
      lines.map((l) => [l['kind'], l['kind'] === 'event' ? l['offset'] : l['id']]),
      [
        ['event', 1],
        ['event', 2],
        ['user', 'u1'],
        ['user', 'u2'],
      ],
    );
    assert.deepEqual(lines[2]?.['attributes'], { country: 'FR', age: 31 });
  });
});
