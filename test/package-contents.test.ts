// What `npm pack` would publish: the shipped build (dist/, from tsconfig.build.json), the
// bin and the README, and nothing of the tests, benchmarks, fixtures or sources. Needs
// dist/ built (`npm test` builds it first).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { repositoryFile } from './support/repository-file.js';

const root = dirname(repositoryFile('package.json'));

function packedFiles(): Set<string> {
  // --ignore-scripts: `prepare` would rebuild dist/ while the other tests use it.
  const result = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: root,
    encoding: 'utf8',
  });
  assert.equal(result.status, 0, result.stderr);
  const [pack] = JSON.parse(result.stdout) as [{ files: { path: string }[] }];
  return new Set(pack.files.map((file) => file.path));
}

const files = packedFiles();

/** The only kinds of file the package may hold. */
function isShipped(path: string): boolean {
  if (['package.json', 'README.md', 'bin/kindred.js'].includes(path)) return true;
  return path.startsWith('dist/src/') && path.endsWith('.js') && !path.endsWith('.test.js');
}

test('the package holds the bin, the CLI, the composition roots and the worker threads', () => {
  const required = [
    'bin/kindred.js',
    'package.json',
    'README.md',
    'dist/src/cli/main.js',
    'dist/src/roles/embedded.js',
    'dist/src/roles/open-engine.js',
    // Loaded by `new Worker(new URL(...))`, which no import names:
    'dist/src/app/training/training-worker.js',
    'dist/src/cli/import/read-worker.js',
    'dist/src/app/training/ials-worker.js',
    'dist/src/adapters/sqlite/checkpoint-worker.js',
    'dist/src/adapters/sqlite/large-value-worker.js',
  ];
  const missing = required.filter((path) => !files.has(path));
  assert.deepEqual(missing, [], 'missing from the package (is dist/ built?)');
});

test('the package holds no tests, test helpers, benchmarks, fixtures, sources or maps', () => {
  const unexpected = [...files].filter((path) => !isShipped(path));
  assert.deepEqual(unexpected, []);
  const tests = [...files].filter((path) => /\.test\.js$|(^|\/)(test|bench|fixtures)\//.test(path));
  assert.deepEqual(tests, []);
});

/** Relative module specifiers of a compiled file: static and dynamic imports, worker URLs. */
function relativeSpecifiers(source: string): string[] {
  const pattern = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|new URL\(\s*)'(\.{1,2}\/[^']+)'/g;
  return [...source.matchAll(pattern)].map((match) => match[1]!);
}

test('every module the packed files load is packed too', () => {
  const unresolved: string[] = [];
  for (const path of files) {
    if (!path.endsWith('.js')) continue;
    const source = readFileSync(join(root, path), 'utf8');
    for (const specifier of relativeSpecifiers(source)) {
      const target = posix.join(posix.dirname(path), specifier);
      if (!files.has(target)) unresolved.push(`${path} -> ${specifier}`);
    }
  }
  assert.deepEqual(unresolved, []);
});
