// Import cost as the log grows: `kindred import interactions` of ~300k and ~3M MovieLens
// ratings, each into a fresh data directory, and the ratio of their rates. A flat import
// has a ratio near 1; one whose per-row cost grows with the log falls well below.
//
// Usage (after `npm run build`):
//   node build/bench/import-scaling.js [--small 3] [--large 30] [--runs 1]
//                                     [--baseline DIR] [--batch N] [--keep]
//
// --small / --large: copies of the 100,004 ratings (user ids shifted by copy * 100,000 so
// that every copy is new interactions). --baseline DIR runs another checkout's build
// (DIR/bin/kindred.js) in the same loop, back to back, so both are measured under the same
// load. The rate is rows / wall seconds of the whole command (start-up and the closing
// snapshot included), beside the importer's own `rowsPerSecond`.
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { createGunzip } from 'node:zlib';
import { KINDRED_BIN } from '../test/support/server-process.js';
import { flag, numberOption, textOption } from './options.js';

const SMALL = numberOption('small', 3);
const LARGE = numberOption('large', 30);
const RUNS = numberOption('runs', 1);
const BATCH = textOption('batch');
const BASELINE = textOption('baseline');
const RATINGS = join(KINDRED_BIN, '..', '..', 'datasets', 'movielens-small', 'ratings.csv.gz');

/** Writes `copies` copies of the ratings, each under its own user ids; returns the row count. */
async function writeCopies(copies: number, path: string): Promise<number> {
  const lines: string[] = [];
  const input = createInterface({ input: createReadStream(RATINGS).pipe(createGunzip()) });
  for await (const line of input) if (line !== '') lines.push(line);
  const out = createWriteStream(path);
  out.write(`${lines[0] as string}\n`);
  let rows = 0;
  for (let copy = 0; copy < copies; copy++) {
    // Buffered a copy at a time: 100k small writes would dominate making the file.
    const chunk: string[] = [];
    for (const line of lines.slice(1)) {
      const comma = line.indexOf(',');
      chunk.push(`${Number(line.slice(0, comma)) + copy * 100_000}${line.slice(comma)}`);
    }
    rows += chunk.length;
    if (!out.write(`${chunk.join('\n')}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return rows;
}

interface Measured {
  readonly wallRowsPerSecond: number;
  readonly importerRowsPerSecond: number;
  readonly seconds: number;
}

function importOnce(bin: string, file: string, rows: number, scratch: string): Measured {
  const data = mkdtempSync(join(scratch, 'data-'));
  const args = [bin, 'import', 'interactions', file, '--type', 'rating', '--data', data];
  if (BATCH !== undefined) args.push('--batch', BATCH);
  const started = performance.now();
  const run = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
  const seconds = (performance.now() - started) / 1000;
  rmSync(data, { recursive: true, force: true });
  if (run.status !== 0) throw new Error(`import failed (${run.status}): ${run.stderr}`);
  const summary = JSON.parse(run.stdout.trim().split('\n').at(-1) as string) as {
    rows: number;
    rowsPerSecond: number;
  };
  if (summary.rows !== rows) throw new Error(`imported ${summary.rows} rows, expected ${rows}`);
  return {
    wallRowsPerSecond: Math.round(rows / seconds),
    importerRowsPerSecond: summary.rowsPerSecond,
    seconds: Number(seconds.toFixed(2)),
  };
}

const scratch = mkdtempSync(join(tmpdir(), 'kindred-import-scaling-'));
try {
  const small = join(scratch, `ratings-x${SMALL}.csv`);
  const large = join(scratch, `ratings-x${LARGE}.csv`);
  const smallRows = await writeCopies(SMALL, small);
  const largeRows = await writeCopies(LARGE, large);
  const builds: [string, string][] = [['this checkout', KINDRED_BIN]];
  if (BASELINE !== undefined) builds.push(['baseline', join(BASELINE, 'bin', 'kindred.js')]);
  for (let run = 1; run <= RUNS; run++) {
    for (const [name, bin] of builds) {
      // Long runs: say what is running, on stderr, so the table on stdout stays clean.
      process.stderr.write(`run ${run}/${RUNS}, ${name}: ${smallRows} rows ...\n`);
      const a = importOnce(bin, small, smallRows, scratch);
      process.stderr.write(`run ${run}/${RUNS}, ${name}: ${largeRows} rows ...\n`);
      const b = importOnce(bin, large, largeRows, scratch);
      const ratio = (b.wallRowsPerSecond / a.wallRowsPerSecond).toFixed(2);
      console.log(
        JSON.stringify({ run, build: name, [smallRows]: a, [largeRows]: b, wallRatio: ratio }),
      );
    }
  }
} finally {
  if (!flag('keep')) rmSync(scratch, { recursive: true, force: true });
}
