// Every route has a deadline (overload.handlerTimeoutMs): past it the client gets 503
// REQUEST_TIMEOUT from the catalog, and the slot it held in its pool is given back.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildStagedApp, type StagedApp } from './support/staged-app.js';

let staged: StagedApp;
before(async () => {
  staged = await buildStagedApp({ env: { KINDRED_HANDLER_TIMEOUT_MS: '100' } });
});
after(() => staged.close());

test('a request past its deadline answers 503 REQUEST_TIMEOUT', async () => {
  const started = performance.now();
  const slow = await staged.app.inject({
    method: 'GET',
    url: '/v1/test/recommendations/u?work=0&sleep=400',
  });
  const ms = performance.now() - started;
  assert.equal(slow.statusCode, 503);
  assert.equal(JSON.parse(slow.body).error.code, 'REQUEST_TIMEOUT');
  assert.ok(ms < 350, `answered after ${Math.round(ms)} ms`);
  const fast = await staged.app.inject({
    method: 'GET',
    url: '/v1/test/recommendations/u?work=0&sleep=10',
  });
  assert.equal(fast.statusCode, 200);
  await new Promise((resolve) => setTimeout(resolve, 400)); // let the slow handler finish
  assert.equal(staged.gateway.shedder.inFlightOf('read'), 0, 'slots given back');
});
