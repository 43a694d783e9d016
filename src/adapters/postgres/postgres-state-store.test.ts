import { test } from 'node:test';
import { runStateStoreContract } from '../../../test/support/state-store.contract.js';
import { freshSchema, postgresUnavailable } from '../../../test/support/postgres.js';
import { PostgresStateStore } from './postgres-state-store.js';

const unavailable = await postgresUnavailable();

if (unavailable !== undefined) {
  test('PostgresStateStore', { skip: unavailable }, () => undefined);
} else {
  runStateStoreContract('PostgresStateStore', async () => {
    const schema = freshSchema('kt_state');
    const opened = [new PostgresStateStore({ url: schema.url })];
    return {
      store: opened[0]!,
      reopen: async () => {
        const store = new PostgresStateStore({ url: schema.url });
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
