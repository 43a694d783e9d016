import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UpcasterRegistry } from './upcasters.js';
import type { StoredEvent } from './envelope.js';

function stored(version: number, payload: unknown): StoredEvent {
  return {
    offset: 1,
    id: 'e',
    type: 'thing.happened',
    version,
    occurredAt: 0,
    receivedAt: 0,
    partitionKey: 'k',
    payload,
    metadata: {},
  };
}

test('old payload versions are upcast step by step to the latest', () => {
  const registry = new UpcasterRegistry()
    .register('thing.happened', 1, (p) => ({
      ...(p as object),
      renamed: (p as { old: string }).old,
    }))
    .register('thing.happened', 2, (p) => ({ ...(p as object), added: true }));
  assert.equal(registry.latestVersion('thing.happened'), 3);
  const fromV1 = registry.upcast(stored(1, { old: 'x' }));
  assert.equal(fromV1.version, 3);
  assert.deepEqual(fromV1.payload, { old: 'x', renamed: 'x', added: true });
  const fromV2 = registry.upcast(stored(2, { renamed: 'y' }));
  assert.deepEqual(fromV2.payload, { renamed: 'y', added: true });
  const current = stored(3, { renamed: 'z', added: true });
  assert.equal(registry.upcast(current), current, 'current events pass through untouched');
});
