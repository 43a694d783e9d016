import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InteractionTypes } from '../domain/interaction.js';
import { type CategoryMembers, buildPartitionsInSlices } from '../models/ivf-partitions.js';
import { type IvfIndex, buildIvfIndex } from '../models/ivf.js';
import type { IndexSet } from '../models/top-k.js';
import { ON_CALLING_THREAD } from '../models/ials-threads.js';
import { LogHistories } from './offline.js';
import { parsePipelineConfig } from './blend-config.js';
import { Recommender } from './recommender.js';
import { blockClicks } from '../../../test/support/block-clicks.js';
import { fitPipeline } from './train-blend.js';

const types = new InteractionTypes();
const USERS = 200;
/** Users 200 .. 209 are known but have no history. */
const USER_CAPACITY = 210;

const IALS_ONLY = parsePipelineConfig({
  components: [{ kind: 'ials', params: { factors: 8, regularization: 0.5, iterations: 8 } }],
  historyLimit: 50,
});

/** 240 items: "X" holds the multiples of 3 (80), "Y" the multiples of 5 (48), "Z" the rest. */
const CATEGORY_OF: Record<string, (item: number) => boolean> = {
  X: (item) => item % 3 === 0,
  Y: (item) => item % 5 === 0,
  Z: (item) => item % 3 !== 0 && item % 5 !== 0,
};

function categoryMembers(items: number): CategoryMembers {
  const names = Object.keys(CATEGORY_OF);
  const lists = names.map((name) =>
    Array.from({ length: items }, (_, item) => item).filter(CATEGORY_OF[name]!),
  );
  const offsets = new Int32Array(names.length + 1);
  lists.forEach((list, c) => (offsets[c + 1] = offsets[c]! + list.length));
  return { names, offsets, items: Int32Array.from(lists.flat()) };
}

function drain<T>(steps: Generator<void, T, void>): { value: T; yields: number } {
  let yields = 0;
  for (;;) {
    const step = steps.next();
    if (step.done === true) return { value: step.value, yields };
    yields++;
  }
}

async function fitted() {
  const { log, items } = blockClicks({
    seed: 9,
    users: USERS,
    blocks: 8,
    itemsPerBlock: 30,
    clicksPerUser: 6,
    userCapacity: USER_CAPACITY,
  });
  const rows = Int32Array.from({ length: log.users.length }, (_, i) => i);
  const model = await fitPipeline(
    log,
    types,
    { users: USER_CAPACITY, items },
    rows,
    IALS_ONLY,
    ON_CALLING_THREAD,
  );
  const histories = new LogHistories(log, rows, USER_CAPACITY);
  const ials = new Recommender(model, types).annFactors!;
  // Six clusters, fewer than the searcher's minimum probes: the catalog index is exact.
  const index = buildIvfIndex(ials.itemFactors, ials.items, ials.factors, { clusters: 6 });
  const partitions = drain(
    buildPartitionsInSlices(ials.itemFactors, ials.items, ials.factors, categoryMembers(items)),
  ).value;
  return { model, histories, items, index, partitions };
}

function indexed(
  model: Awaited<ReturnType<typeof fitted>>['model'],
  index: IvfIndex,
  partitions: Map<string, IvfIndex>,
): Recommender {
  const recommender = new Recommender(model, types);
  recommender.useIndex(index);
  recommender.usePartitions(partitions);
  return recommender;
}

const blockedFor = (user: number): IndexSet => ({ has: (item) => item % 7 === user % 7 });

test('within a category the search is that category’s index, and ranks as filtering all', async () => {
  const { model, histories, items, index, partitions } = await fitted();
  assert.deepEqual([...partitions.keys()], ['X', 'Y', 'Z']);
  const recommender = indexed(model, index, partitions);
  assert.equal(recommender.partitionCount, 3);
  assert.ok(recommender.usesIndex);
  const exact = new Recommender(model, types);
  for (let user = 0; user < USERS; user++) {
    const blocked = blockedFor(user);
    const everything = exact.recommend(histories, user, items, blocked)!;
    for (const category of ['X', 'Y', 'Z']) {
      const keeps = CATEGORY_OF[category]!;
      const found = recommender.recommend(histories, user, 10, blocked, user, false, [category])!;
      assert.equal(found.indices.length, 10, `user ${user}, ${category}`);
      for (const item of found.indices) {
        assert.ok(keeps(item), `user ${user}: ${item} is not in ${category}`);
        assert.ok(!blocked.has(item), `user ${user}: blocked ${item}`);
      }
      // Every partition is one cluster (under 2,000 items): the search is exact.
      const expected = [...everything.indices].filter(keeps).slice(0, 10);
      assert.deepEqual([...found.indices], expected, `user ${user}, ${category}`);
    }
    // Several categories: the smallest one's index (Y, 48 items) answers.
    const both = recommender.recommend(histories, user, 10, blocked, user, false, ['X', 'Y'])!;
    assert.deepEqual(
      [...both.indices],
      [...everything.indices].filter(CATEGORY_OF['Y']!).slice(0, 10),
      `user ${user}, X and Y`,
    );
  }
});

