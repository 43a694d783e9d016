import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InteractionTypes } from '../domain/interaction.js';
import { foldInUser } from '../../../test/support/reference-fold-in.js';
import { ON_CALLING_THREAD } from '../models/ials-threads.js';
import { decodeArtifact, encodeArtifact } from './artifact.js';
import type { InteractionLog } from './interaction-views.js';
import { LogHistories } from './offline.js';
import { parsePipelineConfig, type PipelineConfig } from './blend-config.js';
import { FoldInSolver, type HistoryReader, Recommender } from './recommender.js';
import { fitPipeline } from './train-blend.js';
import { blockClicks } from '../../../test/support/block-clicks.js';
import { TrendingCounter } from './trending.js';

const types = new InteractionTypes();
const CLICK = types.indexOf('click')!;
const VIEW = types.indexOf('view')!;

/** Users 0..79 in 4 blocks of 10 items; each clicks 5 items of their block. */
const blocks = () =>
  blockClicks({
    seed: 5,
    users: 80,
    blocks: 4,
    itemsPerBlock: 10,
    clicksPerUser: 5,
    userCapacity: 81,
  });

const PIPELINE: PipelineConfig = parsePipelineConfig({
  components: [
    { kind: 'ials', params: { factors: 8, regularization: 0.5, iterations: 10 } },
    { kind: 'ease', weight: 0.5, params: { lambda: 5 } },
    { kind: 'rp3beta', weight: 0.2 },
    { kind: 'popularity', weight: -0.05 },
  ],
  historyLimit: 50,
});

/** `histories` with one click more for every user, on the item `itemOf` names. */
function withClickSince(histories: HistoryReader, itemOf: (user: number) => number): HistoryReader {
  return {
    readRecent(user, out, kinds, values) {
      const count = histories.readRecent(
        user,
        out.subarray(1),
        kinds.subarray(1),
        values.subarray(1),
      );
      out[0] = itemOf(user);
      kinds[0] = CLICK;
      values[0] = Number.NaN;
      return count + 1;
    },
  };
}

const allRows = (log: InteractionLog) => Int32Array.from({ length: log.users.length }, (_, i) => i);
/** The pipeline fitted on every row, on this thread. */
const fitAll = (log: InteractionLog, users: number, items: number, config: PipelineConfig) =>
  fitPipeline(log, types, { users, items }, allRows(log), config, ON_CALLING_THREAD);

test("recommends unseen items of the user's block; blocked items never", async () => {
  const { log, users, items } = blocks();
  const model = await fitAll(log, users, items, PIPELINE);
  const recommender = new Recommender(model, types);
  const histories = new LogHistories(log, allRows(log), users);
  for (let user = 0; user < 80; user++) {
    const ranked = recommender.recommend(histories, user, 3)!;
    const seen = new Set<number>();
    for (let row = 0; row < log.users.length; row++)
      if (log.users[row] === user) seen.add(log.items[row]!);
    for (const item of ranked.indices) {
      assert.ok(!seen.has(item), `user ${user} got seen item ${item}`);
      assert.equal(
        Math.floor(item / 10),
        user % 4,
        `user ${user} got item ${item} of another block`,
      );
    }
    const blocked = ranked.indices[0]!;
    const again = recommender.recommend(histories, user, 5, { has: (i) => i === blocked })!;
    assert.ok(!again.indices.includes(blocked));
  }
  const empty = recommender.recommend(histories, 80, 5);
  assert.equal(
    empty,
    undefined,
    'a user with no history gets nothing (callers fall back to trending)',
  );
  const similar = recommender.similar(3, 5)!;
  assert.ok(!similar.indices.includes(3));
  for (const item of similar.indices) assert.equal(Math.floor(item / 10), 0);
});

