import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

test('docs generated from the settings schema and the error catalog are up to date', () => {
  const result = spawnSync(process.execPath, ['scripts/gen-docs.mjs', '--check'], {
    encoding: 'utf8',
  });
  assert.equal(result.status, 0, result.stderr);
});
