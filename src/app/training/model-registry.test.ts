import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStateStore } from '../../adapters/memory/memory-state-store.js';
import { ModelRegistry, type ModelRecord } from './model-registry.js';

const record = (version: string): ModelRecord =>
  ({ version, createdAt: new Date(0).toISOString() }) as unknown as ModelRecord;

test('racing trainers sharing a store are each given a version of their own', async () => {
  const store = new MemoryStateStore();
  const trainers = [new ModelRegistry(store), new ModelRegistry(store)];
  const versions = await Promise.all(
    Array.from({ length: 10 }, (_, n) => trainers[n % 2]!.nextVersion()),
  );
  assert.equal(new Set(versions).size, 10);
  assert.deepEqual(
    [...versions].sort(),
    Array.from({ length: 10 }, (_, n) => `v${String(n + 1).padStart(6, '0')}`),
  );
});

test('a version reserved by a training that never stored it is not given again', async () => {
  const registry = new ModelRegistry(new MemoryStateStore());
  const first = await registry.nextVersion();
  await registry.put(record(first), new Uint8Array([1]));
  const failed = await registry.nextVersion();
  assert.equal(failed, 'v000002');
  assert.equal(await registry.nextVersion(), 'v000003');
});

test('an older version finishing late does not replace a newer active one; a rollback does', async () => {
  const registry = new ModelRegistry(new MemoryStateStore());
  assert.equal(await registry.setActive('v000003', 'trained'), true);
  assert.equal(await registry.setActive('v000002', 'trained'), false);
  assert.equal((await registry.active())?.version, 'v000003');
  assert.equal(await registry.setActive('v000002', 'rollback'), true);
  assert.equal((await registry.active())?.version, 'v000002');
  assert.equal(await registry.setActive('v000004', 'trained'), true);
  assert.equal((await registry.active())?.reason, 'trained');
});