test('a history that grows is folded in again; views do not mark items seen', async () => {
  const { log, users, items } = blocks();
  const model = await fitAll(log, users, items, PIPELINE);
  const recommender = new Recommender(model, types);
  // A user with one view of an item of block 2 and nothing else.
  const history = { items: [25], types: [VIEW] };
  const reader = {
    readRecent(_user: number, out: Int32Array, kinds: Uint8Array, values: Float64Array): number {
      history.items.forEach((item, i) => {
        out[i] = item;
        kinds[i] = history.types[i]!;
        values[i] = Number.NaN;
      });
      return history.items.length;
    },
  };
  const first = recommender.recommend(reader, 99, 3)!;
  assert.ok(
    first.indices.includes(25) || first.indices.every((i) => Math.floor(i / 10) === 2),
    'a view is not "seen"',
  );
  history.items.push(31, 32, 33, 34);
  history.types.push(CLICK, CLICK, CLICK, CLICK);
  const second = recommender.recommend(reader, 99, 3)!;
  assert.ok(
    second.indices.every((i) => Math.floor(i / 10) === 3),
    `moved to block 3: ${second.indices}`,
  );
});

test('the allocation-free fold-in equals foldInUser', async () => {
  const { log, users, items } = blocks();
  const model = await fitAll(log, users, items, PIPELINE);
  const ials = model.components.find((c) => c.kind === 'ials');
  assert.ok(ials?.kind === 'ials');
  const full = {
    ...ials.ials,
    users: 0,
    userFactors: new Float32Array(0),
  };
  const historyItems = Int32Array.from([1, 5, 7, 12]);
  const weights = Float32Array.from([2, 2, -4, 1]);
  const expected = foldInUser(full, historyItems, weights);
  const actual = new Float32Array(ials.ials.factors);
  new FoldInSolver(ials.ials.factors).solve(ials.ials, historyItems, weights, 4, actual);
  for (let f = 0; f < actual.length; f++) assert.ok(Math.abs(actual[f]! - expected[f]!) < 1e-5);
});

test('an artifact decodes to a pipeline that scores identically', async () => {
  const { log, users, items } = blocks();
  const model = await fitAll(log, users, items, PIPELINE);
  const bytes = encodeArtifact({ offset: 42, fingerprint: 'abc' }, model);
  const { header, model: decoded } = decodeArtifact(bytes);
  assert.deepEqual(header, { offset: 42, fingerprint: 'abc' });
  assert.deepEqual(decoded.config, model.config);
  const histories = new LogHistories(log, allRows(log), users);
  const a = new Recommender(model, types);
  const b = new Recommender(decoded, types);
  for (let user = 0; user < 80; user += 7)
    assert.deepEqual(a.recommend(histories, user, 10), b.recommend(histories, user, 10));
  assert.throws(() => decodeArtifact(new Uint8Array(8)), /truncated|not a/);
});

test('trending: recent interactions weigh more, and rebasing keeps the order', () => {
  const day = 86_400;
  const trending = new TrendingCounter(day);
  trending.add(1, 4, 0); // 4, ten days ago
  trending.add(2, 1, 10 * day); // 1, now
  trending.add(3, 1, 9 * day); // 1, a day ago: worth 0.5 now
  assert.deepEqual(Array.from(trending.top(3).indices), [2, 3, 1]);
  // A year later the anchor moves; the order of new events is still right.
  trending.add(4, 1, 400 * day);
  trending.add(5, 3, 399 * day);
  assert.deepEqual(Array.from(trending.top(2).indices), [5, 4]);
  trending.add(6, -5, 400 * day);
  assert.ok(!Array.from(trending.top(10).indices).includes(6), 'negative signals do not trend');
});

test('pipelines given as JSON are checked', () => {
  assert.throws(() => parsePipelineConfig({}), /components/);
  assert.throws(
    () => parsePipelineConfig({ components: [{ kind: 'svd' }] }),
    /kind must be one of/,
  );
  assert.throws(
    () => parsePipelineConfig({ components: [{ kind: 'ials', params: { factors: 0 } }] }),
    /factors/,
  );
  assert.throws(
    () => parsePipelineConfig({ components: [{ kind: 'ease', params: { alpha: 1 } }] }),
    /no parameter/,
  );
  assert.throws(
    () => parsePipelineConfig({ components: [{ kind: 'ease' }, { kind: 'ease' }] }),
    /twice/,
  );
  const parsed = parsePipelineConfig({ components: [{ kind: 'ease', params: { lambda: 10 } }] });
  assert.deepEqual(parsed.components[0], {
    kind: 'ease',
    view: 'presence',
    weight: 1,
    params: { lambda: 10, dropout: 0 },
  });
});

