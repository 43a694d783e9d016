/**
 * CSV rows to the bodies the HTTP API takes (`POST /v1/items`, `/v1/users`, `/v1/events`).
 * Mapping never judges a row: a cell that cannot become what the API wants is passed on
 * as it is, so the API's own schema rejects it with the API's own message.
 */

export type ImportKind = 'items' | 'users' | 'interactions';
export const IMPORT_KINDS: readonly ImportKind[] = ['items', 'users', 'interactions'];

export type RowBody = Record<string, unknown>;
export type CsvRowMapper = (cells: readonly string[]) => RowBody;

/** A problem with the file as a whole (its header, its options): nothing is imported. */
export class ImportSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportSetupError';
  }
}

export interface MapperOptions {
  /** Interaction type of rows without one (`--type`). */
  readonly defaultType?: string | undefined;
}

/** `item_id`, `itemId`, `ITEM-ID` and `item id` all name the same column. */
export function normalizeColumn(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[_\-\s]/g, '');
}

// Integers keep full precision up to 15 digits; longer digit strings (ids, EANs) stay text,
// as do leading zeros ("007", zip codes).
const ATTRIBUTE_NUMBER = /^-?(?:0|[1-9]\d{0,14})(?:\.\d+)?(?:[eE][+-]?\d{1,3})?$/;
const VALUE_NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const UNIX_TIME = /^\d{1,15}(?:\.\d+)?$/;
const BOOLEANS: Readonly<Record<string, boolean>> = {
  true: true,
  false: false,
  yes: true,
  no: false,
  '1': true,
  '0': false,
};
/** MovieLens marks movies without genres with this pseudo-genre. */
const NO_GENRES = '(no genres listed)';

function attributeValue(cell: string): string | number | boolean {
  if (ATTRIBUTE_NUMBER.test(cell)) {
    const n = Number(cell);
    if (Number.isFinite(n)) return n;
  }
  if (cell === 'true') return true;
  if (cell === 'false') return false;
  return cell;
}

function booleanCell(cell: string): boolean | string {
  return BOOLEANS[cell.trim().toLowerCase()] ?? cell;
}

/** A finite number, or the cell as it is (for the schema to reject). */
function numberCell(cell: string): number | string {
  if (!VALUE_NUMBER.test(cell)) return cell;
  const n = Number(cell);
  return Number.isFinite(n) ? n : cell;
}

/**
 * Unix times become numbers (the API takes both; parsing is the same), ISO-8601 stays text.
 * Beyond 15 digits a number would lose precision: left as text for the API to judge.
 */
function timestampCell(cell: string): number | string {
  return UNIX_TIME.test(cell) ? Number(cell) : cell;
}

function labels(cell: string): string[] {
  if (cell === NO_GENRES) return [];
  const out: string[] = [];
  for (const part of cell.split('|')) {
    const label = part.trim();
    if (label !== '') out.push(label);
  }
  return out;
}

interface Columns {
  /** normalized name -> first column index with it */
  readonly byName: Map<string, number>;
  readonly names: readonly string[];
}

function columns(header: readonly string[]): Columns {
  const byName = new Map<string, number>();
  header.forEach((name, index) => {
    const key = normalizeColumn(name);
    if (!byName.has(key)) byName.set(key, index);
  });
  return { byName, names: header.map((name) => name.trim()) };
}

function pick(cols: Columns, aliases: readonly string[]): number | undefined {
  for (const alias of aliases) {
    const index = cols.byName.get(alias);
    if (index !== undefined) return index;
  }
  return undefined;
}

function requireColumn(
  cols: Columns,
  aliases: readonly string[],
  what: string,
  spelled: string,
): number {
  const index = pick(cols, aliases);
  if (index === undefined)
    throw new ImportSetupError(
      `the header has no ${what} column (${spelled}); it has: ${cols.names.join(', ')}`,
    );
  return index;
}

export function csvMapper(
  kind: ImportKind,
  header: readonly string[],
  options: MapperOptions = {},
): CsvRowMapper {
  switch (kind) {
    case 'items':
      return itemMapper(columns(header));
    case 'users':
      return userMapper(columns(header));
    case 'interactions':
      return interactionMapper(columns(header), options);
  }
}

function itemMapper(cols: Columns): CsvRowMapper {
  const id = requireColumn(
    cols,
    ['itemid', 'id', 'movieid'],
    'item id',
    'item_id, id, itemId or movieId',
  );
  const title = pick(cols, ['title']);
  const categories = pick(cols, ['categories', 'genres']);
  const tags = pick(cols, ['tags']);
  const available = pick(cols, ['available']);
  const hidden = pick(cols, ['hidden']);
  const taken = new Set([id, title, categories, tags, available, hidden]);
  const attributes = cols.names
    .map((name, index) => ({ name, index }))
    .filter(({ index }) => !taken.has(index));
  return (cells) => {
    const body: RowBody = {};
    const idCell = cells[id] ?? '';
    if (idCell !== '') body['id'] = idCell;
    if (title !== undefined && cells[title]) body['title'] = cells[title];
    if (categories !== undefined && cells[categories])
      body['categories'] = labels(cells[categories] as string);
    if (tags !== undefined && cells[tags]) body['tags'] = labels(cells[tags] as string);
    if (available !== undefined && cells[available])
      body['available'] = booleanCell(cells[available] as string);
    if (hidden !== undefined && cells[hidden])
      body['hidden'] = booleanCell(cells[hidden] as string);
    const attrs = attributeCells(attributes, cells);
    if (attrs) body['attributes'] = attrs;
    return body;
  };
}

