import type { Command } from 'commander';
import { createModelServices } from '../../app/training/model-services.js';
import type { ModelRecord } from '../../app/training/model-registry.js';
import { isKindredError } from '../../errors/catalog.js';
import { openEngine } from '../../roles/open-engine.js';
import { addCommonOptions, configFromOptions } from '../context.js';
import { quietLogger } from './import.js';

export function registerTrain(program: Command): void {
  addCommonOptions(program.command('train'))
    .description(
      "train new models on the data directory's interactions: automatic search, holdout evaluation, final fit; " +
        'blocks until the version is stored (a running server on the same data swaps to it), then prints its metrics',
    )
    .option('--budget <seconds>', 'time budget of the automatic search (training.budgetSeconds)')
    .option('--json', 'print the model record (metrics, pipeline, every search trial) as JSON')
    .action(async (options: Record<string, unknown>, command: Command) => {
      const config = configFromOptions(options);
      if (options['budget'] !== undefined) {
        const budget = Number(options['budget']);
        if (!Number.isInteger(budget) || budget < 1)
          command.error('kindred train: --budget must be a positive integer', { exitCode: 2 });
        config.training.budgetSeconds = budget;
      }
      const logger = quietLogger(options, config);
      const engine = openEngine(config, logger);
      let record: ModelRecord;
      try {
        await engine.start({});
        const models = createModelServices(engine, config, logger);
        await models.start({ schedule: false });
        const interactions = engine.readModels.histories.size;
        if (options['json'] !== true)
          process.stderr.write(
            `training on ${interactions} interactions (search budget ${config.training.budgetSeconds} s)...\n`,
          );
        try {
          record = await models.trainer.train('cli');
        } finally {
          await models.stop();
        }
      } catch (error) {
        await engine.close().catch(() => undefined);
        if (isKindredError(error))
          command.error(`kindred train: ${error.message}`, { exitCode: 1 });
        throw error;
      }
      await engine.close();
      process.stdout.write(
        options['json'] === true ? `${JSON.stringify(record)}\n` : formatRecord(record),
      );
    });
}

export function formatRecord(record: ModelRecord): string {
  const lines = [
    `model ${record.version} trained in ${record.seconds.total.toFixed(1)} s on ${record.interactions} interactions (log offset ${record.offset})`,
    `pipeline: ${record.description}`,
  ];
  if (record.search !== undefined) {
    const s = record.search;
    lines.push(
      `search: ${s.trials.length} trials in ${s.seconds.toFixed(1)} s (budget ${s.budgetSeconds} s), ` +
        `validation nDCG@${s.k} ${s.validationNdcg.toFixed(4)} (${s.validationUsers} users; ${s.protocol})`,
    );
    if (s.requestCost !== undefined)
      lines.push(
        `request cost: ${s.requestCost.chosenMs.toFixed(2)} ms with nothing kept for the user ` +
          `(budget ${s.requestCost.budgetMs} ms, iALS up to ${s.requestCost.maxFactors} factors at ` +
          `${s.requestCost.historyLength} history items, measured here)`,
      );
  } else lines.push('search: none (pipeline pinned by training.pipeline)');
  if (record.evaluation !== undefined) {
    const { metrics: m, protocol } = record.evaluation;
    lines.push(
      `holdout (${protocol}; ${m.users} users):`,
      `  nDCG@${m.k} ${m.ndcg.toFixed(4)}  precision@${m.k} ${m.precision.toFixed(4)}  recall@${m.k} ${m.recall.toFixed(4)}  ` +
        `MAP@${m.k} ${m.map.toFixed(4)}  MRR ${m.mrr.toFixed(4)}  hit rate ${m.hitRate.toFixed(4)}  ` +
        `coverage ${m.coverage.toFixed(4)}  novelty ${m.novelty.toFixed(2)}`,
    );
  } else lines.push('holdout: none (too few users with enough interactions)');
  lines.push('');
  return lines.join('\n');
}
