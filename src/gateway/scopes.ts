/**
 * What an API key may do. A key holds one or more scopes; `admin` implies every other
 * scope. Routes name exactly one scope (see `route-policy.ts`); `public` routes (health
 * probes, the OpenAPI document, CORS preflights) need no key at all.
 */
export const SCOPES = [
  'events:write',
  'catalog:write',
  'recommendations:read',
  'search:read',
  'admin',
] as const;

export type Scope = (typeof SCOPES)[number];

/** What a route requires: a scope, or nothing (`public`). */
export type RouteScope = Scope | 'public';

export const SCOPE_DOCS: Readonly<Record<Scope, string>> = {
  'events:write': 'Record interactions (`POST /v1/events`): a storefront tracker or a backend.',
  'catalog:write':
    'Create, update, delete and read back items and users (`/v1/items`, `/v1/users`): the catalog sync job.',
  'recommendations:read': 'Ask for recommendations: a storefront widget or a backend.',
  'search:read': 'Search the catalog.',
  admin:
    'Everything, including API keys (`/v1/keys`), `/v1/admin/*` and `/metrics`. Implies every other scope.',
};

/** Scopes a browser-facing key (one with allowed origins) may hold: nothing that writes the catalog or administers. */
export const PUBLIC_KEY_SCOPES: ReadonlySet<Scope> = new Set<Scope>([
  'events:write',
  'recommendations:read',
  'search:read',
]);

const BITS: Readonly<Record<Scope, number>> = {
  'events:write': 1,
  'catalog:write': 2,
  'recommendations:read': 4,
  'search:read': 8,
  admin: 16,
};

export const ADMIN_BIT = BITS.admin;

export function isScope(value: unknown): value is Scope {
  return typeof value === 'string' && (SCOPES as readonly string[]).includes(value);
}

/** Scopes as a bit mask, so the per-request check is one AND. */
export function scopeMask(scopes: readonly Scope[]): number {
  let mask = 0;
  for (const scope of scopes) mask |= BITS[scope];
  return mask;
}

export function scopeBit(scope: Scope): number {
  return BITS[scope];
}

/** True when a key with `mask` may call a route that requires `scope` (admin may call anything). */
export function allows(mask: number, scope: Scope): boolean {
  return (mask & (BITS[scope] | ADMIN_BIT)) !== 0;
}
