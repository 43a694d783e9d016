import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_POLICY, ROUTE_POLICIES, policyFor } from './route-policy.js';
import { SCOPES } from './scopes.js';

test('HEAD follows GET; unlisted routes get admin in the admin pool', () => {
  assert.deepEqual(policyFor('HEAD', '/v1/items/:id'), policyFor('GET', '/v1/items/:id'));
  assert.deepEqual(policyFor('GET', '/v1/not-a-route'), DEFAULT_POLICY);
  assert.equal(DEFAULT_POLICY.scope, 'admin');
});

test('every entry names a known scope and pool', () => {
  for (const [route, policy] of Object.entries(ROUTE_POLICIES)) {
    assert.match(route, /^(GET|POST|PUT|PATCH|DELETE|OPTIONS) \//);
    assert.ok(
      policy.scope === 'public' || (SCOPES as readonly string[]).includes(policy.scope),
      route,
    );
  }
});
