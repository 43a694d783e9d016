// SIGTERM during load: a real `kindred serve` takes writes from busy clients and from
// clients whose uploads are still trickling in when SIGTERM arrives. The server must let
// those in-flight requests finish (their events acknowledged), refuse new work cleanly
// (503 NOT_READY, or the connection refused once it stopped listening), cut an upload
// that never ends after the drain timeout, write its final snapshot and exit 0. After a
// restart every acknowledged event is in the log, at the offset it was acknowledged with.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  JsonClient,
  ServerProcess,
  isConnectionError,
  makeDataDir,
} from './support/server-process.js';

const dataDir = makeDataDir('kindred-sigterm-');
const servers: ServerProcess[] = [];
after(async () => {
  for (const server of servers) {
    server.kill('SIGKILL');
    await server.waitForExit(5_000).catch(() => undefined);
  }
  dataDir.remove();
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface EventsAnswer {
  results: Array<{ id: string; offset: number; status: string }>;
}

/** A POST whose body arrives in pieces over `spreadMs`: in flight across the SIGTERM. */
function slowUpload(
  url: string,
  body: string,
  spreadMs: number,
  pieces: number,
): { done: Promise<{ status: number; text: string }>; abort(): void } {
  const target = new URL(url);
  const request = http.request({
    hostname: target.hostname,
    port: target.port,
    method: 'POST',
    path: '/v1/events',
    headers: {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
    },
    agent: false,
  });
  const done = new Promise<{ status: number; text: string }>((resolve, reject) => {
    request.on('response', (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () =>
        response.complete
          ? resolve({ status: response.statusCode ?? 0, text })
          : reject(new Error('incomplete response')),
      );
      response.on('error', reject);
    });
    request.on('error', reject);
  });
  let stopped = false;
  if (!Number.isFinite(spreadMs)) {
    request.write(body.slice(0, Math.floor(body.length / 2))); // and never the rest
    return { done, abort: () => request.destroy() };
  }
  void (async () => {
    const size = Math.ceil(body.length / pieces);
    for (let i = 0; i < pieces && !stopped; i++) {
      request.write(body.slice(i * size, (i + 1) * size));
      await sleep(spreadMs / pieces);
    }
    if (!stopped) request.end();
  })();
  return { done, abort: () => ((stopped = true), request.destroy()) };
}

test(
  'SIGTERM under load: in-flight requests finish, nothing acknowledged is lost',
  { timeout: 120_000 },
  async (t) => {
    // The delay guard is off: on a busy test machine it could shed a write, and this test is
    // about draining (test/overload.test.ts is about shedding).
    const env = {
      KINDRED_DRAIN_TIMEOUT_MS: '4000',
      KINDRED_LOG_LEVEL: 'info',
      KINDRED_MAX_EVENT_LOOP_DELAY_MS: '0',
    };
    const server = await ServerProcess.start({ dataDir: dataDir.path, env });
    servers.push(server);
    const acked = new Map<string, number>();
    const outcomes = {
      acked: 0,
      notReady: 0,
      refused: 0,
      resetBeforeAnswer: 0,
      other: [] as string[],
    };
    let stopWriters = false;
    let sequence = 0;

    const writer = async (index: number): Promise<void> => {
      const client = new JsonClient(server.url, { maxSockets: 1, timeoutMs: 20_000 });
      while (!stopWriters) {
        const size = index % 2 === 0 ? 1 : 50;
        const events = Array.from({ length: size }, (_, i) => ({
          id: `w${index}-${sequence++}-${i}`,
          type: 'view',
          userId: `user-${i % 40}`,
          itemId: `item-${(sequence + i) % 300}`,
        }));
        try {
          const answer = await client.post<EventsAnswer & { id: string; offset: number }>(
            '/v1/events',
            size === 1 ? events[0] : { events },
          );
          if (answer.status === 200 || answer.status === 201) {
            outcomes.acked++;
            if (size === 1) acked.set(answer.body.id, answer.body.offset);
            else for (const row of answer.body.results) acked.set(row.id, row.offset);
          } else if (answer.status === 503 && answer.text.includes('"NOT_READY"'))
            outcomes.notReady++;
          else outcomes.other.push(`${answer.status} ${answer.text.slice(0, 200)}`);
        } catch (error) {
          const code = (error as { code?: string }).code;
          if (code === 'ECONNREFUSED') outcomes.refused++;
          else if (isConnectionError(error) && !/incomplete/.test((error as Error).message))
            outcomes.resetBeforeAnswer++;
          else outcomes.other.push(String(error));
          if (code === 'ECONNREFUSED') break;
        }
      }
      client.close();
    };

    const writers = Array.from({ length: 6 }, (_, i) => writer(i));
    await sleep(1500);
    const ackedBeforeSignal = acked.size;

    // Uploads in flight across the SIGTERM: headers and part of the body are in, the rest
    // arrives after the signal.
    const slow = Array.from({ length: 4 }, (_, s) => {
      const events = Array.from({ length: 200 }, (_, i) => ({
        id: `slow${s}-${i}`,
        type: 'click',
        userId: `slow-${s}`,
        itemId: `item-${i}`,
      }));
      return slowUpload(server.url, JSON.stringify({ events }), 1200, 12);
    });
    // One upload that never ends: the drain timeout must cut it.
    const stuck = slowUpload(
      server.url,
      JSON.stringify({ events: [{ id: 'stuck', type: 'view', userId: 'u', itemId: 'i' }] }),
      Infinity,
      4,
    );
    await sleep(400);
    const signalled = performance.now();
    server.kill('SIGTERM');

    const slowAnswers = await Promise.all(
      slow.map((s) => s.done.catch((error: unknown) => ({ status: -1, text: String(error) }))),
    );
    const stuckAnswer = await stuck.done.catch((error: unknown) => ({
      status: -1,
      text: String(error),
    }));
    const exit = await server.waitForExit(20_000);
    const exitMs = performance.now() - signalled;
    stopWriters = true;
    await Promise.all(writers);

    for (const [s, answer] of slowAnswers.entries()) {
      assert.equal(answer.status, 200, `slow upload ${s}: ${answer.text.slice(0, 200)}`);
      for (const row of (JSON.parse(answer.text) as EventsAnswer).results)
        acked.set(row.id, row.offset);
    }
    assert.equal(
      stuckAnswer.status,
      -1,
      `the never-ending upload was cut, not acknowledged: ${stuckAnswer.text.slice(0, 300)}`,
    );
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.ok(exitMs < 4000 + 5000, `exited ${Math.round(exitMs)} ms after SIGTERM`);
    assert.deepEqual(outcomes.other, []);
    const messages = server.logs.map((line) => line.msg);
    for (const expected of [
      'shutting down',
      'draining',
      'drain timeout: closing the connections still open',
      'snapshot written',
      'stopped',
    ])
      assert.ok(messages.includes(expected), `log "${expected}"`);
    t.diagnostic(
      `acked ${acked.size} events (${ackedBeforeSignal} before SIGTERM) in ${outcomes.acked} requests; refused after SIGTERM: ` +
        `${outcomes.notReady} x 503 NOT_READY, ${outcomes.refused} x connection refused, ${outcomes.resetBeforeAnswer} x closed before an answer; ` +
        `4 uploads in flight at SIGTERM all acknowledged; exit 0 after ${Math.round(exitMs)} ms`,
    );

    // Every acknowledged event is in the log at its acknowledged offset, and a restart serves it.
    const log = new Database(join(dataDir.path, 'events.db'), {
      readonly: true,
      fileMustExist: true,
    });
    // One pass over the log's `events` view (it unpacks segments: no lookup by id).
    const offsetById = new Map(
      log
        .prepare<[], [number, string]>('SELECT "offset", id FROM events')
        .raw()
        .all()
        .map(([offset, id]) => [id, offset]),
    );
    const missing = [...acked].filter(([id, offset]) => offsetById.get(id) !== offset);
    log.close();
    assert.deepEqual(
      missing.slice(0, 5),
      [],
      `${missing.length} acknowledged events missing or moved`,
    );
    const restarted = await ServerProcess.start({ dataDir: dataDir.path, env });
    servers.push(restarted);
    assert.ok(
      restarted.logs.some((line) => line.msg === 'snapshot restored'),
      'the final snapshot was used',
    );
    const client = new JsonClient(restarted.url);
    const history = await client.get<{ interactions: unknown[] }>(
      '/v1/users/slow-0/interactions?limit=1000',
    );
    assert.equal(history.body.interactions.length, 200);
    client.close();
    await restarted.stop();
  },
);
