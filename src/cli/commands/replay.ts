import type { Command } from 'commander';
import { createLogger } from '../../observability/logger.js';
import { openEngine } from '../../roles/open-engine.js';
import { addCommonOptions, configFromOptions } from '../context.js';
import { createProgress } from '../progress.js';

export function registerReplay(program: Command): void {
  addCommonOptions(program.command('replay'))
    .description(
      'rebuild every read model from the event log, write a fresh snapshot, print its checksum',
    )
    .option('--dry-run', 'rebuild in memory and print the checksum without writing a snapshot')
    .option(
      '--to <offset>',
      'stop at this log position (with --dry-run): the read models as they were then',
    )
    .action(async (options: Record<string, unknown>, command: Command) => {
      const config = configFromOptions(options);
      const upTo = options['to'] === undefined ? undefined : Number(options['to']);
      if (
        upTo !== undefined &&
        !(Number.isInteger(upTo) && upTo >= 0 && options['dryRun'] === true)
      )
        command.error(
          'kindred replay: --to takes a position (an integer >= 0) and needs --dry-run',
          {
            exitCode: 2,
          },
        );
      const logger = createLogger(config.log.level === 'info' ? 'warn' : config.log.level);
      const engine = openEngine(config, logger);
      const total = Math.min(await engine.log.lastOffset(), upTo ?? Number.POSITIVE_INFINITY);
      const progress = createProgress('replay', total, 'events');
      const started = performance.now();
      await engine.start({
        fromScratch: true,
        onProgress: (applied) => progress.update(applied),
        ...(upTo === undefined ? {} : { upTo }),
      });
      progress.stop();
      const seconds = (performance.now() - started) / 1000;
      const checksum = engine.readModels.checksum();
      if (!options['dryRun']) await engine.writeSnapshot();
      await engine.close({ snapshot: false });
      const models = engine.readModels;
      process.stdout.write(
        `${JSON.stringify({
          events: models.checkpoint,
          seconds: Number(seconds.toFixed(3)),
          items: models.catalog.size,
          users: models.users.size,
          interactions: models.histories.size,
          checksum,
          snapshot: options['dryRun'] ? 'not written (dry run)' : 'written',
        })}\n`,
      );
    });
}
