import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { type Command, Option } from 'commander';
import { InteractionTypes } from '../../core/domain/interaction.js';
import {
  type BenchmarkResult,
  type BenchmarkRow,
  benchmarkProtocol,
} from '../../core/recommend/model-comparison.js';
import type { SplitProtocol } from '../../core/recommend/offline.js';
import {
  COMPONENT_KINDS,
  type ComponentKind,
  describePipeline,
  parsePipelineConfig,
} from '../../core/recommend/blend-config.js';
import { ialsThreadPool } from '../../app/training/ials-thread-pool.js';
import { addCommonOptions, configFromOptions } from '../context.js';
import { RatingsFileError, readRatingsFile } from '../ratings-file.js';

const HELP = `
Protocols (--protocol):
  random       per user, a seeded random --ratio of their interactions trains and the rest is
               held out (Microsoft Recommenders' python_stratified_split; default 0.75, seed 42)
  leave-last   per user, their latest --count interactions are held out (default 1)
  temporal     all interactions before a point in time train, the latest (1 - --ratio) are held out

Every held-out interaction with a positive signal is relevant (every rating, whatever its
value); items a user has in training are never recommended to them. Each model is trained
on the training side and asked for k items per user through the serving code path. The
default pipeline is what a server trains: the automatic search (models, blend weights,
hyperparameters by validation nDCG within --budget seconds) on a validation split carved
out of the training side with the same protocol, then a fit on the whole training side.

Example:
  kindred eval --ratings datasets/movielens-small/ratings.csv.gz --protocol random --ratio 0.75 --seed 42
`;

export function registerEval(program: Command): void {
  addCommonOptions(program.command('eval'))
    .description(
      'offline evaluation: every model and the default pipeline side by side on a split of a ratings file',
    )
    .requiredOption(
      '--ratings <file>',
      'interactions CSV (userId,itemId|movieId[,rating][,timestamp]), plain or .gz',
    )
    .addOption(
      new Option('--protocol <name>', 'how to split')
        .choices(['random', 'leave-last', 'temporal'])
        .default('random'),
    )
    .option('--ratio <r>', 'share of interactions that trains (random, temporal)', '0.75')
    .option('--seed <n>', 'split seed (random)', '42')
    .option('--count <n>', 'interactions held out per user (leave-last)', '1')
    .option('--k <n>', 'list length the metrics are computed at', '10')
    .option(
      '--budget <seconds>',
      "time budget of the default pipeline's search (training.budgetSeconds)",
    )
    .option('--threads <n>', 'iALS threads (training.threads)')
    .option('--type <type>', 'interaction type of the rows', 'rating')
    .option(
      '--models <list>',
      `comma-separated single models for the table (${[...COMPONENT_KINDS, 'bpr'].join(', ')}); "none" for none`,
    )
    .option('--pipeline <file>', 'evaluate this pinned pipeline (JSON) instead of searching')
    .option('--no-default', 'skip the default pipeline')
    .option(
      '--save-pipeline <file>',
      'write the chosen pipeline and its figures as JSON (for pinning it)',
    )
    .option('--json', 'print the result as JSON instead of a table')
    .addHelpText('after', HELP)
    .action(async (options: Record<string, unknown>, command: Command) => {
      const config = configFromOptions(options);
      const types = new InteractionTypes(
        config.interactions.types,
        config.interactions.ratingMidpoint,
      );
      const number = (name: string): number => {
        const value = Number(options[name]);
        if (!Number.isFinite(value))
          command.error(`kindred eval: --${name} must be a number`, { exitCode: 2 });
        return value;
      };
      const protocol: SplitProtocol =
        options['protocol'] === 'leave-last'
          ? { kind: 'leave-last', count: number('count') }
          : options['protocol'] === 'temporal'
            ? { kind: 'temporal', ratio: number('ratio') }
            : { kind: 'random', ratio: number('ratio'), seed: number('seed') };
      let models: (ComponentKind | 'bpr')[] | undefined;
      if (typeof options['models'] === 'string') {
        const list =
          options['models'] === 'none' ? [] : options['models'].split(',').map((m) => m.trim());
        for (const model of list)
          if (!(COMPONENT_KINDS as readonly string[]).includes(model) && model !== 'bpr')
            command.error(`kindred eval: unknown model "${model}"`, { exitCode: 2 });
        models = list as (ComponentKind | 'bpr')[];
      }
      let pipeline;
      if (typeof options['pipeline'] === 'string') {
        try {
          const raw = JSON.parse(readFileSync(options['pipeline'], 'utf8')) as Record<
            string,
            unknown
          >;
          pipeline = parsePipelineConfig(raw['pipeline'] ?? raw);
        } catch (error) {
          command.error(`kindred eval: --pipeline: ${(error as Error).message}`, { exitCode: 2 });
        }
      }
      let data;
      try {
        data = readRatingsFile(String(options['ratings']), types, String(options['type']));
      } catch (error) {
        if (error instanceof RatingsFileError)
          command.error(`kindred eval: ${error.message}`, { exitCode: 2 });
        throw error;
      }
      const quiet = options['json'] === true;
      const started = performance.now();
      const log = (message: string): void => {
        if (!quiet)
          process.stderr.write(
            `[${((performance.now() - started) / 1000).toFixed(1)} s] ${message}\n`,
          );
      };
      log(`${data.users} users, ${data.items} items, ${data.log.users.length} interactions`);
      const result = await benchmarkProtocol(
        data.log,
        types,
        { users: data.users, items: data.items },
        protocol,
        {
          k: number('k'),
          budgetSeconds:
            options['budget'] === undefined ? config.training.budgetSeconds : number('budget'),
          requestBudgetMs: config.training.requestBudgetMs,
          threads: ialsThreadPool(
            options['threads'] === undefined
              ? Math.min(config.training.threads, availableParallelism())
              : number('threads'),
          ),
          ...(models === undefined ? {} : { models }),
          ...(pipeline === undefined ? {} : { pipeline }),
          defaultPipeline: options['default'] !== false,
          onProgress: log,
        },
      );
      if (typeof options['savePipeline'] === 'string' && result.chosen !== undefined) {
        const row = result.rows.at(-1);
        writeFileSync(
          options['savePipeline'],
          `${JSON.stringify(
            {
              ratings: String(options['ratings']),
              protocol: result.protocol,
              k: result.k,
              pipeline: result.chosen,
              description: describePipeline(result.chosen),
              metrics: row?.metrics,
              validationNdcg: result.search?.validationNdcg,
            },
            null,
            2,
          )}\n`,
        );
      }
      if (quiet) process.stdout.write(`${JSON.stringify(result)}\n`);
      else process.stdout.write(formatBenchmark(result));
    });
}

