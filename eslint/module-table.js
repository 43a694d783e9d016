// Reads the module table of docs/architecture.md, which is the configuration of the
// `kindred/module-boundaries` rule: the document and the linter cannot disagree.
import { readFileSync } from 'node:fs';

const HEADING = '## Modules';
const COLUMNS = ['folder', 'what', 'may import', 'packages'];
/** The folder cell of the row that applies to tests, in addition to their folder's row. */
const TESTS_ROW = '*.test.ts';
/** A packages cell that allows every package. */
const ANY = 'any';

/**
 * @typedef {object} ModuleRow
 * @property {string} folder e.g. `src/core/events`
 * @property {string[]} imports folders it may import besides its own, e.g. `src/core/domain`
 * @property {string[] | 'any'} packages packages (npm, Node's) it may import
 */

/**
 * @typedef {object} ModuleTable
 * @property {ModuleRow[]} rows
 * @property {ModuleRow} tests what tests (`*.test.ts`) may import besides their folder's
 */

const cache = new Map();

/** The table of `path`, read once per process; throws when it cannot be read or has a cycle. */
export function loadModuleTable(path) {
  let table = cache.get(path);
  if (table === undefined) {
    table = parseModuleTable(readFileSync(path, 'utf8'), path);
    cache.set(path, table);
  }
  return table;
}

/** @returns {ModuleTable} */
export function parseModuleTable(markdown, source) {
  const fail = (message) => {
    throw new Error(`${source}: ${message}`);
  };
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => line.trim() === HEADING);
  if (start < 0) fail(`no "${HEADING}" section`);
  let at = start + 1;
  while (at < lines.length && !lines[at].trim().startsWith('|')) at++;
  const header = cells(lines[at] ?? '');
  if (COLUMNS.some((name, i) => header[i] !== name))
    fail(`the module table's columns must be: ${COLUMNS.join(' | ')}`);
  const rows = [];
  let tests;
  for (at += 2; at < lines.length && lines[at].trim().startsWith('|'); at++) {
    const [folderCell, , importsCell, packagesCell] = cells(lines[at]);
    const folders = quoted(folderCell);
    if (folders.length !== 1) fail(`a row must name one folder: ${lines[at]}`);
    const folder = folders[0];
    const imports = list(importsCell, false, folder, fail).map((name) => `src/${name}`);
    const packages = list(packagesCell, true, folder, fail);
    if (folder === TESTS_ROW) tests = { folder, imports, packages };
    else if (folder.startsWith('src/')) rows.push({ folder, imports, packages });
    else fail(`${folder}: folders are under src/`);
  }
  if (rows.length === 0) fail('the module table has no rows');
  if (tests === undefined) fail(`the module table has no \`${TESTS_ROW}\` row`);
  const table = { rows, tests };
  for (const row of [...rows, tests]) {
    for (const target of row.imports) {
      if (modulesUnder(table, target).length === 0)
        fail(`${row.folder} may import \`${target.slice(4)}\`, which is in no row`);
    }
  }
  const cycle = findCycle(table);
  if (cycle !== undefined) fail(`the module table has a cycle: ${cycle.join(' → ')}`);
  return table;
}

/** The row a file under src/ belongs to (the longest folder that holds it), if any. */
export function rowOf(table, file) {
  let found;
  for (const row of table.rows) {
    if (
      within(file, row.folder) &&
      (found === undefined || row.folder.length > found.folder.length)
    )
      found = row;
  }
  return found;
}

/** Whether `path` is the folder `folder` or lies inside it. */
export function within(path, folder) {
  return path === folder || path.startsWith(`${folder}/`);
}

/** The rows a may-import entry reaches: those inside it, or the one holding it. */
function modulesUnder(table, target) {
  const inside = table.rows.filter((row) => within(row.folder, target));
  if (inside.length > 0) return inside;
  const holder = rowOf(table, target);
  return holder === undefined ? [] : [holder];
}

/** A cycle of rows (first repeated at the end) when the table allows one, else undefined. */
export function findCycle(table) {
  const edges = new Map(
    table.rows.map((row) => [
      row.folder,
      row.imports
        .flatMap((target) => modulesUnder(table, target))
        .map((to) => to.folder)
        .filter((to) => to !== row.folder),
    ]),
  );
  const state = new Map();
  const path = [];
  const visit = (folder) => {
    state.set(folder, 'open');
    path.push(folder);
    for (const next of edges.get(folder) ?? []) {
      if (state.get(next) === 'open') return [...path.slice(path.indexOf(next)), next];
      if (state.get(next) === undefined) {
        const cycle = visit(next);
        if (cycle !== undefined) return cycle;
      }
    }
    path.pop();
    state.set(folder, 'done');
    return undefined;
  };
  for (const folder of edges.keys()) {
    if (state.get(folder) === undefined) {
      const cycle = visit(folder);
      if (cycle !== undefined) return cycle;
    }
  }
  return undefined;
}

function cells(line) {
  return line
    .trim()
    .replace(/^\||\|$/g, '')
    .split('|')
    .map((cell) => cell.trim());
}

function quoted(cell) {
  return [...(cell ?? '').matchAll(/`([^`]+)`/g)].map((match) => match[1]);
}

/**
 * A cell's entries are its `quoted` names; words around them are comment. A cell with no
 * names must say `nothing` (or `none`), or, for packages, `any`.
 */
function list(cell, packages, folder, fail) {
  const names = quoted(cell);
  if (names.length > 0) return names;
  if (cell === 'nothing' || cell === 'none') return [];
  if (packages && cell === ANY) return ANY;
  return fail(`${folder}: cannot read "${cell}"; name folders or packages in backquotes`);
}
