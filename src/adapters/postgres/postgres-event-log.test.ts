import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { StoredEvent } from '../../core/events/envelope.js';
import { runEventLogContract } from '../../../test/support/event-log.contract.js';
import { freshSchema, postgresUnavailable } from '../../../test/support/postgres.js';
import { PostgresEventLog } from './postgres-event-log.js';

const unavailable = await postgresUnavailable();

if (unavailable !== undefined) {
  test('PostgresEventLog', { skip: unavailable }, () => undefined);
} else {
  runEventLogContract('PostgresEventLog', async () => {
    const schema = freshSchema('kt_log');
    const opened = [new PostgresEventLog({ url: schema.url })];
    return {
      log: opened[0]!,
      reopen: async () => {
        const log = new PostgresEventLog({ url: schema.url });
        opened.push(log);
        return log;
      },
      cleanup: async () => {
        await Promise.all(opened.map((log) => log.close()));
        await schema.drop();
      },
    };
  });

  test('appends from two processes at once: a follower sees every position once, in order, none skipped', async () => {
    const schema = freshSchema('kt_race');
    const log = new PostgresEventLog({ url: schema.url, pollIntervalMs: 5 });
    const BATCHES = 150;
    const PER_BATCH = 4;
    const seen: StoredEvent[] = [];
    // Reads as fast as it can while the writers race: a position handed out before an
    // earlier one committed would be read past and never delivered.
    const subscription = log.subscribe(0, (batch) => {
      seen.push(...batch);
    });
    try {
      await log.lastOffset();
      const moduleUrl = new URL('./postgres-event-log.js', import.meta.url).href;
      const writer = (name: string): Promise<void> =>
        new Promise((resolve, reject) => {
          const child = spawn(
            process.execPath,
            [
              '--input-type=module',
              '-e',
              `const { PostgresEventLog } = await import(${JSON.stringify(moduleUrl)});
               const log = new PostgresEventLog({ url: ${JSON.stringify(schema.url)} });
               const pending = [];
               for (let b = 0; b < ${BATCHES}; b++) {
                 const events = Array.from({ length: ${PER_BATCH} }, (_, i) => ({
                   id: '${name}-' + b + '-' + i, type: 'interaction.recorded', version: 1,
                   occurredAt: 1, receivedAt: 1, partitionKey: '${name}', payload: { b, i }, metadata: {},
                 }));
                 pending.push(log.append(events));
                 if (pending.length === 3) await pending.shift();
               }
               await Promise.all(pending);
               await log.close();`,
            ],
            { stdio: ['ignore', 'inherit', 'inherit'] },
          );
          child.on('error', reject);
          child.on('exit', (code) =>
            code === 0 ? resolve() : reject(new Error(`writer ${name} exited with ${code}`)),
          );
        });
      await Promise.all([writer('a'), writer('b')]);
      const total = 2 * BATCHES * PER_BATCH;
      assert.equal(await log.lastOffset(), total);
      const deadline = Date.now() + 10_000;
      while (seen.length < total && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal(seen.length, total);
      seen.forEach((event, index) => assert.equal(event.offset, index + 1));
      assert.equal(new Set(seen.map((event) => event.id)).size, total);
      // Each writer's batches keep their order in the log.
      for (const name of ['a', 'b']) {
        const mine = seen.filter((event) => event.partitionKey === name).map((event) => event.id);
        const expected = Array.from(
          { length: BATCHES * PER_BATCH },
          (_, n) => `${name}-${Math.floor(n / PER_BATCH)}-${n % PER_BATCH}`,
        );
        assert.deepEqual(mine, expected);
      }
    } finally {
      await subscription.close();
      await log.close();
      await schema.drop();
    }
  });
}