function userMapper(cols: Columns): CsvRowMapper {
  const id = requireColumn(cols, ['userid', 'id'], 'user id', 'user_id, id or userId');
  const attributes = cols.names
    .map((name, index) => ({ name, index }))
    .filter(({ index }) => index !== id);
  return (cells) => {
    const body: RowBody = {};
    const idCell = cells[id] ?? '';
    if (idCell !== '') body['id'] = idCell;
    const attrs = attributeCells(attributes, cells);
    if (attrs) body['attributes'] = attrs;
    return body;
  };
}

function attributeCells(
  attributes: readonly { name: string; index: number }[],
  cells: readonly string[],
): Record<string, string | number | boolean> | undefined {
  let attrs: Record<string, string | number | boolean> | undefined;
  for (const { name, index } of attributes) {
    const cell = cells[index];
    if (cell === undefined || cell === '') continue;
    (attrs ??= {})[name] = attributeValue(cell);
  }
  return attrs;
}

const INTERACTION_COLUMNS: Readonly<Record<string, string>> = {
  userid: 'userId',
  itemid: 'itemId',
  movieid: 'itemId',
  type: 'type',
  value: 'value',
  rating: 'value',
  timestamp: 'timestamp',
  id: 'id',
  eventid: 'id',
  scenario: 'scenario',
  recommendationid: 'recommendationId',
  sessionid: 'sessionId',
};

function interactionMapper(cols: Columns, options: MapperOptions): CsvRowMapper {
  const unknown = cols.names.filter(
    (name) => INTERACTION_COLUMNS[normalizeColumn(name)] === undefined,
  );
  if (unknown.length > 0)
    throw new ImportSetupError(
      `unknown column(s) in an interactions file: ${unknown.join(', ')} ` +
        '(known: user_id, item_id/movieId, type, value/rating, timestamp, id, scenario, recommendation_id, session_id)',
    );
  const user = requireColumn(cols, ['userid'], 'user id', 'user_id or userId');
  const item = requireColumn(cols, ['itemid', 'movieid'], 'item id', 'item_id, itemId or movieId');
  const valueColumn = pick(cols, ['value']);
  const ratingColumn = pick(cols, ['rating']);
  if (valueColumn !== undefined && ratingColumn !== undefined)
    throw new ImportSetupError('the header has both a value and a rating column; keep one');
  const value = valueColumn ?? ratingColumn;
  const type = pick(cols, ['type']);
  const defaultType = options.defaultType ?? (ratingColumn !== undefined ? 'rating' : undefined);
  if (type === undefined && defaultType === undefined)
    throw new ImportSetupError(
      'the file has no type column: pass the interaction type with --type',
    );
  const timestamp = pick(cols, ['timestamp']);
  const id = pick(cols, ['eventid', 'id']);
  const scenario = pick(cols, ['scenario']);
  const recommendationId = pick(cols, ['recommendationid']);
  const sessionId = pick(cols, ['sessionid']);
  const hasContext =
    scenario !== undefined || recommendationId !== undefined || sessionId !== undefined;

  return (cells) => {
    const body: RowBody = {};
    const typeCell = type === undefined ? '' : (cells[type] ?? '');
    const rowType = typeCell !== '' ? typeCell : defaultType;
    if (rowType !== undefined) body['type'] = rowType;
    const userCell = cells[user] ?? '';
    if (userCell !== '') body['userId'] = userCell;
    const itemCell = cells[item] ?? '';
    if (itemCell !== '') body['itemId'] = itemCell;
    if (value !== undefined) {
      const cell = cells[value] ?? '';
      if (cell !== '') body['value'] = numberCell(cell);
    }
    if (timestamp !== undefined) {
      const cell = cells[timestamp] ?? '';
      if (cell !== '') body['timestamp'] = timestampCell(cell);
    }
    if (id !== undefined) {
      const cell = cells[id] ?? '';
      if (cell !== '') body['id'] = cell;
    }
    if (hasContext) {
      const context: Record<string, string> = {};
      if (scenario !== undefined && cells[scenario])
        context['scenario'] = cells[scenario] as string;
      if (recommendationId !== undefined && cells[recommendationId])
        context['recommendationId'] = cells[recommendationId] as string;
      if (sessionId !== undefined && cells[sessionId])
        context['sessionId'] = cells[sessionId] as string;
      if (Object.keys(context).length > 0) body['context'] = context;
    }
    return body;
  };
}

/** The raw CSV row as the rejects file shows it: header name -> cell. */
export function rawCsvRow(
  header: readonly string[],
  cells: readonly string[],
): Record<string, string> {
  const row: Record<string, string> = {};
  cells.forEach((cell, index) => {
    row[header[index] ?? `_${index + 1}`] = cell;
  });
  return row;
}
