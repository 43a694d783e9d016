// The layers, as CI sees them: the lint rule `kindred/module-boundaries` reads the module
// table of docs/architecture.md; here it refuses planted violations, passes clean files
// and finds none in src/. `npm test` runs this, so a violation fails CI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ESLint, type Linter } from 'eslint';
import { repositoryFile } from './support/repository-file.js';

const ROOT = dirname(repositoryFile('eslint.config.js'));
const RULE = 'kindred/module-boundaries';
const onlyTheRule = ({ ruleId }: { ruleId: string }): boolean => ruleId === RULE;
/** The project's own configuration (eslint.config.js), with only this rule on. */
const eslint = new ESLint({ cwd: ROOT, ruleFilter: onlyTheRule });

/** The rule's messages for `code` as if it were the file `path` of the repository. */
async function lintAs(path: string, code: string, linter = eslint): Promise<Linter.LintMessage[]> {
  const [result] = await linter.lintText(code, { filePath: join(ROOT, path) });
  return result!.messages;
}

test('the rule is configured by the module table of docs/architecture.md', async () => {
  const config = (await eslint.calculateConfigForFile(join(ROOT, 'src/core/domain/item.ts'))) as {
    rules: Record<string, unknown>;
  };
  assert.deepEqual(config.rules[RULE], [2, { table: 'docs/architecture.md' }]);
});

test('a core file that does I/O, starts threads or imports the app fails the rule', async () => {
  const messages = await lintAs(
    'src/core/domain/planted-violation.ts',
    [
      "import { readFileSync } from 'node:fs';",
      "import { Worker } from 'node:worker_threads';",
      "import { request } from 'http';",
      "import type { Engine } from '../../app/engine.js';",
      "import { KindredError } from '../../errors/catalog.js';",
      'export const planted = [readFileSync, Worker, request, KindredError] as unknown as Engine;',
    ].join('\n'),
  );
  assert.deepEqual(
    messages.map((m) => [m.line, m.ruleId, m.severity]),
    [1, 2, 3, 4, 5].map((line) => [line, RULE, 2]),
  );
  assert.match(messages[0]!.message, /src\/core\/domain may not import the package node:fs/);
  assert.match(messages[2]!.message, /the package node:http/);
  assert.match(messages[3]!.message, /may not import src\/app\/engine\.js \(src\/app\)/);
});

test('a clean file passes: core within its row, node:crypto where listed, tests with node:test', async () => {
  assert.deepEqual(
    await lintAs(
      'src/core/projections/planted-clean.ts',
      [
        "import { createHash } from 'node:crypto';",
        "import type { StoredEvent } from '../events/envelope.js';",
        "import type { Item } from '../domain/item.js';",
        "import { Catalog } from './catalog.js';",
        'export const clean = [createHash, Catalog] as unknown as [StoredEvent, Item];',
      ].join('\n'),
    ),
    [],
  );
  assert.deepEqual(
    await lintAs(
      'src/gateway/planted-clean.test.ts',
      [
        "import { test } from 'node:test';",
        "import { MemoryStateStore } from '../adapters/memory/memory-state-store.js';",
        "import { ApiKeyStore } from './api-keys.js';",
        'test("planted", () => void [MemoryStateStore, ApiKeyStore]);',
      ].join('\n'),
    ),
    [],
  );
});

test('test support is for tests: a unit test may import it, the engine may not', async () => {
  const support = "export { makeTempDirectory } from '../../../test/support/temp-directory.js';";
  assert.deepEqual(await lintAs('src/adapters/sqlite/planted-clean.test.ts', support), []);
  const engine = await lintAs('src/adapters/sqlite/planted-violation.ts', support);
  assert.equal(engine.length, 1);
  assert.match(engine[0]!.message, /lies outside src\//);
});

test('folders that would close a cycle are refused: gateway → http, projections → serving', async () => {
  const gateway = await lintAs(
    'src/gateway/planted-violation.ts',
    "export { registerApiKeyRoutes } from '../http/routes/api-keys.js';",
  );
  assert.equal(gateway.length, 1);
  const projections = await lintAs(
    'src/core/projections/planted-violation.ts',
    "export type { ResolvedScenario } from '../serving/pipeline.js';",
  );
  assert.equal(projections.length, 1);
});

test('every file under src/ keeps to the table', { timeout: 300_000 }, async () => {
  const results = await eslint.lintFiles(['src']);
  const problems = results.flatMap((result) =>
    result.messages.map((m) => `${result.filePath}:${m.line} ${m.message}`),
  );
  assert.deepEqual(problems, []);
  assert.ok(results.length > 100, `${results.length} files linted`);
});

test('a table that lets two folders import each other is refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kindred-table-'));
  try {
    const table = join(dir, 'architecture.md');
    writeFileSync(
      table,
      [
        '## Modules',
        '',
        '| folder | what | may import | packages |',
        '| --- | --- | --- | --- |',
        '| `src/core` | the engine | `app` | none |',
        '| `src/app` | services | `core` | any |',
        '| `*.test.ts` | tests | nothing | none |',
        '',
      ].join('\n'),
    );
    const cyclic = new ESLint({
      cwd: ROOT,
      ruleFilter: onlyTheRule,
      overrideConfig: { files: ['src/**'], rules: { [RULE]: ['error', { table }] } },
    });
    await assert.rejects(
      lintAs('src/core/planted.ts', 'export const x = 1;', cyclic),
      /cycle: src\/core → src\/app → src\/core/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
