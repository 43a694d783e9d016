import type { IndexSet, Ranked } from '../models/top-k.js';
import type { HistoryReader } from '../recommend/recommender.js';
import type { CollaborativeModel } from './pipeline.js';

export interface MaterializedListOptions {
  /** Items kept per user: requests that need more are ranked afresh. */
  readonly depth: number;
  /** Users whose lists are kept (the least recently ranked go first). */
  readonly capacity: number;
}

export interface MaterializedListStats {
  readonly users: number;
  readonly hits: number;
  readonly misses: number;
  /** Requests that needed more than a list holds and were ranked afresh. */
  readonly deeper: number;
}

/** A user the model cannot personalize: remembered too, so they cost no history read. */
const NOTHING: Ranked = { indices: new Int32Array(0), scores: new Float32Array(0) };

/**
 * The collaborative source with each user's ranked list kept between requests: the first
 * request of a user ranks the catalog once, `depth` deep, and later requests read that
 * list, so a request costs a walk of a few dozen entries instead of a search over every
 * item. A list is dropped when its user's history changes (`invalidate`, called for every
 * applied event of that user, before the write is acknowledged) and all of them when the
 * model changes, so a list is never served stale.
 *
 * A list is ranked without the request's blocked items (excludes, pages already served),
 * which differ per request: `recommend` answers with a prefix of the list that holds `k`
 * unblocked items, blocked ones included (the pipeline's filter stage removes them). Seen
 * items are never in a list (the model leaves them out, and seeing one changes the
 * history). A request needing more than the list holds is ranked afresh, uncached.
 */
export class MaterializedLists implements CollaborativeModel {
  private model: CollaborativeModel | undefined;
  private readonly lists = new Map<number, Ranked>();
  private hits = 0;
  private misses = 0;
  private deeper = 0;

  constructor(private readonly options: MaterializedListOptions) {}

  /** Serves `model` from now on; every list of an earlier model is dropped. */
  use(model: CollaborativeModel | undefined): this {
    if (model !== this.model) {
      this.model = model;
      this.lists.clear();
    }
    return this;
  }

  /** The user's history changed: their next request ranks afresh. */
  invalidate(user: number): void {
    this.lists.delete(user);
  }

  clear(): void {
    this.lists.clear();
  }

  stats(): MaterializedListStats {
    return { users: this.lists.size, hits: this.hits, misses: this.misses, deeper: this.deeper };
  }

  recommend(
    reader: HistoryReader,
    user: number,
    k: number,
    blocked?: IndexSet,
    cacheKey: number | null = user,
    exact?: boolean,
    within?: readonly string[],
  ): Ranked | undefined {
    const model = this.model;
    if (model === undefined) return undefined;
    if (k <= 0) return { indices: new Int32Array(0), scores: new Float32Array(0) };
    // Only a user's own history (cacheKey = user) is materialized, not sessions; and a
    // search narrowed to a category is already cheap.
    if (
      exact === true ||
      cacheKey !== user ||
      k > this.options.depth ||
      (within !== undefined && within.length > 0)
    )
      return model.recommend(reader, user, k, blocked, cacheKey, exact, within);
    let list = this.lists.get(user);
    if (list === undefined) {
      this.misses++;
      list = model.recommend(reader, user, this.options.depth, undefined, user, false) ?? NOTHING;
      this.remember(user, list);
    } else this.hits++;
    if (list === NOTHING) return undefined;
    if (blocked === undefined) return prefix(list, k);
    let unblocked = 0;
    for (let position = 0; position < list.indices.length; position++) {
      if (blocked.has(list.indices[position]!)) continue;
      if (++unblocked === k) return prefix(list, position + 1);
    }
    // The list ran out: everything it holds, unless the model could rank more.
    if (list.indices.length < this.options.depth) return list;
    this.deeper++;
    return model.recommend(reader, user, k, blocked, cacheKey, exact, within);
  }

  similar(item: number, k: number, blocked?: IndexSet): Ranked | undefined {
    return this.model?.similar(item, k, blocked);
  }

  private remember(user: number, list: Ranked): void {
    this.lists.set(user, list);
    if (this.lists.size > this.options.capacity) {
      // A Map iterates in insertion order: the first key is the least recently ranked.
      const oldest = this.lists.keys().next();
      if (oldest.done !== true) this.lists.delete(oldest.value);
    }
  }
}

function prefix(list: Ranked, length: number): Ranked {
  if (length >= list.indices.length) return list;
  return { indices: list.indices.subarray(0, length), scores: list.scores.subarray(0, length) };
}
