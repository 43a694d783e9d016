import type { Command } from 'commander';
import { createModelServices } from '../../app/training/model-services.js';
import { ModelRegistry } from '../../app/training/model-registry.js';
import { isKindredError } from '../../errors/catalog.js';
import { openEngine } from '../../roles/open-engine.js';
import { addCommonOptions, configFromOptions } from '../context.js';
import { quietLogger } from './import.js';
import { formatRecord } from './train.js';

export function registerModels(program: Command): void {
  const models = program
    .command('models')
    .description('list the trained model versions, show one, or roll back to an earlier one');

  addCommonOptions(models.command('list', { isDefault: true }))
    .description('every version with its holdout metrics; * marks the active one')
    .option('--json', 'print JSON')
    .action(async (options: Record<string, unknown>) => {
      const config = configFromOptions(options);
      const engine = openEngine(config, quietLogger(options, config));
      try {
        const registry = new ModelRegistry(engine.store);
        const records = await registry.list();
        const active = (await registry.active())?.version ?? null;
        if (options['json'] === true) {
          process.stdout.write(`${JSON.stringify({ active, models: records })}\n`);
          return;
        }
        if (records.length === 0) {
          process.stdout.write('no model trained yet (kindred train)\n');
          return;
        }
        for (const r of records) {
          const m = r.evaluation?.metrics;
          process.stdout.write(
            `${r.version === active ? '*' : ' '} ${r.version}  ${r.createdAt}  ${r.interactions} interactions  ` +
              `${m ? `nDCG@${m.k} ${m.ndcg.toFixed(4)}` : 'no holdout'}  ${r.description}\n`,
          );
        }
      } finally {
        await engine.close({ snapshot: false });
      }
    });

  addCommonOptions(models.command('show'))
    .description('one version in full: pipeline, metrics, and every trial of the search (--json)')
    .argument('<version>', 'e.g. v000003')
    .option('--json', 'print JSON')
    .action(async (version: string, options: Record<string, unknown>, command: Command) => {
      const config = configFromOptions(options);
      const engine = openEngine(config, quietLogger(options, config));
      try {
        const record = await new ModelRegistry(engine.store).record(version);
        if (record === undefined)
          command.error(`kindred models: no version "${version}"`, { exitCode: 1 });
        process.stdout.write(
          options['json'] === true ? `${JSON.stringify(record)}\n` : formatRecord(record),
        );
      } finally {
        await engine.close({ snapshot: false });
      }
    });

  addCommonOptions(models.command('rollback'))
    .description(
      'serve an earlier version again (default: the one before the active one); running servers follow',
    )
    .argument('[version]', 'the version to serve')
    .action(
      async (version: string | undefined, options: Record<string, unknown>, command: Command) => {
        const config = configFromOptions(options);
        const logger = quietLogger(options, config);
        const engine = openEngine(config, logger);
        try {
          await engine.start({});
          const services = createModelServices(engine, config, logger);
          await services.start({ schedule: false });
          const result = await services.serving.rollback(version);
          process.stdout.write(`${JSON.stringify(result)}\n`);
          await services.stop();
        } catch (error) {
          if (isKindredError(error))
            command.error(`kindred models rollback: ${error.message}`, { exitCode: 1 });
          throw error;
        } finally {
          await engine.close();
        }
      },
    );
}
