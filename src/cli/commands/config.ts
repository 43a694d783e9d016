import type { Command } from 'commander';
import { redactedConfig } from '../../config/load.js';
import { configurationMarkdown } from '../../config/settings-markdown.js';
import { addCommonOptions, configFromOptions } from '../context.js';

export function registerConfig(program: Command): void {
  addCommonOptions(program.command('config'), 'serve')
    .description('print the effective configuration (secrets masked), or its documentation')
    .option('--docs', 'print the documentation of every setting as Markdown')
    .action((options: Record<string, unknown>) => {
      if (options['docs']) {
        process.stdout.write(configurationMarkdown());
        return;
      }
      process.stdout.write(
        `${JSON.stringify(redactedConfig(configFromOptions(options)), null, 2)}\n`,
      );
    });
}
