import { Argument, Option, type Command } from 'commander';
import type { Logger } from 'pino';
import type { Engine } from '../../app/engine.js';
import { createLogger } from '../../observability/logger.js';
import { openEngine } from '../../roles/open-engine.js';
import type { KindredConfig } from '../../config/settings.js';
import { addCommonOptions, configFromOptions } from '../context.js';
import { createProgress } from '../progress.js';
import {
  DEFAULT_IMPORT_BATCH,
  importFile,
  startReader,
  type ImportRequest,
  type ImportSummary,
} from '../import/importer.js';
import { IMPORT_KINDS, ImportSetupError, type ImportKind } from '../import/mappers.js';
import type { ImportFormat } from '../import/source.js';

/** Batches above the settings' ceiling for `events.maxBatch` are refused. */
const MAX_BATCH = 100_000;

const HELP = `
Formats (from the extension, or --format; .gz files are decompressed on the fly):
  CSV (.csv)                 a header row, then one row per record; fields may be quoted
                             ("a, b" and doubled quotes ""), CRLF and a UTF-8 BOM are fine.
  JSON lines (.jsonl .ndjson .json)
                             one object per line, shaped exactly like the HTTP API bodies:
                             POST /v1/items, POST /v1/users, POST /v1/events.

CSV columns (names match case- and underscore-insensitively: item_id = itemId = ITEM-ID):
  items         item_id (or id, itemId, movieId), title, categories (or genres; "|"-separated;
                MovieLens' "(no genres listed)" means none), tags ("|"-separated), available,
                hidden (true/false); every other column is an attribute, numbers become numbers
                (year 1995 -> 1995; "007" and ids longer than 15 digits stay text). Empty cells
                are omitted.
  users         user_id (or id, userId); every other column is an attribute.
  interactions  user_id, item_id (or movieId), and optionally type, value (or rating), timestamp
                (unix seconds, or ISO-8601), id, scenario, recommendation_id, session_id.
                Rows without a type get --type; a file with a rating column defaults to "rating".

Every row is checked exactly as the HTTP API checks it. Bad rows do not stop the import:
they go to the rejects file (FILE.rejects.jsonl unless --rejects, created only if a row is
rejected), one JSON line each, in line order:
  {"line": N, "row": {...as read...}, "error": {"code": "...", "message": "..."}}
Valid rows are written in batches (--batch) through the same write path as the API; reading
and checking run on a second thread while the batches are written.

Re-importing is safe:
  interactions  Each event id is derived from the row's content, a SHA-1 of (user, item, type,
                time, value) (rows without a timestamp use their line number for the time).
                Importing the same file twice records nothing new: the second run reports
                every row as a duplicate. Rows with an id column/field keep their own id.
  items, users  Rows identical to the current item/user are skipped and reported as duplicates;
                changed ones are written (create or replace).

The last line on stdout is a JSON summary:
  {"kind","file","rows","imported","duplicates","rejected","seconds","rowsPerSecond","rejects"}
"seconds" covers reading, checking and writing (not opening the store, starting the reader
thread or the final snapshot); the store is closed with a fresh snapshot.

Examples:
  kindred import items datasets/movielens-small/movies.csv.gz
  kindred import interactions datasets/movielens-small/ratings.csv.gz
  kindred import interactions clicks.csv --type click --rejects /tmp/bad-clicks.jsonl
`;

function parseBatch(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_BATCH)
    throw new ImportSetupError(`--batch must be an integer from 1 to ${MAX_BATCH}`);
  return n;
}

/** The level the command logs at: warnings only, unless asked otherwise. */
export function quietLogger(options: Record<string, unknown>, config: KindredConfig): Logger {
  const explicit =
    options['logLevel'] !== undefined || process.env['KINDRED_LOG_LEVEL'] !== undefined;
  return createLogger(explicit ? config.log.level : 'warn');
}

export function registerImport(program: Command): void {
  addCommonOptions(program.command('import'))
    .description(
      'import items, users or interactions from a CSV or JSON lines file (optionally gzipped)',
    )
    .addArgument(new Argument('<kind>', 'what the file holds').choices(IMPORT_KINDS))
    .argument('<file>', 'the file: .csv, .jsonl, .ndjson or .json, optionally .gz')
    .option('--type <type>', 'interaction type of rows without one (interactions only)')
    .option('--rejects <path>', 'where rejected rows go (default: FILE.rejects.jsonl)')
    .option('--batch <n>', `rows per write (default ${DEFAULT_IMPORT_BATCH})`)
    .addOption(
      new Option('--format <format>', 'file format, when the extension does not say').choices([
        'csv',
        'jsonl',
      ]),
    )
    .addHelpText('after', HELP)
    .action(
      async (
        kind: ImportKind,
        file: string,
        options: Record<string, unknown>,
        command: Command,
      ) => {
        let summary: ImportSummary;
        try {
          const batch =
            options['batch'] === undefined
              ? DEFAULT_IMPORT_BATCH
              : parseBatch(String(options['batch']));
          const config = configFromOptions(options);
          // An import is one writer batching on purpose: let it write batches as large as it asks.
          if (batch > config.events.maxBatch) config.events.maxBatch = batch;
          summary = await runImport(config, quietLogger(options, config), {
            kind,
            file,
            format: options['format'] as ImportFormat | undefined,
            type: options['type'] as string | undefined,
            rejects: options['rejects'] as string | undefined,
            batch,
          });
        } catch (error) {
          if (error instanceof ImportSetupError || isMissingFile(error))
            command.error(`kindred import: ${(error as Error).message}`, {
              exitCode: 2,
              code: 'kindred.import',
            });
          throw error;
        }
        process.stdout.write(`${JSON.stringify(summary)}\n`);
      },
    );
}

/** Opens the engine, imports one file with a progress bar, closes (and snapshots). */
export async function runImport(
  config: KindredConfig,
  logger: Logger,
  request: ImportRequest,
): Promise<ImportSummary> {
  // The reader thread loads while the engine opens.
  const reader = startReader(request);
  let engine: Engine | undefined;
  let progress: ReturnType<typeof createProgress> | undefined;
  try {
    engine = openEngine(config, logger);
    await engine.start({});
    return await importFile(
      engine,
      {
        ...request,
        onProgress: (done, total) => {
          progress ??= createProgress(`import ${request.kind}`, total, 'bytes');
          progress.update(done);
        },
      },
      reader,
    );
  } finally {
    progress?.stop();
    await reader.stop();
    await engine?.close();
  }
}

function isMissingFile(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'EISDIR' || code === 'EACCES';
}
