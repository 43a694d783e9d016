import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InteractionTypes } from '../domain/interaction.js';
import type { StoredEvent } from '../events/envelope.js';
import { EventTypes } from '../events/event-types.js';
import { ReadModels } from './read-models.js';
import { decodeSnapshot, detachSnapshot, encodeSnapshot } from './snapshot-codec.js';

let offset = 0;
function event(kind: { type: string; version: number }, payload: unknown): StoredEvent {
  offset++;
  return {
    offset,
    id: `e${offset}`,
    type: kind.type,
    version: kind.version,
    occurredAt: 1_700_000_000_000 + offset * 1000,
    receivedAt: 1_700_000_000_000 + offset * 1000,
    partitionKey: 'k',
    payload,
    metadata: {},
  };
}

function interactions(from: number, count: number, users: number): StoredEvent[] {
  return Array.from({ length: count }, (_, i) =>
    event(EventTypes.interactionRecorded, {
      userId: `u${(from + i) % users}`,
      itemId: `i${((from + i) * 7) % 60}`,
      type: (from + i) % 3 === 0 ? 'rating' : 'click',
      ...((from + i) % 3 === 0 ? { value: ((from + i) % 5) + 1 } : {}),
    }),
  );
}

/** What a read gives, with buffers of `limit` entries. */
function read(models: ReadModels, userId: string, limit = 1000): [number, number, number][] {
  const user = models.users.ids.indexOf(userId);
  if (user === undefined) return [];
  const items = new Int32Array(limit);
  const types = new Uint8Array(limit);
  const values = new Float64Array(limit);
  const count = models.histories.readRecent(user, items, types, values);
  return Array.from({ length: count }, (_, i) => [items[i]!, types[i]!, values[i]!]);
}

function drain(steps: Generator<void, void, void>): number {
  let yields = 0;
  while (steps.next().done !== true) yields++;
  return yields;
}

test('packed histories read exactly as the chains, before and after rows are added', () => {
  const models = new ReadModels(new InteractionTypes());
  models.apply(interactions(0, 3000, 40));
  const users = Array.from({ length: 41 }, (_, u) => `u${u}`);
  const unpacked = users.map((user) => read(models, user));
  assert.equal(models.histories.unpackedRows, 3000);

  drain(models.histories.pack());
  assert.equal(models.histories.unpackedRows, 0);
  assert.deepEqual(
    users.map((user) => read(models, user)),
    unpacked,
  );
  // Buffers shorter than a history: the newest entries, as before.
  for (const limit of [1, 5, 74, 75, 76])
    assert.deepEqual(read(models, 'u3', limit), unpacked[3]!.slice(0, limit), `limit ${limit}`);

  // Rows added after the pack come first, then the packed run.
  const reference = new ReadModels(new InteractionTypes());
  reference.apply(interactions(0, 3000, 40));
  const more = interactions(3000, 500, 45);
  models.apply(more);
  reference.apply(more);
  assert.equal(models.histories.unpackedRows, 500);
  const all = Array.from({ length: 46 }, (_, u) => `u${u}`);
  for (const user of all) assert.deepEqual(read(models, user), read(reference, user), user);
  for (const limit of [1, 10, 12, 13, 14, 90])
    assert.deepEqual(read(models, 'u7', limit), read(reference, 'u7', limit), `limit ${limit}`);
  // Packed again: the same.
  drain(models.histories.pack());
  for (const user of all) assert.deepEqual(read(models, user), read(reference, user), user);
});

test('an erased user stays erased in the packed runs, also when erased during a pack', () => {
  const models = new ReadModels(new InteractionTypes());
  models.apply(interactions(0, 2000, 20));
  drain(models.histories.pack());
  models.apply([event(EventTypes.userDeleted, { id: 'u4' })]);
  assert.deepEqual(read(models, 'u4'), []);

  const steps = models.histories.pack();
  steps.next();
  models.apply([event(EventTypes.userDeleted, { id: 'u5' })]);
  drain(steps);
  assert.deepEqual(read(models, 'u5'), []);
  // No trace left in the runs either: u4 was left out of them (erased before), and u5's
  // run, copied before the erasure, was blanked.
  const runs = (models.histories as unknown as { packed: { items: Int32Array } }).packed;
  const items = [...runs.items];
  assert.equal(items.length, 2000 - 100);
  assert.equal(items.filter((item) => item === -1).length, 100);
  // A returning user id starts a new history.
  models.apply([
    event(EventTypes.interactionRecorded, { userId: 'u5', itemId: 'i1', type: 'click' }),
  ]);
  assert.equal(read(models, 'u5').length, 1);
});

test('pack yields between slices of rows', () => {
  const models = new ReadModels(new InteractionTypes());
  models.apply(interactions(0, 200_000, 1000));
  assert.ok(drain(models.histories.pack()) >= 6);
});

test('a snapshot shares the rows, and an erasure after it leaves what it holds unchanged', () => {
  const models = new ReadModels(new InteractionTypes());
  models.apply(interactions(0, 3000, 30));
  const checksum = models.checksum();
  const taken = models.snapshot();
  // As the engine encodes it: other projections' states copied, this one as it is.
  const detached = detachSnapshot(taken);
  assert.equal(detached.states['histories'], taken.states['histories']);
  const expected = encodeSnapshot(detached);
  // Erasure writes over existing rows; more interactions grow the arrays and the heads.
  models.apply([event(EventTypes.userDeleted, { id: 'u7' })]);
  models.apply(interactions(3000, 5000, 40));
  models.apply([event(EventTypes.userDeleted, { id: 'u8' })]);
  assert.deepEqual(encodeSnapshot(detached), expected);
  assert.deepEqual(read(models, 'u8'), []);

  // Restored, it reads as the models did when it was taken.
  const restored = new ReadModels(new InteractionTypes());
  assert.ok(restored.restore(decodeSnapshot(expected)));
  assert.equal(restored.checksum(), checksum);
});
