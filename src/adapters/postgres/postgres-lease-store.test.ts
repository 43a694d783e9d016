import { test } from 'node:test';
import { runLeaseStoreContract } from '../../../test/support/lease-store.contract.js';
import { freshSchema, postgresUnavailable } from '../../../test/support/postgres.js';
import { PostgresLeaseStore } from './postgres-lease-store.js';

const unavailable = await postgresUnavailable();

if (unavailable !== undefined) {
  test('PostgresLeaseStore', { skip: unavailable }, () => undefined);
} else {
  runLeaseStoreContract('PostgresLeaseStore (two pools)', async () => {
    const schema = freshSchema('kt_lease');
    const opened = [new PostgresLeaseStore({ url: schema.url })];
    return {
      store: opened[0]!,
      other: async () => {
        const store = new PostgresLeaseStore({ url: schema.url });
        opened.push(store);
        return store;
      },
      cleanup: async () => {
        await Promise.all(opened.map((store) => store.close()));
        await schema.drop();
      },
    };
  });
}
