import type { InteractionTypes } from '../domain/interaction.js';
import {
  type RankingMetrics,
  catalogCoverage,
  evaluateRanking,
  novelty,
} from '../evaluation/metrics.js';
import { leaveLastOut, stratifiedSplit, temporalSplit } from '../evaluation/splits.js';
import { createRandom } from '../models/random.js';
import type { IndexSet } from '../models/top-k.js';
import { type InteractionLog, eventValue } from './interaction-views.js';
import type { HistoryReader, Recommender } from './recommender.js';

/**
 * A user's history read from log rows (positions into an InteractionLog), newest first
 * meaning last in log order, exactly as the read models chain them. Offline evaluation
 * and the search read histories through this, serving through the read models.
 */
export class LogHistories implements HistoryReader {
  private readonly start: Int32Array;
  private readonly order: Int32Array;

  constructor(
    private readonly log: InteractionLog,
    rows: Int32Array,
    userCount: number,
  ) {
    this.start = new Int32Array(userCount + 1);
    for (const row of rows) {
      const user = log.users[row]!;
      if (user >= 0 && user < userCount) this.start[user + 1]!++;
    }
    for (let user = 0; user < userCount; user++) this.start[user + 1]! += this.start[user]!;
    const cursor = this.start.slice(0, userCount);
    this.order = new Int32Array(this.start[userCount]!);
    for (const row of rows) {
      const user = log.users[row]!;
      if (user >= 0 && user < userCount) this.order[cursor[user]!++] = row;
    }
  }

  count(user: number): number {
    return user + 1 < this.start.length ? this.start[user + 1]! - this.start[user]! : 0;
  }

  readRecent(user: number, items: Int32Array, types: Uint8Array, values: Float64Array): number {
    if (user < 0 || user + 1 >= this.start.length) return 0;
    const first = this.start[user]!;
    let at = this.start[user + 1]! - 1;
    let written = 0;
    while (at >= first && written < items.length) {
      const row = this.order[at--]!;
      items[written] = this.log.items[row]!;
      types[written] = this.log.types[row]!;
      values[written] = this.log.values[row]!;
      written++;
    }
    return written;
  }
}

/** How held-out interactions are chosen (the protocols of `kindred eval`). */
export type SplitProtocol =
  /** Per user, a random `ratio` of their interactions trains (Microsoft Recommenders' stratified split). */
  | { readonly kind: 'random'; readonly ratio: number; readonly seed: number }
  /** Per user, their latest `count` interactions are held out. */
  | { readonly kind: 'leave-last'; readonly count: number }
  /** The earliest `ratio` of all interactions trains, the rest is held out. */
  | { readonly kind: 'temporal'; readonly ratio: number }
  /** Per user (with at least `minimum` interactions), the latest (1 - ratio) are held out. */
  | { readonly kind: 'user-temporal'; readonly ratio: number; readonly minimum: number };

export function describeProtocol(protocol: SplitProtocol): string {
  switch (protocol.kind) {
    case 'random':
      return `random split stratified per user, ${Math.round(protocol.ratio * 100)}/${Math.round((1 - protocol.ratio) * 100)}, seed ${protocol.seed}`;
    case 'leave-last':
      return `per-user temporal leave-last-${protocol.count}`;
    case 'temporal':
      return `global temporal split, first ${Math.round(protocol.ratio * 100)}% of interactions train`;
    case 'user-temporal':
      return `per-user temporal split, latest ${Math.round((1 - protocol.ratio) * 100)}% of each user's interactions held out`;
  }
}

/**
 * Splits the given rows of the log (positions, in log order) by a protocol. Rows of
 * erased users (user < 0) are dropped. Both sides come back in log order.
 */
export function splitRows(
  log: InteractionLog,
  rows: Int32Array,
  protocol: SplitProtocol,
): { train: Int32Array; test: Int32Array } {
  const live = rows.filter((row) => log.users[row]! >= 0);
  const users = Int32Array.from(live, (row) => log.users[row]!);
  const items = Int32Array.from(live, (row) => log.items[row]!);
  const times = Float64Array.from(live, (row) => log.times[row]!);
  let split: { train: Int32Array; test: Int32Array };
  switch (protocol.kind) {
    case 'random':
      split = stratifiedSplit({ users, items }, { ratio: protocol.ratio, seed: protocol.seed });
      break;
    case 'leave-last':
      split = leaveLastOut({ users, timestamps: times }, protocol.count);
      break;
    case 'temporal':
      split = temporalSplit({ timestamps: times }, { ratio: protocol.ratio });
      break;
    case 'user-temporal':
      split = userTemporalSplit(users, times, protocol.ratio, protocol.minimum);
      break;
  }
  return {
    train: Int32Array.from(split.train, (position) => live[position]!),
    test: Int32Array.from(split.test, (position) => live[position]!),
  };
}

