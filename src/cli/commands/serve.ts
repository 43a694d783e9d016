import type { Command } from 'commander';
import { createLogger } from '../../observability/logger.js';
import { startEmbeddedServer } from '../../roles/embedded.js';
import { addCommonOptions, configFromOptions } from '../context.js';

export function registerServe(program: Command): void {
  addCommonOptions(program.command('serve'), 'serve')
    .description('start the engine (embedded store in the data directory)')
    .action(async (options: Record<string, unknown>) => {
      const config = configFromOptions(options);
      const logger = createLogger(config.log.level);
      const server = await startEmbeddedServer(config, logger);
      const shutdown = (signal: string): void => {
        logger.info({ signal }, 'shutting down');
        server.stop().then(
          () => process.exit(0),
          (error: unknown) => {
            logger.error({ err: error }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      process.once('SIGINT', () => shutdown('SIGINT'));
    });
}
