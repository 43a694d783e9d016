import { join } from 'node:path';
import { runLeaseStoreContract } from '../../../test/support/lease-store.contract.js';
import { makeTempDirectory } from '../../../test/support/temp-directory.js';
import { SqliteLeaseStore } from './sqlite-lease-store.js';

runLeaseStoreContract('SqliteLeaseStore (two connections to one file)', async () => {
  const directory = await makeTempDirectory();
  const path = join(directory.path, 'state.db');
  const opened = [new SqliteLeaseStore(path)];
  return {
    store: opened[0]!,
    other: async () => {
      const store = new SqliteLeaseStore(path);
      opened.push(store);
      return store;
    },
    cleanup: async () => {
      await Promise.all(opened.map((store) => store.close()));
      await directory.remove();
    },
  };
});
