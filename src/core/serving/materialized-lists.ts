import type { IndexSet, Ranked } from '../models/top-k.js';
import type { HistoryReader } from '../recommend/recommender.js';
import type { CollaborativeModel } from './serving-pipeline.js';
import { CategoryLists, NO_LIST, type CategoryListOptions } from './category-lists.js';

export interface MaterializedListOptions {
  /** Items kept per user: requests that need more are ranked afresh. */
  readonly depth: number;
  /** Users whose lists are kept (the least recently ranked go first). */
  readonly capacity: number;
  /** Lists narrowed to one category, kept the same way (undefined: ranked afresh). */
  readonly categories?: CategoryListOptions;
  /** Told of every lookup of a kept list (metrics). */
  readonly counters?: { readonly users?: HitCounter; readonly categories?: HitCounter };
}

export interface HitCounter {
  hit(): void;
  miss(): void;
}

export interface MaterializedListStats {
  readonly users: number;
  readonly hits: number;
  readonly misses: number;
  /** Requests that needed more than a list holds and were ranked afresh. */
  readonly deeper: number;
  /** Lists narrowed to one category kept, and how requests found them. */
  readonly categoryLists: number;
  readonly categoryHits: number;
  readonly categoryMisses: number;
}

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
 *
 * A request narrowed to one category (its filter keeps only that category's items) reads
 * the user's list within that category the same way, when `categories` is set: the
 * model's category search costs tens of microseconds a request, and a product asks for
 * the same few categories of a user again and again. `warm` fills them ahead.
 */
export class MaterializedLists implements CollaborativeModel {
  private model: CollaborativeModel | undefined;
  private readonly lists = new Map<number, Ranked>();
  private hits = 0;
  private misses = 0;
  private deeper = 0;
  private categoryHits = 0;
  private categoryMisses = 0;
  private readonly categoryLists: CategoryLists | undefined;

  constructor(private readonly options: MaterializedListOptions) {
    this.categoryLists =
      options.categories !== undefined && options.categories.capacity > 0
        ? new CategoryLists(options.categories)
        : undefined;
  }

  /** Serves `model` from now on; every list of an earlier model is dropped. */
  use(model: CollaborativeModel | undefined): this {
    if (model !== this.model) {
      this.model = model;
      this.lists.clear();
      this.categoryLists?.clear();
    }
    return this;
  }

  /** The user's history changed: their next request ranks afresh. */
  invalidate(user: number): void {
    this.lists.delete(user);
    this.categoryLists?.invalidate(user);
  }

  clear(): void {
    this.lists.clear();
    this.categoryLists?.clear();
  }

  stats(): MaterializedListStats {
    return {
      users: this.lists.size,
      hits: this.hits,
      misses: this.misses,
      deeper: this.deeper,
      categoryLists: this.categoryLists?.size ?? 0,
      categoryHits: this.categoryHits,
      categoryMisses: this.categoryMisses,
    };
  }

  /**
   * Keeps the lists of users 0 .. users-1 in each of `categories`, as far as the store
   * holds, yielding after each user, so that their first narrowed requests find them.
   * Lists already kept are left as they are. Returns how many were ranked.
   */
  *warm(
    reader: HistoryReader,
    users: number,
    categories: readonly string[],
  ): Generator<void, number, void> {
    const store = this.categoryLists;
    const model = this.model;
    if (store === undefined || model === undefined || categories.length === 0) return 0;
    const last = Math.min(users, Math.floor(this.options.categories!.capacity / categories.length));
    let ranked = 0;
    for (let user = 0; user < last; user++) {
      if (this.model !== model) return ranked;
      for (const category of categories) {
        if (store.has(user, category)) continue;
        store.put(user, category, this.rankWithin(model, reader, user, category));
        ranked++;
      }
      yield;
    }
    return ranked;
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
    // Only a user's own history (cacheKey = user) is materialized, not sessions.
    if (exact === true || cacheKey !== user)
      return model.recommend(reader, user, k, blocked, cacheKey, exact, within);
    if (within !== undefined && within.length > 0) {
      const store = this.categoryLists;
      if (store === undefined || within.length !== 1 || k > store.listDepth)
        return model.recommend(reader, user, k, blocked, cacheKey, exact, within);
      const category = within[0]!;
      let list = store.get(user, category);
      if (list === undefined) {
        this.categoryMisses++;
        this.options.counters?.categories?.miss();
        list = this.rankWithin(model, reader, user, category) ?? NO_LIST;
        store.put(user, category, list);
      } else {
        this.categoryHits++;
        this.options.counters?.categories?.hit();
      }
      return this.prefixOf(list, store.listDepth, model, reader, user, k, blocked, within);
    }
    if (k > this.options.depth)
      return model.recommend(reader, user, k, blocked, cacheKey, exact, within);
    let list = this.lists.get(user);
    if (list === undefined) {
      this.misses++;
      this.options.counters?.users?.miss();
      // Ranked at training time, if their history has not changed since (and as deep).
      list =
        (model.listDepthAhead ?? 0) >= this.options.depth
          ? model.listRankedAhead?.(reader, user)
          : undefined;
      // A user the model cannot personalize is remembered too: no history read next time.
      list ??= model.recommend(reader, user, this.options.depth, undefined, user, false) ?? NO_LIST;
      this.remember(user, list);
    } else {
      this.hits++;
      this.options.counters?.users?.hit();
    }
    return this.prefixOf(list, this.options.depth, model, reader, user, k, blocked, within);
  }

  private rankWithin(
    model: CollaborativeModel,
    reader: HistoryReader,
    user: number,
    category: string,
  ): Ranked | undefined {
    const depth = this.categoryLists!.listDepth;
    return model.recommend(reader, user, depth, undefined, user, false, [category]);
  }

  /**
   * The shortest prefix of a kept list holding k unblocked items (the pipeline's filter
   * removes the blocked ones), or the model's own answer when the list runs out first.
   */
  private prefixOf(
    list: Ranked,
    depth: number,
    model: CollaborativeModel,
    reader: HistoryReader,
    user: number,
    k: number,
    blocked: IndexSet | undefined,
    within: readonly string[] | undefined,
  ): Ranked | undefined {
    if (list === NO_LIST) return undefined;
    if (blocked === undefined) return prefix(list, k);
    let unblocked = 0;
    for (let position = 0; position < list.indices.length; position++) {
      if (blocked.has(list.indices[position]!)) continue;
      if (++unblocked === k) return prefix(list, position + 1);
    }
    // The list ran out: everything it holds, unless the model could rank more.
    if (list.indices.length < depth) return list;
    this.deeper++;
    return model.recommend(reader, user, k, blocked, user, false, within);
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
