// Two API processes with KINDRED_SHARED_STATE on the same Redis: one rate limit holds
// across both (here the per-address limit on failed authentications, which needs no key
// shared between them); without it, each process would let its own burst through.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { TEST_REDIS_URL, redisUnavailable } from './support/redis.js';
import { ServerProcess, makeDataDir } from './support/server-process.js';

const unavailable = await redisUnavailable();

test(
  'one rate limit across two API nodes sharing Redis',
  { skip: unavailable ?? false, timeout: 120_000 },
  async () => {
    const dir = makeDataDir('kindred-shared-limit-');
    const prefix = `kt-${process.pid}-${Date.now().toString(36)}`;
    const servers: ServerProcess[] = [];
    after(async () => {
      await Promise.all(servers.map((server) => server.stop().catch(() => undefined)));
      dir.remove();
    });
    const env = {
      KINDRED_MASTER_KEY: 'shared-limit-master-0123456789',
      KINDRED_SHARED_STATE: `${TEST_REDIS_URL}?prefix=${prefix}`,
      KINDRED_RATE_LIMIT_PER_ADDRESS: '0.05',
      KINDRED_RATE_LIMIT_PER_ADDRESS_BURST: '6',
      KINDRED_TRAINING_ON_START: 'false',
    };
    for (const name of ['a', 'b'])
      servers.push(await ServerProcess.start({ dataDir: join(dir.path, name), env }));
    const statuses: number[] = [];
    for (let n = 0; n < 14; n++) {
      const answer = await fetch(`${servers[n % 2]!.url}/v1/items?limit=1`);
      statuses.push(answer.status);
    }
    // Six failed authentications in all, three on each node, then both refuse.
    assert.deepEqual(statuses, [...Array<number>(6).fill(401), ...Array<number>(8).fill(429)]);
  },
);
