// The four-stage recommendation pipeline over HTTP: scenarios, overrides, pagination,
// attribution, read-your-writes, explain and the degraded fallback.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventTypes, type RecommendationsServedPayload } from '../src/core/events/event-types.js';
import { startModelServer, type ModelServer } from './support/model-server.js';
import { plantedInteractions, TEST_PIPELINE, type PlantedData } from './support/planted-data.js';

interface Answer {
  recommendationId: string;
  items: { id: string; score: number; explain?: Record<string, unknown> }[];
  scenario: string;
  model: string | null;
  scorer: string;
  degraded?: true;
  reasons?: string[];
}
interface ErrorAnswer {
  error: { code: string; message: string; details: Record<string, unknown> };
}
interface ScenarioAnswer {
  name: string;
  version: number;
  config: Record<string, unknown>;
  stats?: { lists: number; items: number; attributed: Record<string, number> };
}

const BLOCKS = 6;
const ITEMS_PER_BLOCK = 40;

describe('serving pipeline', () => {
  let kindred: ModelServer;
  let data: PlantedData;
  const ids = (answer: Answer): string[] => answer.items.map((item) => item.id);
  const get = <T>(path: string) => kindred.client.get<T>(path);

  before(async () => {
    kindred = await startModelServer({ KINDRED_TRAINING_PIPELINE: TEST_PIPELINE });
    data = plantedInteractions();
    const items = [];
    for (let block = 0; block < BLOCKS; block++)
      for (let i = 0; i < ITEMS_PER_BLOCK; i++)
        items.push({
          id: `i${block}-${i}`,
          title: `Item ${block}-${i}`,
          categories: [`block-${block}`, i % 2 === 0 ? 'even' : 'odd'],
          attributes: { price: i },
        });
    const upserted = await kindred.client.post('/v1/items/batch', { items });
    assert.equal(upserted.status, 200, upserted.text);
    await kindred.record(data.events);
    const trained = await kindred.client.post('/v1/models/train?wait=true', {});
    assert.equal(trained.status, 200, trained.text);
  });
  after(() => kindred.close());

  test('the default scenario ranks exactly as the trained pipeline does', async () => {
    for (const user of ['u0-1', 'u1-3', 'u2-5', 'u3-7', 'u4-9', 'u5-11', 'visitor3']) {
      const served = await get<Answer>(`/v1/users/${user}/recommendations?k=20`);
      assert.equal(served.status, 200, served.text);
      assert.equal(served.body.scenario, 'default');
      assert.equal(served.body.scorer, 'blend');
      const direct = kindred.models.serving.recommendForUser(user, 20);
      assert.deepEqual(
        ids(served.body),
        direct.items.map((item) => item.id),
        user,
      );
    }
  });

  test('scenarios: create, version, list, read, validate rules, delete', async () => {
    const config = {
      description: 'cheap items, diverse',
      sources: [
        { name: 'cf', budget: 100, weight: 1 },
        { name: 'category-popular', budget: 50, weight: 0.3 },
      ],
      fallback: ['trending'],
      filter: 'price < 10',
      diversity: { mode: 'category-cap', perCategory: 3 },
    };
    const created = await kindred.client.put<ScenarioAnswer>('/v1/scenarios/cheap', config);
    assert.equal(created.status, 200, created.text);
    assert.equal(created.body.version, 1);
    const again = await kindred.client.put<ScenarioAnswer>('/v1/scenarios/cheap', config);
    assert.equal(again.body.version, 2);
    const listed = await get<{ scenarios: ScenarioAnswer[] }>('/v1/scenarios');
    assert.deepEqual(
      listed.body.scenarios.map((s) => s.name),
      ['cheap', 'default'],
    );
    const read = await get<ScenarioAnswer>('/v1/scenarios/cheap');
    assert.equal(read.body.config['filter'], 'price < 10');

    const badRule = await kindred.client.put<ErrorAnswer>('/v1/scenarios/broken', {
      ...config,
      filter: 'price <<< 3',
    });
    assert.equal(badRule.status, 400);
    assert.equal(badRule.body.error.code, 'INVALID_RULE');
    assert.equal(typeof badRule.body.error.details['position'], 'number');
    const badBoost = await kindred.client.put<ErrorAnswer>('/v1/scenarios/broken', {
      ...config,
      boost: 'boost(2) if',
    });
    assert.equal(badBoost.body.error.code, 'INVALID_RULE');
    const twice = await kindred.client.put<ErrorAnswer>('/v1/scenarios/broken', {
      ...config,
      sources: [config.sources[0], config.sources[0]],
    });
    assert.equal(twice.status, 400);
    assert.equal((await get<ErrorAnswer>('/v1/scenarios/broken')).status, 404);

    const temporary = await kindred.client.put('/v1/scenarios/temporary', config);
    assert.equal(temporary.status, 200);
    assert.equal((await kindred.client.delete('/v1/scenarios/temporary')).status, 204);
    const gone = await get<ErrorAnswer>('/v1/scenarios/temporary');
    assert.equal(gone.body.error.code, 'SCENARIO_NOT_FOUND');
    const unknown = await get<ErrorAnswer>('/v1/users/u1-1/recommendations?scenario=temporary');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'SCENARIO_NOT_FOUND');
  });

  test('a scenario applies its filter and diversity; requests override k, filter, exclude, diversity', async () => {
    const cheap = await get<Answer>('/v1/users/u2-1/recommendations?scenario=cheap&k=8');
    assert.equal(cheap.status, 200, cheap.text);
    assert.equal(cheap.body.scenario, 'cheap');
    assert.equal(cheap.body.items.length, 8);
    for (const id of ids(cheap.body)) assert.ok(Number(id.split('-')[1]) < 10, `${id} is cheap`);
    const perCategory = new Map<string, number>();
    for (const id of ids(cheap.body).slice(0, 6)) {
      const key = Number(id.split('-')[1]) % 2 === 0 ? 'even' : 'odd';
      perCategory.set(key, (perCategory.get(key) ?? 0) + 1);
    }
    for (const [category, count] of perCategory)
      assert.ok(count <= 3, `${count} of the first 6 are ${category}`);

    const narrowed = await get<Answer>(
      `/v1/users/u2-1/recommendations?scenario=cheap&k=3&filter=${encodeURIComponent('price >= 5')}` +
        `&exclude=${ids(cheap.body).slice(0, 2).map(encodeURIComponent).join(',')}&diversity=none`,
    );
    assert.equal(narrowed.status, 200, narrowed.text);
    assert.equal(narrowed.body.items.length, 3);
    for (const id of ids(narrowed.body)) {
      const price = Number(id.split('-')[1]);
      assert.ok(price >= 5 && price < 10, `${id}: both filters apply`);
      assert.ok(!ids(cheap.body).slice(0, 2).includes(id), `${id} was excluded`);
    }

    const boosted = await kindred.client.post<Answer>('/v1/users/u2-1/recommendations', {
      k: 5,
      boost: 'boost(1000) if "block-4" in categories',
      explain: true,
    });
    assert.equal(boosted.status, 200, boosted.text);
    const first = boosted.body.items[0]!;
    assert.equal(
      data.blockOfItem(first.id),
      4,
      'the boosted block comes first (from trending or cf)',
    );

    // Rules read the user's attributes and the request's context.
    await kindred.client.put('/v1/users/u2-1', { id: 'u2-1', attributes: { maxPrice: 3 } });
    const personal = await kindred.client.post<Answer>('/v1/users/u2-1/recommendations', {
      k: 4,
      filter: 'price <= user.maxPrice and not (id in context.hidden)',
      context: { hidden: ['i2-0'] },
    });
    assert.equal(personal.status, 200, personal.text);
    assert.equal(personal.body.items.length, 4);
    for (const id of ids(personal.body)) {
      assert.ok(Number(id.split('-')[1]) <= 3, id);
      assert.notEqual(id, 'i2-0');
    }

    const badFilter = await get<ErrorAnswer>(
      `/v1/users/u2-1/recommendations?filter=${encodeURIComponent('price >')}`,
    );
    assert.equal(badFilter.status, 400);
    assert.equal(badFilter.body.error.code, 'INVALID_RULE');
    const badDiversity = await get<ErrorAnswer>('/v1/users/u2-1/recommendations?diversity=lots');
    assert.equal(badDiversity.status, 400);
  });

  test('paging on with recommendationId never repeats an item', async () => {
    const whole = await get<Answer>('/v1/users/u3-2/recommendations?k=15');
    const first = await get<Answer>('/v1/users/u3-2/recommendations?k=5');
    const second = await get<Answer>(
      `/v1/users/u3-2/recommendations?k=5&recommendationId=${first.body.recommendationId}`,
    );
    const third = await kindred.client.post<Answer>('/v1/users/u3-2/recommendations', {
      k: 5,
      recommendationId: first.body.recommendationId,
    });
    assert.equal(second.body.recommendationId, first.body.recommendationId);
    const paged = [...ids(first.body), ...ids(second.body), ...ids(third.body)];
    assert.equal(new Set(paged).size, 15, 'no repeats');
    assert.deepEqual(paged, ids(whole.body), 'the same list, page by page');
    const offset = await get<Answer>('/v1/users/u3-2/recommendations?k=5&offset=5');
    assert.deepEqual(ids(offset.body), ids(second.body));

    // Deeper than the scenario's candidate budget (100): served pages are excluded at the
    // source, so the trained pipeline keeps answering, page after page.
    const deep = await get<Answer>('/v1/users/u3-2/recommendations?k=120');
    let pageId: string | undefined;
    const pages: string[] = [];
    for (let page = 0; page < 3; page++) {
      const next = await get<Answer>(
        `/v1/users/u3-2/recommendations?k=40${pageId === undefined ? '' : `&recommendationId=${pageId}`}`,
      );
      assert.equal(next.body.degraded, undefined);
      pageId = next.body.recommendationId;
      pages.push(...ids(next.body));
    }
    assert.deepEqual(pages, ids(deep.body));

    const foreign = await get<ErrorAnswer>(
      `/v1/users/u1-2/recommendations?recommendationId=${first.body.recommendationId}`,
    );
    assert.equal(foreign.status, 404);
    assert.equal(foreign.body.error.code, 'RECOMMENDATION_NOT_FOUND');
  });

  test('impressions are logged; events carrying the recommendation id are attributed', async () => {
    const shown = await get<Answer>('/v1/users/u4-3/recommendations?k=4&scenario=cheap');
    const before = (await get<ScenarioAnswer>('/v1/scenarios/cheap')).body.stats!;
    const clicked = shown.body.items[1]!.id;
    const recorded = await kindred.client.post('/v1/events', {
      type: 'click',
      userId: 'u4-3',
      itemId: clicked,
      context: { recommendationId: shown.body.recommendationId },
    });
    assert.equal(recorded.status, 201, recorded.text);
    const stats = (await get<ScenarioAnswer>('/v1/scenarios/cheap')).body.stats!;
    assert.equal(stats.attributed['click'], (before.attributed['click'] ?? 0) + 1);
    assert.ok(stats.lists >= 1 && stats.items >= 4);

    await kindred.models.recommendations.flushImpressions();
    const events = await kindred.engine.log.readAfter(0, 1_000_000);
    const impressions = events
      .filter((event) => event.type === EventTypes.recommendationsServed.type)
      .flatMap((event) => (event.payload as RecommendationsServedPayload).impressions);
    const logged = impressions.find((i) => i.recommendationId === shown.body.recommendationId);
    assert.ok(logged, 'the impression is in the log');
    assert.deepEqual(logged.itemIds, ids(shown.body));
    assert.equal(logged.scenario, 'cheap');
    assert.equal(logged.model, shown.body.model);
    assert.equal(logged.userId, 'u4-3');
    assert.equal(logged.offset, 0);
  });

  test('read-your-writes: an acknowledged interaction changes the next list', async () => {
    const before = await get<Answer>('/v1/users/u5-4/recommendations?k=10');
    const top = before.body.items[0]!.id;
    const acknowledged = await kindred.client.post('/v1/events', {
      type: 'purchase',
      userId: 'u5-4',
      itemId: top,
    });
    assert.equal(acknowledged.status, 201);
    const after = await get<Answer>('/v1/users/u5-4/recommendations?k=10');
    assert.ok(!ids(after.body).includes(top), 'the purchased item is gone at once');

    // A new user's first clicks personalize the very next list.
    const cold = await get<Answer>('/v1/users/fresh-user/recommendations?k=10');
    for (const itemId of ['i5-1', 'i5-2', 'i5-3'])
      await kindred.client.post('/v1/events', { type: 'click', userId: 'fresh-user', itemId });
    const warm = await get<Answer>('/v1/users/fresh-user/recommendations?k=10');
    assert.notDeepEqual(ids(warm.body), ids(cold.body));
    assert.ok(ids(warm.body).filter((id) => data.blockOfItem(id) === 5).length >= 7);
  });

  test('explain: sources, features, rule effects and score parts per item', async () => {
    await kindred.client.put('/v1/scenarios/mixed', {
      sources: [
        { name: 'cf', budget: 50, weight: 1 },
        { name: 'recent', budget: 30, weight: 0.5 },
        { name: 'trending', budget: 20, weight: 0.2 },
        { name: 'content', budget: 20, weight: 0.2 },
        { name: 'category-popular', budget: 20, weight: 0.2 },
      ],
      fallback: ['trending'],
      boost: 'boost(1.5) if price < 5',
    });
    // The content model is fitted off the request path on first use.
    await get<Answer>('/v1/users/u1-5/recommendations?k=10&scenario=mixed');
    await new Promise((resolve) => setImmediate(resolve));
    const explained = await get<Answer>(
      '/v1/users/u1-5/recommendations?k=10&scenario=mixed&explain=true',
    );
    assert.equal(explained.status, 200, explained.text);
    const proposers = new Set<string>();
    for (const item of explained.body.items) {
      const explain = item.explain as {
        sources: { source: string; score: number; rank: number }[];
        features: Record<string, number>;
        rules: { rule: string; factor: number }[];
        score: { blend: number; boost: number; final: number };
      };
      assert.ok(explain.sources.length > 0, `${item.id} has a source`);
      for (const source of explain.sources) proposers.add(source.source);
      assert.ok('ctr.24h' in explain.features && 'source.cf' in explain.features);
      assert.equal(explain.score.final, item.score);
      const cheap = Number(item.id.split('-')[1]) < 5;
      assert.equal(explain.score.boost, cheap ? 1.5 : 1, item.id);
      assert.equal(explain.rules.length, cheap ? 1 : 0, item.id);
      assert.ok(Math.abs(explain.score.blend * explain.score.boost - explain.score.final) < 1e-9);
    }
    assert.ok(proposers.size >= 3, [...proposers].join());
    assert.ok(proposers.has('content'), [...proposers].join());
    const plain = await get<Answer>('/v1/users/u1-5/recommendations?k=3');
    assert.equal(plain.body.items[0]!.explain, undefined);
  });

  test('a stage over its time budget is skipped: the fallback answers, degraded, counted', async () => {
    await kindred.client.put('/v1/scenarios/hurried', {
      sources: [{ name: 'cf', budget: 50, weight: 1 }],
      fallback: ['trending'],
      budgets: { retrieveMs: 0 },
    });
    const answer = await get<Answer>('/v1/users/u2-2/recommendations?k=5&scenario=hurried');
    assert.equal(answer.status, 200);
    assert.equal(answer.body.degraded, true);
    assert.match(answer.body.reasons!.join(), /retrieve: cf ran over the 0 ms budget/);
    const trending = await get<Answer>('/v1/trending?k=30');
    const seen = new Set(data.events.filter((e) => e.userId === 'u2-2').map((e) => e.itemId));
    assert.deepEqual(
      ids(answer.body),
      ids(trending.body)
        .filter((id) => !seen.has(id))
        .slice(0, 5),
    );
    const healthy = await get<Answer>('/v1/users/u2-2/recommendations?k=5');
    assert.equal(healthy.body.degraded, undefined);
    const metrics = await (await fetch(`${kindred.url}/metrics`)).text();
    assert.match(metrics, /kindred_serving_degraded_total\{stage="retrieve"\} [1-9]/);
  });

  test('similar items, anonymous sessions and trending through the same stages', async () => {
    const similar = await kindred.client.post<Answer>('/v1/items/i2-3/similar', {
      k: 5,
      exclude: ['i2-4'],
    });
    assert.equal(similar.status, 200, similar.text);
    assert.ok(!ids(similar.body).includes('i2-3') && !ids(similar.body).includes('i2-4'));
    assert.ok(ids(similar.body).filter((id) => data.blockOfItem(id) === 2).length >= 4);

    const session = await kindred.client.post<Answer>('/v1/sessions/recommendations', {
      items: ['i3-1', 'i3-2', 'i3-5'],
      k: 8,
    });
    assert.equal(session.status, 200, session.text);
    assert.ok(!ids(session.body).some((id) => ['i3-1', 'i3-2', 'i3-5'].includes(id)));
    assert.ok(ids(session.body).filter((id) => data.blockOfItem(id) === 3).length >= 6);
    const next = await kindred.client.post<Answer>('/v1/sessions/recommendations', {
      items: ['i3-1', 'i3-2', 'i3-5'],
      k: 8,
      recommendationId: session.body.recommendationId,
    });
    assert.equal(next.status, 200, next.text);
    assert.ok(!ids(next.body).some((id) => ids(session.body).includes(id)));

    const trending = await kindred.client.post<Answer>('/v1/trending', { k: 5 });
    assert.equal(trending.status, 200);
    assert.equal(trending.body.items[0]!.score, 1);
    const viaGet = await get<Answer>('/v1/trending?k=5');
    assert.deepEqual(ids(trending.body), ids(viaGet.body));
  });
});
