// Writes the docs generated from code: the settings table and the error catalog.
// Usage: node scripts/gen-docs.mjs [--check]   (--check fails when a file is stale)
import { readFileSync, writeFileSync } from 'node:fs';
import { configurationMarkdown } from '../dist/src/config/settings-markdown.js';
import { ERROR_CATALOG } from '../dist/src/errors/catalog.js';

const configuration = configurationMarkdown();

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
