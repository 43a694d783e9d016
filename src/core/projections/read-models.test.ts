import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InteractionTypes } from '../domain/interaction.js';
import type { StoredEvent } from '../events/envelope.js';
import { EventTypes } from '../events/event-types.js';
import { ReadModels } from './read-models.js';
import { decodeSnapshot, encodeSnapshot } from './snapshot-codec.js';

function workload(): StoredEvent[] {
  const events: StoredEvent[] = [];
  const push = (
    kind: { type: string; version: number },
    key: string,
    payload: unknown,
    at: number,
  ): void => {
    events.push({
      offset: events.length + 1,
      id: `e${events.length}`,
      type: kind.type,
      version: kind.version,
      occurredAt: at,
      receivedAt: at,
      partitionKey: key,
      payload,
      metadata: {},
    });
  };
  for (let i = 0; i < 50; i++)
    push(
      EventTypes.itemUpserted,
      `i${i}`,
      {
        item: { id: `i${i}`, title: `Item ${i}`, categories: [`c${i % 5}`], attributes: { n: i } },
      },
      1000 + i,
    );
  for (let i = 0; i < 2000; i++) {
    push(
      EventTypes.interactionRecorded,
      `u${i % 40}`,
      {
        userId: `u${i % 40}`,
        itemId: `i${(i * 7) % 60}`,
        type: i % 3 === 0 ? 'rating' : 'click',
        ...(i % 3 === 0 ? { value: (i % 5) + 1 } : {}),
      },
      1_700_000_000_000 + i * 1000,
    );
  }
  push(EventTypes.itemPatched, 'i3', { id: 'i3', patch: { hidden: true } }, 5000);
  push(EventTypes.itemDeleted, 'i4', { id: 'i4' }, 5001);
  push(EventTypes.userUpserted, 'u1', { user: { id: 'u1', attributes: { plan: 'pro' } } }, 5002);
  push(EventTypes.userDeleted, 'u2', { id: 'u2' }, 5003);
  return events;
}

test('snapshot + restore reproduces the state exactly, and so does replay in any batching', () => {
  const types = new InteractionTypes();
  const events = workload();
  const whole = new ReadModels(types);
  whole.apply(events);

  const batched = new ReadModels(types);
  for (let i = 0; i < events.length; i += 37) batched.apply(events.slice(i, i + 37));
  assert.equal(batched.checksum(), whole.checksum());

  const half = new ReadModels(types);
  half.apply(events.slice(0, 1000));
  const restored = new ReadModels(types);
  assert.ok(restored.restore(decodeSnapshot(encodeSnapshot(half.snapshot()))));
  assert.equal(restored.checkpoint, 1000);
  restored.apply(events);
  assert.equal(restored.checksum(), whole.checksum());
  assert.equal(restored.users.get('u2'), undefined);
  assert.equal(restored.catalog.get('i4'), undefined);
  assert.equal(restored.catalog.get('i3')?.hidden, true);
});

test('a snapshot made under other interaction types is refused', () => {
  const models = new ReadModels(new InteractionTypes());
  models.apply(workload().slice(0, 10));
  const other = new ReadModels(new InteractionTypes({ click: { weight: 1 } }));
  assert.equal(other.restore(decodeSnapshot(encodeSnapshot(models.snapshot()))), false);
  assert.equal(other.checkpoint, 0);
});

test('events at or before the checkpoint are skipped', () => {
  const models = new ReadModels(new InteractionTypes());
  const events = workload();
  models.apply(events.slice(0, 100));
  const before = models.checksum();
  assert.equal(models.apply(events.slice(50, 100)), 0);
  assert.equal(models.checksum(), before);
});
