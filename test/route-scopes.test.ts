// Every route of the real app has an explicit scope and pool: listed in
// src/gateway/route-policy.ts (or declared in its own options). A new route fails this
// test until someone decides who may call it; until then it requires `admin`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startInProcess, type InProcessEngine } from './support/in-process.js';

let kindred: InProcessEngine;
before(async () => {
  kindred = await startInProcess({ KINDRED_MASTER_KEY: 'route-scopes-master-key' });
});
after(() => kindred.close());

/** (method, path) pairs from Fastify's route tree, e.g. "GET /v1/items/:id". */
function routesFromTree(tree: string): Set<string> {
  const found = new Set<string>();
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const match = /^((?:[│ ] {3})*)[├└]── (\S+)(?: \(([^)]+)\))?$/.exec(line);
    if (!match) continue;
    const depth = (match[1] as string).length / 4;
    stack.length = depth;
    stack.push((match[2] as string) === '*' ? '/*' : (match[2] as string));
    const path = stack.join('');
    for (const method of (match[3] ?? '')
      .split(',')
      .map((m) => m.trim())
      .filter(Boolean))
      found.add(`${method} ${path}`);
  }
  return found;
}

test('every registered route has an explicit scope and pool', () => {
  const routes = kindred.app.kindredGateway.routes();
  const unlisted = routes.filter((r) => !r.explicit).map((r) => `${r.method} ${r.url}`);
  assert.deepEqual(
    unlisted,
    [],
    `add these to ROUTE_POLICIES in src/gateway/route-policy.ts (or declare config.policy): ${unlisted.join(', ')}`,
  );
  const known = new Set(routes.map((r) => `${r.method} ${r.url}`));
  const tree = routesFromTree(kindred.app.printRoutes({ commonPrefix: false }));
  assert.ok(tree.size >= routes.length, `parsed ${tree.size} routes from printRoutes`);
  const missed = [...tree].filter((r) => !known.has(r));
  assert.deepEqual(missed, [], `routes registered before registerGateway: ${missed.join(', ')}`);
});

test('every path of the OpenAPI document is covered with the same scope', async () => {
  const response = await kindred.app.inject({ method: 'GET', url: '/openapi.json' });
  const doc = JSON.parse(response.body) as { paths: Record<string, Record<string, unknown>> };
  const routes = new Map(
    kindred.app.kindredGateway.routes().map((r) => [`${r.method} ${r.url}`, r]),
  );
  let checked = 0;
  for (const [path, operations] of Object.entries(doc.paths)) {
    const url = path.replace(/\{([^}]+)\}/g, ':$1');
    for (const method of Object.keys(operations)) {
      const route = routes.get(`${method.toUpperCase()} ${url}`);
      assert.ok(route, `${method} ${path} is in the OpenAPI document but not known to the gateway`);
      assert.ok(route.explicit, `${method} ${path}`);
      checked++;
    }
  }
  assert.ok(checked >= 25, `checked ${checked} operations`);
});