test('an unknown category, no category or exact search all rank the whole catalog', async () => {
  const { model, histories, index, partitions } = await fitted();
  const recommender = indexed(model, index, partitions);
  const catalogOnly = new Recommender(model, types);
  catalogOnly.useIndex(index);
  const exact = new Recommender(model, types);
  let outsideX = 0;
  for (let user = 0; user < USERS; user += 3) {
    const blocked = blockedFor(user);
    const plain = catalogOnly.recommend(histories, user, 10, blocked)!;
    const unknown = recommender.recommend(histories, user, 10, blocked, user, false, ['Nope']);
    assert.deepEqual([...unknown!.indices], [...plain.indices], `user ${user}: unknown`);
    assert.deepEqual([...unknown!.scores], [...plain.scores], `user ${user}: unknown`);
    const empty = recommender.recommend(histories, user, 10, blocked, user, false, []);
    assert.deepEqual([...empty!.indices], [...plain.indices], `user ${user}: empty`);
    // An unknown name next to a known one: the known one's index.
    const mixed = recommender.recommend(histories, user, 10, blocked, user, false, ['Nope', 'X']);
    assert.ok(mixed!.indices.every(CATEGORY_OF['X']!), `user ${user}: mixed`);
    // Exact scores every item, whatever `within` says (the caller filters afterwards).
    const asked = recommender.recommend(histories, user, 10, blocked, user, true, ['X'])!;
    const expected = exact.recommend(histories, user, 10, blocked)!;
    assert.deepEqual([...asked.indices], [...expected.indices], `user ${user}: exact`);
    outsideX += [...asked.indices].filter((item) => !CATEGORY_OF['X']!(item)).length;
  }
  assert.ok(outsideX > 0, 'exact searches were not narrowed');
  // A user with no history has nothing to rank, within or not.
  assert.equal(recommender.recommend(histories, 205, 10, undefined, 205, false, ['X']), undefined);
});

test('partitions without a catalog-wide index leave ranking exact; blends refuse them', async () => {
  const { model, histories, partitions } = await fitted();
  const recommender = new Recommender(model, types);
  recommender.usePartitions(partitions);
  assert.equal(recommender.partitionCount, 3);
  assert.equal(recommender.usesIndex, false);
  const exact = new Recommender(model, types);
  const found = recommender.recommend(histories, 4, 10, undefined, 4, false, ['X'])!;
  assert.deepEqual([...found.indices], [...exact.recommend(histories, 4, 10)!.indices]);
  // Replacing the partitions replaces them all.
  recommender.usePartitions(new Map([['X', partitions.get('X')!]]));
  assert.equal(recommender.partitionCount, 1);
  recommender.usePartitions(new Map());
  assert.equal(recommender.partitionCount, 0);

  const clicks = blockClicks({
    seed: 9,
    users: USERS,
    blocks: 8,
    itemsPerBlock: 30,
    clicksPerUser: 6,
  });
  const blended = await fitPipeline(
    clicks.log,
    types,
    { users: clicks.users, items: clicks.items },
    Int32Array.from({ length: clicks.log.users.length }, (_, i) => i),
    parsePipelineConfig({
      components: [
        { kind: 'ials', params: { factors: 8, regularization: 0.5, iterations: 2 } },
        { kind: 'popularity', weight: 0.1 },
      ],
      historyLimit: 50,
    }),
    ON_CALLING_THREAD,
  );
  const blend = new Recommender(blended, types);
  assert.throws(() => blend.usePartitions(partitions), /does not match/);
  assert.equal(blend.partitionCount, 0);
});

test('warmVectors folds in every user with history, yielding; answers stay the same', async () => {
  const { model, histories, index, partitions } = await fitted();
  const cold = indexed(model, index, partitions);
  const before = Array.from({ length: USERS }, (_, user) => ({
    all: cold.recommend(histories, user, 10, blockedFor(user))!,
    inX: cold.recommend(histories, user, 10, blockedFor(user), user, false, ['X'])!,
  }));

  const warm = indexed(model, index, partitions);
  const { value: warmed, yields } = drain(warm.warmVectors(histories, USER_CAPACITY));
  assert.equal(warmed, USERS, 'users 200 .. 209 have no history');
  assert.ok(yields >= Math.floor(USER_CAPACITY / 16), `${yields} yields`);
  // White-box: the vectors are kept, one per user with history.
  const vectors = Reflect.get(warm, 'vectors') as Map<number, { vector: Float32Array }>;
  assert.equal(vectors.size, USERS);
  const kept = Array.from({ length: USERS }, (_, user) => vectors.get(user)?.vector);
  assert.ok(kept.every((vector) => vector !== undefined));
  for (let user = 0; user < USERS; user++) {
    const all = warm.recommend(histories, user, 10, blockedFor(user))!;
    const inX = warm.recommend(histories, user, 10, blockedFor(user), user, false, ['X'])!;
    assert.deepEqual([...all.indices], [...before[user]!.all.indices], `user ${user}`);
    assert.deepEqual([...all.scores], [...before[user]!.all.scores], `user ${user}`);
    assert.deepEqual([...inX.indices], [...before[user]!.inX.indices], `user ${user}, X`);
  }
  for (let user = 0; user < USERS; user++)
    assert.equal(vectors.get(user)?.vector, kept[user], `user ${user} was not folded in again`);

  // Warming a recommender that already served changes nothing either.
  assert.equal(drain(cold.warmVectors(histories, USERS)).value, USERS);
  for (let user = 0; user < USERS; user += 7)
    assert.deepEqual(
      [...cold.recommend(histories, user, 10, blockedFor(user))!.indices],
      [...before[user]!.all.indices],
    );

  // At most as many users as the vector cache holds.
  const small = new Recommender(model, types, { vectorCacheSize: 50 });
  assert.equal(drain(small.warmVectors(histories, USER_CAPACITY)).value, 50);
  assert.equal((Reflect.get(small, 'vectors') as Map<number, unknown>).size, 50);
  // Fewer users asked: only those.
  const few = new Recommender(model, types);
  assert.equal(drain(few.warmVectors(histories, 5)).value, 5);
});
