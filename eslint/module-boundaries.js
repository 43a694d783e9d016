// The `kindred/module-boundaries` rule: every file under src/ imports only what its row of
// the module table in docs/architecture.md allows (see module-table.js).
import { isBuiltin } from 'node:module';
import { dirname, relative, resolve, sep } from 'node:path';
import { loadModuleTable, rowOf, within } from './module-table.js';

const ROOT = resolve(import.meta.dirname, '..');

/** A path from the repository's root, with forward slashes. */
const fromRoot = (path) => relative(ROOT, path).split(sep).join('/');

/** Whether `specifier` is one of `allowed` packages, or a path inside one (`pkg/sub`). */
const packageAllowed = (allowed, specifier) =>
  allowed === 'any' || allowed.some((name) => within(specifier, name));

/** What tests beside the code may import from outside `src/`. */
const TEST_SUPPORT = ['test/support', 'test/fixtures'];

const listed = (names) =>
  names === 'any' ? 'any package' : names.length === 0 ? 'nothing' : names.join(', ');

export const moduleBoundaries = {
  meta: {
    type: 'problem',
    docs: { description: 'Imports follow the module table of docs/architecture.md' },
    schema: [
      {
        type: 'object',
        properties: { table: { type: 'string' } },
        required: ['table'],
        additionalProperties: false,
      },
    ],
    messages: {
      folder:
        '{{from}} may not import {{target}} ({{to}}); the module table of {{table}} allows: {{allowed}}.',
      package:
        '{{from}} may not import the package {{target}}; the module table of {{table}} allows: {{allowed}}.',
      outside:
        '{{target}} lies outside src/; files under src/ import only src/ and packages (tests also test/support and test/fixtures).',
      unlisted: '{{file}} is in no row of the module table of {{table}}; add its folder there.',
    },
  },
  create(context) {
    const file = fromRoot(context.filename);
    if (!file.startsWith('src/')) return {};
    const tablePath = resolve(ROOT, context.options[0].table);
    const table = loadModuleTable(tablePath);
    const tableName = fromRoot(tablePath);
    const row = rowOf(table, file);
    if (row === undefined) {
      return {
        Program(node) {
          context.report({ node, messageId: 'unlisted', data: { file, table: tableName } });
        },
      };
    }
    const isTest = file.endsWith('.test.ts');
    const folders = [row.folder, ...row.imports, ...(isTest ? table.tests.imports : [])];
    const packages =
      row.packages === 'any' || (isTest && table.tests.packages === 'any')
        ? 'any'
        : [...row.packages, ...(isTest ? table.tests.packages : [])];

    const check = (node) => {
      if (node?.type !== 'Literal' || typeof node.value !== 'string') return;
      const specifier = node.value;
      if (specifier.startsWith('.')) {
        const target = fromRoot(resolve(dirname(context.filename), specifier));
        // A unit test may use the shared test support and fixtures; nothing else may.
        if (isTest && TEST_SUPPORT.some((folder) => within(target, folder))) return;
        if (!target.startsWith('src/')) {
          context.report({ node, messageId: 'outside', data: { target } });
          return;
        }
        if (folders.some((folder) => within(target, folder))) return;
        const to = rowOf(table, target)?.folder ?? 'no module';
        const allowed = listed(folders.slice(1));
        const data = { from: row.folder, target, to, table: tableName, allowed };
        context.report({ node, messageId: 'folder', data });
        return;
      }
      // `fs` is `node:fs` by another name.
      const name =
        isBuiltin(specifier) && !specifier.startsWith('node:') ? `node:${specifier}` : specifier;
      if (packageAllowed(packages, name)) return;
      const data = { from: row.folder, target: name, table: tableName, allowed: listed(packages) };
      context.report({ node, messageId: 'package', data });
    };

    return {
      ImportDeclaration: (node) => check(node.source),
      ExportNamedDeclaration: (node) => check(node.source),
      ExportAllDeclaration: (node) => check(node.source),
      ImportExpression: (node) => check(node.source),
      TSImportType: (node) => check(node.argument?.literal ?? node.argument),
      // A worker's entry point: new URL('./worker.js', import.meta.url).
      NewExpression(node) {
        const [url, base] = node.arguments;
        if (
          node.callee.type === 'Identifier' &&
          node.callee.name === 'URL' &&
          base?.type === 'MemberExpression' &&
          base.object.type === 'MetaProperty' &&
          base.property.name === 'url' &&
          typeof url?.value === 'string' &&
          url.value.startsWith('.')
        )
          check(url);
      },
    };
  },
};

export default {
  meta: { name: 'kindred' },
  rules: { 'module-boundaries': moduleBoundaries },
};
