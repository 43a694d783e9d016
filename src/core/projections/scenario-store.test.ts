import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StoredEvent } from '../events/envelope.js';
import { EventTypes } from '../events/event-types.js';
import { InteractionTypes } from '../domain/interaction.js';
import { BUILT_IN_DEFAULT } from '../domain/scenario.js';
import { ReadModels } from './read-models.js';

let offset = 0;
function event(type: { type: string; version: number }, payload: unknown): StoredEvent {
  offset++;
  return {
    id: `e${offset}`,
    type: type.type,
    version: type.version,
    occurredAt: 1_700_000_000_000 + offset,
    receivedAt: 1_700_000_000_000 + offset,
    partitionKey: 'scenarios',
    payload,
    metadata: {},
    offset,
  };
}

const home = {
  sources: [{ name: 'cf' as const, budget: 50, weight: 1 }],
  fallback: ['trending' as const],
  filter: 'price < 10',
};

test('scenarios come back the same from a replay and from a snapshot', () => {
  const events = [
    event(EventTypes.scenarioSaved, { name: 'home', version: 1, config: home }),
    event(EventTypes.scenarioSaved, {
      name: 'home',
      version: 2,
      config: { ...home, ranker: true },
    }),
    event(EventTypes.scenarioSaved, { name: 'cart', version: 1, config: home }),
    event(EventTypes.scenarioDeleted, { name: 'cart' }),
  ];
  const live = new ReadModels(new InteractionTypes());
  const changed: string[] = [];
  live.scenarios.onChange((name) => changed.push(name));
  live.apply(events);
  assert.deepEqual(changed, ['home', 'home', 'cart', 'cart']);
  assert.equal(live.scenarios.get('home')?.version, 2);
  assert.equal(live.scenarios.get('home')?.config.ranker, true);
  assert.equal(live.scenarios.get('cart'), undefined);
  assert.equal(live.scenarios.nextVersion('cart'), 2, 'versions never repeat after a delete');
  assert.deepEqual(
    live.scenarios.list().map((s) => s.name),
    ['default', 'home'],
  );
  assert.deepEqual(live.scenarios.get('default')?.config, BUILT_IN_DEFAULT);

  const replayed = new ReadModels(new InteractionTypes());
  replayed.apply(events);
  assert.equal(replayed.checksum(), live.checksum());

  const restored = new ReadModels(new InteractionTypes());
  assert.ok(restored.restore(live.snapshot()));
  assert.deepEqual(restored.scenarios.list(), live.scenarios.list());
  assert.equal(restored.scenarios.nextVersion('cart'), 2);
  assert.equal(restored.checksum(), live.checksum());
});
