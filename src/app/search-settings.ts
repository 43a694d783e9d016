import { ConfigError } from '../config/load.js';
import type { KindredConfig } from '../config/settings.js';
import type { FieldWeights, SearchConfig } from '../core/search/index.js';

/**
 * How search blends text relevance with other signals. Each signal lies in [0, 1] and
 * the final score is `text × (1 + Σ weight × signal)`, so a weight of 0.5 lets a signal
 * lift a hit by at most 50%, and text relevance keeps deciding between hits far apart.
 * A plain JSON object, so a scenario can carry one and a request can override parts.
 */
export interface SearchBlend {
  /** Positive interactions with the item, log-scaled against the most popular item. */
  readonly popularity: number;
  /** How new the item is: halves every `recencyHalfLifeDays` after its creation. */
  readonly recency: number;
  readonly recencyHalfLifeDays: number;
  /** Cosine of the user's and the item's vectors of the trained model (users only). */
  readonly affinity: number;
  /** Share of the user's recent positive interactions in the item's categories (users only). */
  readonly categories: number;
  /** Interactions read to measure category affinity. */
  readonly historyLimit: number;
}

export const BLEND_KEYS = [
  'popularity',
  'recency',
  'recencyHalfLifeDays',
  'affinity',
  'categories',
  'historyLimit',
] as const satisfies readonly (keyof SearchBlend)[];

const DEFAULT_BLEND: SearchBlend = {
  popularity: 0.1,
  recency: 0.05,
  recencyHalfLifeDays: 30,
  affinity: 0.5,
  categories: 0.5,
  historyLimit: 200,
};

const BLEND_LIMITS: Readonly<Record<keyof SearchBlend, readonly [number, number]>> = {
  popularity: [0, 100],
  recency: [0, 100],
  recencyHalfLifeDays: [0.001, 1e6],
  affinity: [0, 100],
  categories: [0, 100],
  historyLimit: [1, 10_000],
};

/** The search section of the configuration, checked and in the index's terms. */
export interface SearchSettings {
  readonly index: SearchConfig;
  readonly blend: SearchBlend;
}

export function searchSettings(config: KindredConfig): SearchSettings {
  const search = config.search;
  return {
    index: {
      weights: fieldWeights(search.weights),
      synonyms: synonymGroups(search.synonyms),
      facetAttributes: nameList(search.facetAttributes),
      sortableAttributes: nameList(search.sortableAttributes),
    },
    blend: mergeBlend(DEFAULT_BLEND, search.personalization, (message) => {
      throw new ConfigError(`search.personalization: ${message}`);
    }),
  };
}

/**
 * `base` with the numbers of `override` (an object of `SearchBlend` keys) put over it;
 * `fail` is called with a reason for anything else (it must throw).
 */
export function mergeBlend(
  base: SearchBlend,
  override: unknown,
  fail: (message: string) => never,
): SearchBlend {
  if (override === undefined || override === null) return base;
  if (typeof override !== 'object' || Array.isArray(override)) fail('must be an object');
  const merged: Record<string, number> = { ...base };
  for (const [key, value] of Object.entries(override as Record<string, unknown>)) {
    const limits = BLEND_LIMITS[key as keyof SearchBlend] as readonly [number, number] | undefined;
    if (!Object.hasOwn(BLEND_LIMITS, key) || limits === undefined)
      fail(`unknown key "${key}" (known: ${BLEND_KEYS.join(', ')})`);
    if (typeof value !== 'number' || !(value >= limits[0] && value <= limits[1]))
      fail(`${key} must be a number between ${limits[0]} and ${limits[1]}`);
    merged[key] = value;
  }
  return merged as unknown as SearchBlend;
}

function fieldWeights(raw: unknown): Partial<FieldWeights> {
  const fail = (message: string): never => {
    throw new ConfigError(`search.weights: ${message}`);
  };
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    return fail('must be an object');
  const weights: { -readonly [K in keyof FieldWeights]?: FieldWeights[K] } = {};
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (key === 'textFields') {
      if (value === null || typeof value !== 'object' || Array.isArray(value))
        fail('textFields must be an object of weights');
      const fields: Record<string, number> = {};
      for (const [field, weight] of Object.entries(value as Record<string, unknown>))
        fields[field] = weightOf(`textFields.${field}`, weight, fail);
      weights.textFields = fields;
    } else if (key === 'title' || key === 'categories' || key === 'tags' || key === 'text') {
      weights[key] = weightOf(key, value, fail);
    } else fail(`unknown field "${key}" (title, categories, tags, text, textFields)`);
  }
  return weights;
}

function weightOf(name: string, value: unknown, fail: (message: string) => never): number {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1000))
    fail(`${name} must be a number between 0 and 1000`);
  return value as number;
}

function synonymGroups(raw: unknown): string[][] {
  const valid =
    Array.isArray(raw) &&
    raw.every(
      (group) =>
        Array.isArray(group) &&
        group.length >= 2 &&
        group.every((word) => typeof word === 'string' && word.trim() !== ''),
    );
  if (!valid)
    throw new ConfigError(
      'search.synonyms must be a list of groups of at least two words, e.g. [["tv", "television"]]',
    );
  return raw as string[][];
}

function nameList(raw: string): string[] {
  return raw
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
}