test('vectors folded in at training serve exactly as on-demand fold-in, while the history is unchanged', async () => {
  const { log, users, items } = blocks();
  const model = await fitAll(log, users, items, PIPELINE);
  const histories = new LogHistories(log, allRows(log), users);
  const userVectors = new Recommender(model, types).foldInUsers(histories, users);
  assert.ok(userVectors !== undefined);
  const warm = { ...model, userVectors };
  // Through the artifact, as a server loads it.
  const loaded = decodeArtifact(encodeArtifact({ offset: 1, fingerprint: '' }, warm)).model;
  const cold = new Recommender(model, types);
  const started = new Recommender(loaded, types);
  for (let user = 0; user < 80; user++)
    assert.deepEqual(started.recommend(histories, user, 10), cold.recommend(histories, user, 10));

  // The stored vectors are what serves: spoiled ones change the answers...
  const spoiled = new Float32Array(userVectors.vectors.length).fill(0);
  for (let user = 0; user < 80; user++) spoiled[user * userVectors.factors] = user % 2 ? 1 : -1;
  const iALSOnly = parsePipelineConfig({
    components: [{ kind: 'ials', params: { factors: 8, regularization: 0.5, iterations: 10 } }],
    historyLimit: 50,
  });
  const ials = await fitAll(log, users, items, iALSOnly);
  const vectors = new Recommender(ials, types).foldInUsers(histories, users)!;
  const fake = new Recommender({ ...ials, userVectors: { ...vectors, vectors: spoiled } }, types);
  const real = new Recommender(ials, types);
  let differ = 0;
  for (let user = 0; user < 80; user++)
    if (
      JSON.stringify(fake.recommend(histories, user, 5)) !==
      JSON.stringify(real.recommend(histories, user, 5))
    )
      differ++;
  assert.ok(differ > 40, `${differ} of 80 answers changed`);
  // ...but not once the user's history has changed since: then it is folded in afresh.
  const grown = withClickSince(histories, (user) => (user % 4) * 10);
  for (let user = 0; user < 80; user++)
    assert.deepEqual(fake.recommend(grown, user, 5), real.recommend(grown, user, 5));
});

test("lists ranked ahead are the request's own, kept while the history is unchanged", async () => {
  const { log, users, items } = blocks();
  const model = await fitAll(log, users, items, PIPELINE);
  const histories = new LogHistories(log, allRows(log), users);
  const userLists = new Recommender(model, types).rankUsersAhead(histories, users, 12, () => true);
  const loaded = decodeArtifact(
    encodeArtifact({ offset: 1, fingerprint: '' }, { ...model, userLists }),
  ).model;
  const served = new Recommender(loaded, types);
  const fresh = new Recommender(model, types);
  assert.equal(served.listDepthAhead, 12);
  for (let user = 0; user < 80; user++) {
    const ahead = served.listRankedAhead(histories, user);
    assert.ok(ahead !== undefined, `user ${user}`);
    const expected = fresh.recommend(histories, user, 12)!;
    assert.deepEqual([...ahead.indices], [...expected.indices]);
  }
  // A history that changed since: no list from training.
  const grown = withClickSince(histories, () => 0);
  for (let user = 0; user < 80; user++)
    assert.equal(served.listRankedAhead(grown, user), undefined);
  // A time budget that runs out leaves the rest to be ranked on demand.
  let budget = 10;
  const partial = fresh.rankUsersAhead(histories, users, 12, () => budget-- > 0);
  assert.equal(partial.lengths.filter((length) => length >= 0).length, 10);
});