const HEADERS = [
  'model',
  'nDCG',
  'Precision',
  'Recall',
  'MAP',
  'MRR',
  'HitRate',
  'Coverage',
  'Novelty',
  'fit s',
];

function cells(row: BenchmarkRow): string[] {
  const m = row.metrics;
  return [
    row.name,
    m.ndcg.toFixed(4),
    m.precision.toFixed(4),
    m.recall.toFixed(4),
    m.map.toFixed(4),
    m.mrr.toFixed(4),
    m.hitRate.toFixed(4),
    m.coverage.toFixed(4),
    m.novelty.toFixed(2),
    row.seconds.toFixed(1),
  ];
}

/** The table as Markdown, with what the default pipeline chose under it. */
export function formatBenchmark(result: BenchmarkResult): string {
  const k = result.k;
  const headers = HEADERS.map((h, i) =>
    i >= 1 && i <= 4 ? `${h}@${k}` : i === 6 ? `${h}@${k}` : h,
  );
  const rows = result.rows.map(cells);
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (values: string[]) =>
    `| ${values.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join(' | ')} |`;
  const out = [
    `${result.users} users, ${result.items} items, ${result.interactions} interactions`,
    `protocol: ${result.protocol}; k = ${k}; train ${result.trainInteractions}, test ${result.testInteractions} interactions (${result.testUsers} users evaluated)`,
    '',
    line(headers),
    `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`,
    ...rows.map(line),
    '',
  ];
  if (result.chosen !== undefined) out.push(`pipeline: ${describePipeline(result.chosen)}`);
  if (result.search !== undefined) {
    const s = result.search;
    out.push(
      `search: ${s.trials.length} trials in ${s.seconds.toFixed(1)} s (budget ${s.budgetSeconds} s${s.budgetExhausted ? ', used up' : ''}); ` +
        `validation nDCG@${s.k} ${s.validationNdcg.toFixed(4)} (${s.validation.users} users; ${s.protocol})`,
    );
  }
  out.push('');
  return out.join('\n');
}
