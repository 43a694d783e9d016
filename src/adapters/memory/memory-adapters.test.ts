import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runEventLogContract } from '../../../test/support/event-log.contract.js';
import { runStateStoreContract } from '../../../test/support/state-store.contract.js';
import { runLeaseStoreContract } from '../../../test/support/lease-store.contract.js';
import { MemoryLeaseStore } from './memory-lease-store.js';
import { MemoryEventLog } from './memory-event-log.js';
import { MemoryStateStore, compareBytewise } from './memory-state-store.js';

runEventLogContract('MemoryEventLog', async () => {
  const log = new MemoryEventLog();
  return { log, cleanup: () => log.close() };
});

runStateStoreContract('MemoryStateStore', async () => {
  const store = new MemoryStateStore();
  return { store, cleanup: () => store.close() };
});

runLeaseStoreContract('MemoryLeaseStore', async () => {
  const store = new MemoryLeaseStore();
  return { store, cleanup: () => store.close() };
});

test('compareBytewise agrees with comparing UTF-8 bytes', () => {
  const samples = [
    '',
    'a',
    'ab',
    'b',
    'Z',
    'é',
    '\uffff',
    '\u{10000}',
    '\u{10ffff}',
    'a\u{10000}',
    'a\uffff',
  ];
  for (const left of samples) {
    for (const right of samples) {
      const expected = Math.sign(Buffer.compare(Buffer.from(left), Buffer.from(right)));
      assert.equal(Math.sign(compareBytewise(left, right)), expected, `${left} vs ${right}`);
    }
  }
});
