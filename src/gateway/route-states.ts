// What the gateway knows of each route, worked out once when the route is registered:
// its scope and pool (from `route-policy.ts` or its own options) and its metric children.
import type { KindredConfig } from '../config/settings.js';
import { POOL_INDEX } from './load-shedder.js';
import { policyFor, type Pool, type RoutePolicy } from './route-policy.js';
import { scopeBit, type RouteScope } from './scopes.js';

export interface RouteState {
  readonly method: string;
  readonly route: string;
  readonly scope: RouteScope;
  readonly scopeBit: number;
  readonly pool: number;
  /** Histogram children by status, filled on first use. */
  readonly durations: Map<number, { observe(value: number): void }>;
  readonly spanName: string;
}

/** Where a route's states (by method) sit in its Fastify options' `config`. */
export const ROUTE_STATES = 'kindredGateway';

/** A route may declare its policy in its own options: `config: { policy: { scope, pool } }`. */
export interface RouteConfigWithPolicy {
  readonly policy?: RoutePolicy;
}

/** One registered route as the gateway sees it (for audits and the coverage test). */
export interface GatewayRoute {
  readonly method: string;
  readonly url: string;
  readonly scope: RouteScope;
  readonly pool: Pool;
  /** False when neither the table nor the route's options name a policy (it then gets admin). */
  readonly explicit: boolean;
}

export function routeStateFor(
  method: string,
  url: string,
  config: KindredConfig,
  declared: RoutePolicy | undefined,
): RouteState {
  let policy = declared ?? policyFor(method, url);
  if (url === '/metrics' && config.metrics.public) policy = { ...policy, scope: 'public' };
  return {
    method,
    route: url,
    scope: policy.scope,
    scopeBit: policy.scope === 'public' ? 0 : scopeBit(policy.scope),
    pool: POOL_INDEX[policy.pool],
    durations: new Map(),
    spanName: `${method} ${url}`,
  };
}

/** A route registered before the gateway (so unknown to it): the strictest policy. */
export const UNLISTED_ROUTE: RouteState = {
  method: '*',
  route: '(registered before the gateway)',
  scope: 'admin',
  scopeBit: scopeBit('admin'),
  pool: POOL_INDEX.admin,
  durations: new Map(),
  spanName: 'HTTP (unlisted route)',
};

/** Requests that matched no route: no key needed (they answer 404), pooled as reads. */
export const NOT_FOUND_ROUTE: RouteState = {
  method: '*',
  route: '(unmatched)',
  scope: 'public',
  scopeBit: 0,
  pool: POOL_INDEX.read,
  durations: new Map(),
  spanName: 'HTTP (unmatched route)',
};
