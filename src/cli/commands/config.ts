import type { Command } from 'commander';
import { redactedConfig } from '../../config/load.js';
import { SETTINGS } from '../../config/settings.js';
import { addCommonOptions, configFromOptions } from '../context.js';

export function registerConfig(program: Command): void {
  addCommonOptions(program.command('config'))
    .description('print the effective configuration (secrets masked), or its documentation')
    .option('--docs', 'print the documentation of every setting as Markdown')
    .action((options: Record<string, unknown>) => {
      if (options['docs']) {
        process.stdout.write(settingsMarkdown());
        return;
      }
      process.stdout.write(
        `${JSON.stringify(redactedConfig(configFromOptions(options)), null, 2)}\n`,
      );
    });
}

export function settingsMarkdown(): string {
  const rows = SETTINGS.map((s) => {
    const type = s.type.kind === 'enum' ? s.type.values.join(' \\| ') : s.type.kind;
    const fallback = s.type.kind === 'json' ? 'see below' : `\`${JSON.stringify(s.default)}\``;
    return `| \`${s.path}\` | \`${s.env}\` | ${s.flag ? `\`${s.flag}\`` : ''} | ${type} | ${fallback} | ${s.doc} |`;
  });
  return [
    '| setting (config file key) | env variable | flag | type | default | meaning |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
