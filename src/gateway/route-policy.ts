import type { RouteScope } from './scopes.js';

/**
 * Concurrency pools (bulkheads). Each has its own limit, so bulk imports cannot take the
 * slots that reads need, and an admin scan cannot starve writes. `exempt` is never shed
 * (health probes, metrics, CORS preflights): an orchestrator must see a busy node as alive.
 */
export const POOLS = ['read', 'write', 'bulk', 'admin', 'exempt'] as const;
export type Pool = (typeof POOLS)[number];

export interface RoutePolicy {
  readonly scope: RouteScope;
  readonly pool: Pool;
  /**
   * A long-lived response (server-sent events): no handler timeout, and its pool slot is
   * given back once the stream is established (`streamEstablished` in gateway.ts).
   */
  readonly stream?: boolean;
}

/**
 * Every route of the API with the scope it requires and the pool it runs in, keyed by
 * `METHOD /route/:pattern` exactly as Fastify registers it. HEAD follows GET.
 *
 * A route missing here still works but requires `admin` and runs in the `admin` pool
 * (the safe default), and `test/route-scopes.test.ts` fails until it is listed: adding a
 * route means deciding here who may call it.
 */
export const ROUTE_POLICIES: Readonly<Record<string, RoutePolicy>> = {
  // Probes and documents.
  'GET /health/live': { scope: 'public', pool: 'exempt' },
  'GET /health/ready': { scope: 'public', pool: 'exempt' },
  'GET /openapi.json': { scope: 'public', pool: 'read' },
  'OPTIONS /*': { scope: 'public', pool: 'exempt' },
  // `/metrics` is `admin` unless `metrics.public` is set (the gateway decides at start).
  'GET /metrics': { scope: 'admin', pool: 'exempt' },

  // Interactions.
  'POST /v1/events': { scope: 'events:write', pool: 'write' },

  // The catalog and the users.
  'POST /v1/items': { scope: 'catalog:write', pool: 'write' },
  'POST /v1/items/batch': { scope: 'catalog:write', pool: 'bulk' },
  'PUT /v1/items/:id': { scope: 'catalog:write', pool: 'write' },
  'PATCH /v1/items/:id': { scope: 'catalog:write', pool: 'write' },
  'DELETE /v1/items/:id': { scope: 'catalog:write', pool: 'write' },
  'GET /v1/items/:id': { scope: 'catalog:write', pool: 'read' },
  'GET /v1/items': { scope: 'catalog:write', pool: 'read' },
  'POST /v1/users': { scope: 'catalog:write', pool: 'write' },
  'POST /v1/users/batch': { scope: 'catalog:write', pool: 'bulk' },
  'PUT /v1/users/:id': { scope: 'catalog:write', pool: 'write' },
  'PATCH /v1/users/:id': { scope: 'catalog:write', pool: 'write' },
  'DELETE /v1/users/:id': { scope: 'catalog:write', pool: 'write' },
  'GET /v1/users/:id': { scope: 'catalog:write', pool: 'read' },
  'GET /v1/users': { scope: 'catalog:write', pool: 'read' },
  'GET /v1/users/:id/interactions': { scope: 'catalog:write', pool: 'read' },

  // Recommendations.
  'GET /v1/users/:id/recommendations': { scope: 'recommendations:read', pool: 'read' },
  'GET /v1/items/:id/similar': { scope: 'recommendations:read', pool: 'read' },
  'GET /v1/trending': { scope: 'recommendations:read', pool: 'read' },

  // Models.
  'GET /v1/models': { scope: 'admin', pool: 'admin' },
  'GET /v1/models/:version': { scope: 'admin', pool: 'admin' },
  'POST /v1/models/train': { scope: 'admin', pool: 'admin' },
  'POST /v1/models/rollback': { scope: 'admin', pool: 'admin' },

  // Administration.
  'GET /v1/admin/status': { scope: 'admin', pool: 'admin' },
  'GET /v1/admin/backup': { scope: 'admin', pool: 'admin' },
  'POST /v1/keys': { scope: 'admin', pool: 'admin' },
  'GET /v1/keys': { scope: 'admin', pool: 'admin' },
  'GET /v1/keys/:id': { scope: 'admin', pool: 'admin' },
  'DELETE /v1/keys/:id': { scope: 'admin', pool: 'admin' },
  'POST /v1/keys/:id/rotate': { scope: 'admin', pool: 'admin' },
};

/** What an unlisted route gets: the strictest scope and the smallest pool. */
export const DEFAULT_POLICY: RoutePolicy = { scope: 'admin', pool: 'admin' };

export function routeKey(method: string, url: string): string {
  return `${method === 'HEAD' ? 'GET' : method} ${url}`;
}

/** The listed policy of a route, or undefined when the table does not name it. */
export function listedPolicy(method: string, url: string): RoutePolicy | undefined {
  return ROUTE_POLICIES[routeKey(method, url)];
}

export function policyFor(method: string, url: string): RoutePolicy {
  return listedPolicy(method, url) ?? DEFAULT_POLICY;
}
