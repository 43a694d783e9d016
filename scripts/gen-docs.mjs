// Writes the docs generated from code: the settings table and the error catalog.
// Usage: node scripts/gen-docs.mjs [--check]   (--check fails when a file is stale)
import { readFileSync, writeFileSync } from 'node:fs';
import { settingsMarkdown } from '../dist/src/cli/commands/config.js';
import { ERROR_CATALOG } from '../dist/src/errors/catalog.js';
import { DEFAULT_INTERACTION_TYPES } from '../dist/src/core/domain/interaction.js';

const configuration = [
  '# Configuration',
  '',
  'Generated from `src/config/settings.ts` by `node scripts/gen-docs.mjs`; do not edit by hand.',
  '',
  'Precedence: command-line flag, then `KINDRED_*` environment variable, then the JSON config',
  'file (`--config FILE` or `KINDRED_CONFIG`; keys nested like `{"server":{"port":7878}}` or',
  'dotted like `{"server.port":7878}`), then the default. An unknown key or a bad value stops',
  'the engine at start with a message naming the setting.',
  '',
  settingsMarkdown(),
  '## Default interaction types',
  '',
  '```json',
  JSON.stringify(DEFAULT_INTERACTION_TYPES, null, 2),
  '```',
  '',
  '`weight` is how much one such interaction says about taste (negative pushes the item away);',
  '`valueIsRating` makes the value the signal, centred on `interactions.ratingMidpoint`;',
  '`marksSeen` decides whether the item counts as already seen.',
  '',
].join('\n');

const errors = [
  '# Errors',
  '',
  'Generated from `src/errors/catalog.ts` by `node scripts/gen-docs.mjs`; do not edit by hand.',
  '',
  'Every error answers `{ "error": { "code", "message", "details" } }`. Codes are stable: match',
  'on `code`, show `message` to people, and read `details` for the specifics (the field, the',
  'path, the rows of a batch).',
  '',
  '| code | HTTP status | meaning |',
  '| --- | --- | --- |',
  ...Object.entries(ERROR_CATALOG).map(
    ([code, entry]) => `| \`${code}\` | ${entry.status} | ${entry.doc} |`,
  ),
  '',
].join('\n');

const check = process.argv.includes('--check');
let stale = false;
for (const [path, text] of [
  ['docs/configuration.md', configuration],
  ['docs/errors.md', errors],
]) {
  if (check) {
    let current = '';
    try {
      current = readFileSync(path, 'utf8');
    } catch {
      // A missing file is simply stale.
    }
    if (current !== text) {
      console.error(`${path} is stale: run node scripts/gen-docs.mjs`);
      stale = true;
    }
  } else writeFileSync(path, text);
}
process.exit(stale ? 1 : 0);
