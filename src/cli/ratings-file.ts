import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { InteractionTypes } from '../core/domain/interaction.js';
import type { InteractionLog } from '../core/recommend/interaction-views.js';
import { CsvParser } from './import/csv.js';
import { normalizeColumn } from './import/mappers.js';

export interface RatingsFile {
  readonly log: InteractionLog;
  readonly users: number;
  readonly items: number;
  /** External ids by dense index. */
  readonly userIds: string[];
  readonly itemIds: string[];
}

const USER_COLUMNS = ['userid', 'user'];
const ITEM_COLUMNS = ['itemid', 'movieid', 'item'];
const VALUE_COLUMNS = ['rating', 'value', 'score'];
const TIME_COLUMNS = ['timestamp', 'time', 'date'];

export class RatingsFileError extends Error {
  override name = 'RatingsFileError';
}

/**
 * Reads an interactions CSV (plain or gzipped) such as MovieLens' ratings.csv:
 * `userId,movieId,rating,timestamp`, any column order, names as `kindred import` reads
 * them. Ids become dense indexes in order of first appearance; rows keep file order,
 * which is the log order an import of the file would give them.
 */
export function readRatingsFile(path: string, types: InteractionTypes, type: string): RatingsFile {
  const typeIndex = types.indexOf(type);
  if (typeIndex === undefined)
    throw new RatingsFileError(`unknown interaction type "${type}" (see interactions.types)`);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new RatingsFileError(`cannot read ${path}: ${(error as Error).message}`);
  }
  if (path.endsWith('.gz')) bytes = gunzipSync(bytes);
  const text = bytes.toString('utf8');

  const userIndex = new Map<string, number>();
  const itemIndex = new Map<string, number>();
  const userIds: string[] = [];
  const itemIds: string[] = [];
  const users: number[] = [];
  const items: number[] = [];
  const values: number[] = [];
  const times: number[] = [];
  let columns: { user: number; item: number; value: number; time: number } | undefined;
  const parser = new CsvParser();
  const onRecord = (fields: string[], line: number): void => {
    if (columns === undefined) {
      const names = fields.map(normalizeColumn);
      const find = (candidates: string[]) => names.findIndex((name) => candidates.includes(name));
      columns = {
        user: find(USER_COLUMNS),
        item: find(ITEM_COLUMNS),
        value: find(VALUE_COLUMNS),
        time: find(TIME_COLUMNS),
      };
      if (columns.user < 0 || columns.item < 0)
        throw new RatingsFileError(
          `${path}: the header needs a user column (userId) and an item column (itemId or movieId)`,
        );
      return;
    }
    const userId = fields[columns.user];
    const itemId = fields[columns.item];
    if (userId === undefined || itemId === undefined || userId === '' || itemId === '')
      throw new RatingsFileError(`${path}:${line}: missing user or item`);
    users.push(intern(userIndex, userIds, userId));
    items.push(intern(itemIndex, itemIds, itemId));
    const value = columns.value >= 0 ? Number(fields[columns.value]) : Number.NaN;
    values.push(value);
    const rawTime = columns.time >= 0 ? fields[columns.time] : undefined;
    times.push(parseTime(rawTime, line));
  };
  parser.push(text, onRecord);
  parser.end(onRecord);
  return {
    log: {
      users: Int32Array.from(users),
      items: Int32Array.from(items),
      types: new Uint8Array(users.length).fill(typeIndex),
      values: Float64Array.from(values),
      times: Float64Array.from(times),
    },
    users: userIds.length,
    items: itemIds.length,
    userIds,
    itemIds,
  };
}

function intern(index: Map<string, number>, ids: string[], id: string): number {
  let value = index.get(id);
  if (value === undefined) {
    value = ids.length;
    index.set(id, value);
    ids.push(id);
  }
  return value;
}

/** Unix seconds (numbers above 10^11 are milliseconds), ISO-8601, or the line number. */
function parseTime(raw: string | undefined, line: number): number {
  if (raw === undefined || raw === '') return line;
  const number = Number(raw);
  if (Number.isFinite(number)) return number > 1e11 ? Math.floor(number / 1000) : number;
  const parsed = Date.parse(raw);
  return Number.isFinite(parsed) ? Math.floor(parsed / 1000) : line;
}