function userTemporalSplit(
  users: Int32Array,
  times: Float64Array,
  ratio: number,
  minimum: number,
): { train: Int32Array; test: Int32Array } {
  const groups = new Map<number, number[]>();
  users.forEach((user, position) => {
    let group = groups.get(user);
    if (group === undefined) groups.set(user, (group = []));
    group.push(position);
  });
  const isTest = new Uint8Array(users.length);
  for (const group of groups.values()) {
    if (group.length < minimum) continue;
    group.sort((a, b) => times[a]! - times[b]! || a - b);
    const held = Math.max(1, Math.round(group.length * (1 - ratio)));
    for (const position of group.slice(group.length - held)) isTest[position] = 1;
  }
  const train: number[] = [];
  const test: number[] = [];
  for (let position = 0; position < users.length; position++)
    (isTest[position] === 1 ? test : train).push(position);
  return { train: Int32Array.from(train), test: Int32Array.from(test) };
}

/**
 * What each user should be recommended, from held-out rows: the items they showed
 * interest in (a positive value under the `strength` view; every rating counts), minus
 * what they already have in training (it cannot be recommended again).
 */
export function relevantFromRows(
  log: InteractionLog,
  types: InteractionTypes,
  testRows: Int32Array,
  training: LogHistories,
): Map<number, Set<number>> {
  const relevant = new Map<number, Set<number>>();
  for (const row of testRows) {
    const user = log.users[row]!;
    if (user < 0 || training.count(user) === 0) continue;
    if (!(eventValue(types, 'strength', log.types[row]!, log.values[row]!) > 0)) continue;
    let set = relevant.get(user);
    if (set === undefined) relevant.set(user, (set = new Set()));
    set.add(log.items[row]!);
  }
  const items = new Int32Array(10_000);
  const kinds = new Uint8Array(10_000);
  const values = new Float64Array(10_000);
  for (const [user, set] of relevant) {
    const count = training.readRecent(user, items, kinds, values);
    for (let position = 0; position < count; position++) {
      if (types.seenMask[kinds[position]!] === 1) set.delete(items[position]!);
    }
    if (set.size === 0) relevant.delete(user);
  }
  return relevant;
}

export interface OfflineMetrics extends RankingMetrics {
  readonly k: number;
  /** Distinct items recommended / distinct items in training. */
  readonly coverage: number;
  /** Mean self-information (bits) of the recommended items. */
  readonly novelty: number;
  /** Users for whom the pipeline had nothing and trending answered. */
  readonly fallbackUsers: number;
}

/**
 * Recommends to every user with held-out items through the serving code path and
 * scores the lists. Users the pipeline cannot personalize get `fallback` (trending).
 */
export function evaluateOffline(
  recommender: Recommender,
  training: LogHistories,
  relevant: ReadonlyMap<number, ReadonlySet<number>>,
  k: number,
  trainItemCounts: ArrayLike<number>,
  fallback: (user: number, k: number) => Int32Array,
  blocked?: IndexSet,
): { metrics: OfflineMetrics; lists: Map<number, Int32Array> } {
  const lists = new Map<number, Int32Array>();
  let fallbackUsers = 0;
  for (const user of relevant.keys()) {
    const ranked = recommender.recommend(training, user, k, blocked);
    if (ranked === undefined) fallbackUsers++;
    lists.set(user, ranked?.indices ?? fallback(user, k));
  }
  let trainItems = 0;
  for (let item = 0; item < trainItemCounts.length; item++)
    if (trainItemCounts[item]! > 0) trainItems++;
  const ranking = evaluateRanking(lists, relevant, k);
  return {
    metrics: {
      ...ranking,
      k,
      coverage: catalogCoverage(lists, trainItems, k),
      novelty: novelty(lists, trainItemCounts, k),
      fallbackUsers,
    },
    lists,
  };
}

/** Interactions per item among the given rows (for coverage and novelty). */
export function itemCounts(log: InteractionLog, rows: Int32Array, itemCount: number): Float64Array {
  const counts = new Float64Array(itemCount);
  for (const row of rows) {
    const item = log.items[row]!;
    if (log.users[row]! >= 0 && item < itemCount) counts[item]!++;
  }
  return counts;
}

/** A seeded sample of at most `count` users, in index order. */
export function sampleUsers(users: number[], count: number, seed: number): number[] {
  users.sort((a, b) => a - b);
  const random = createRandom(seed + 3);
  for (let i = users.length - 1; i > 0; i--) {
    const j = random.nextInt(i + 1);
    [users[i], users[j]] = [users[j]!, users[i]!];
  }
  return users.slice(0, count).sort((a, b) => a - b);
}
