import { createHash, hash as oneShotHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { KindredError } from '../errors/catalog.js';
import type { StateStore } from '../ports/state-store.js';
import { PUBLIC_KEY_SCOPES, SCOPES, isScope, scopeMask, type Scope } from './scopes.js';

/** State-store namespace of the key records (one JSON record per key id). */
export const API_KEYS_NAMESPACE = 'api-keys';

/**
 * Key format: `kdr_<id>_<secret>`. The id (12 hex digits) finds the record without a
 * scan; the secret is 32 random bytes, base64url. The `kdr_` prefix lets secret scanners
 * recognise a leaked key. Only a SHA-256 of the whole key is stored: with 256 random bits
 * a fast hash is as safe as a slow one, and it keeps authentication at a microsecond.
 */
const PREFIX = 'kdr_';
const ID_LENGTH = 12;
const SECRET_BYTES = 32;
const TOKEN_LENGTH = PREFIX.length + ID_LENGTH + 1 + Math.ceil((SECRET_BYTES * 4) / 3);
const ID_PATTERN = /^[0-9a-f]{12}$/;

export interface ApiKeyRecord {
  readonly id: string;
  readonly name: string;
  readonly scopes: readonly Scope[];
  /** Browser origins this key may be used from; empty for a server-side key. */
  readonly origins: readonly string[];
  /** Unix milliseconds. */
  readonly createdAt: number;
  readonly expiresAt: number | null;
  readonly rotatedAt: number | null;
  readonly revokedAt: number | null;
  /** base64url SHA-256 of the full key. */
  readonly hash: string;
  /** After a rotation with a grace period, the old key's hash and until when it still works. */
  readonly previousHash: string | null;
  readonly previousValidUntil: number | null;
}

/** What the API and the CLI show of a key: never its hash, never its secret. */
export interface ApiKeyView {
  readonly id: string;
  readonly name: string;
  readonly prefix: string;
  readonly scopes: readonly Scope[];
  readonly origins: readonly string[];
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly rotatedAt: string | null;
  readonly revokedAt: string | null;
  readonly status: 'active' | 'expired' | 'revoked';
}

export interface NewKeyInput {
  readonly name: string;
  readonly scopes: readonly string[];
  readonly origins?: readonly string[];
  /** Unix milliseconds; null or absent: never. */
  readonly expiresAt?: number | null;
}

/** The caller of a request, once its key checked out. */
export interface AuthenticatedKey {
  /** Key id, or `master` for the configured master key. */
  readonly id: string;
  readonly mask: number;
  /** Allowed browser origins; null for server keys (and the master key). */
  readonly origins: ReadonlySet<string> | null;
}

export type AuthFailure = 'invalid' | 'expired' | 'revoked';

export const MASTER_KEY: AuthenticatedKey = {
  id: 'master',
  mask: scopeMask(SCOPES),
  origins: null,
};

interface CompiledKey {
  readonly record: ApiKeyRecord;
  readonly hash: Buffer;
  readonly previousHash: Buffer | null;
  readonly caller: AuthenticatedKey;
}

/** SHA-256 of a key: the one-shot `crypto.hash` (Node >= 20.12) is about twice as fast. */
const hashOf: (text: string) => Buffer =
  typeof oneShotHash === 'function'
    ? (text) => oneShotHash('sha256', text, 'buffer')
    : (text) => createHash('sha256').update(text).digest();

export function hashKey(token: string): string {
  return hashOf(token).toString('base64url');
}

/** Constant-time equality of two SHA-256 digests. */
function sameHash(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Normalises an origin to `scheme://host[:port]`; throws INVALID_REQUEST when it is not one. */
export function normaliseOrigin(origin: string): string {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    throw new KindredError(
      'INVALID_REQUEST',
      `"${origin}" is not an origin like https://shop.example`,
      {
        origin,
      },
    );
  }
  if (
    (url.protocol !== 'https:' && url.protocol !== 'http:') ||
    url.origin === 'null' ||
    url.pathname !== '/' ||
    url.search !== '' ||
    url.hash !== '' ||
    url.username !== '' ||
    url.password !== '' ||
    origin.replace(/\/$/, '').toLowerCase() !== url.origin
  )
    throw new KindredError(
      'INVALID_REQUEST',
      `"${origin}" is not an origin (scheme://host[:port], nothing after)`,
      { origin },
    );
  return url.origin;
}

export function keyView(record: ApiKeyRecord, now = Date.now()): ApiKeyView {
  const iso = (ms: number | null): string | null =>
    ms === null ? null : new Date(ms).toISOString();
  return {
    id: record.id,
    name: record.name,
    prefix: `${PREFIX}${record.id}_`,
    scopes: record.scopes,
    origins: record.origins,
    createdAt: new Date(record.createdAt).toISOString(),
    expiresAt: iso(record.expiresAt),
    rotatedAt: iso(record.rotatedAt),
    revokedAt: iso(record.revokedAt),
    status:
      record.revokedAt !== null
        ? 'revoked'
        : record.expiresAt !== null && record.expiresAt <= now
          ? 'expired'
          : 'active',
  };
}

function compile(record: ApiKeyRecord): CompiledKey {
  return {
    record,
    hash: Buffer.from(record.hash, 'base64url'),
    previousHash:
      record.previousHash === null ? null : Buffer.from(record.previousHash, 'base64url'),
    caller: {
      id: record.id,
      mask: scopeMask(record.scopes),
      origins: record.origins.length > 0 ? new Set(record.origins) : null,
    },
  };
}

function newToken(id: string): string {
  return `${PREFIX}${id}_${randomBytes(SECRET_BYTES).toString('base64url')}`;
}

function parseRecord(bytes: Uint8Array): ApiKeyRecord | undefined {
  try {
    const value = JSON.parse(Buffer.from(bytes).toString('utf8')) as ApiKeyRecord;
    if (typeof value.id !== 'string' || typeof value.hash !== 'string') return undefined;
    if (!Array.isArray(value.scopes) || !value.scopes.every(isScope)) return undefined;
    return {
      ...value,
      origins: Array.isArray(value.origins) ? value.origins : [],
      previousHash: value.previousHash ?? null,
      previousValidUntil: value.previousValidUntil ?? null,
    };
  } catch {
    return undefined;
  }
}

export interface ApiKeyStoreOptions {
  /** The configured master key (plain text, from config); empty: none. Only its hash is kept. */
  readonly masterKey?: string;
  readonly now?: () => number;
}

/**
 * API keys: records in the state store (namespace `api-keys`), held in memory so that
 * authentication is a hash and a map lookup. Changes made here apply at once; changes
 * made by another process (the CLI, another API node) are picked up by `refresh()`,
 * which the gateway runs every `keys.refreshSeconds`.
 */
export class ApiKeyStore {
  private byId = new Map<string, CompiledKey>();
  private originUnion = new Set<string>();
  /** Bumped by every save, so a refresh that raced one can tell. */
  private version = 0;
  private readonly masterHash: Buffer | null;
  private readonly now: () => number;

  constructor(
    private readonly store: StateStore,
    options: ApiKeyStoreOptions = {},
  ) {
    this.masterHash = options.masterKey ? hashOf(options.masterKey) : null;
    this.now = options.now ?? Date.now;
  }

  /** Reads every record from the state store, replacing what is in memory. */
  async refresh(): Promise<void> {
    // A change saved here while the store was being read would be lost: read again.
    for (let attempt = 0; attempt < 5; attempt++) {
      const version = this.version;
      const next = await this.readAll();
      if (version !== this.version) continue;
      this.byId = next;
      this.rebuildOrigins();
      return;
    }
  }

  private async readAll(): Promise<Map<string, CompiledKey>> {
    const next = new Map<string, CompiledKey>();
    let after: string | undefined;
    for (;;) {
      const page = await this.store.list(API_KEYS_NAMESPACE, {
        limit: 1000,
        ...(after === undefined ? {} : { after }),
      });
      for (const entry of page) {
        const record = parseRecord(entry.value);
        if (record) next.set(record.id, compile(record));
      }
      if (page.length < 1000) break;
      after = page[page.length - 1]?.key;
    }
    return next;
  }

  get size(): number {
    return this.byId.size;
  }

  /** Origins of every active browser key: CORS preflights (which carry no key) are checked against these. */
  get allOrigins(): ReadonlySet<string> {
    return this.originUnion;
  }

  /**
   * Checks a presented key. Hashes it once, then compares digests in constant time:
   * against the master key, then against the record its id names.
   */
  authenticate(token: string): AuthenticatedKey | AuthFailure {
    const hash = hashOf(token);
    if (this.masterHash !== null && sameHash(hash, this.masterHash)) return MASTER_KEY;
    if (token.length !== TOKEN_LENGTH || !token.startsWith(PREFIX)) return 'invalid';
    const compiled = this.byId.get(token.slice(PREFIX.length, PREFIX.length + ID_LENGTH));
    if (compiled === undefined) return 'invalid';
    const { record } = compiled;
    let matches = sameHash(hash, compiled.hash);
    if (!matches && compiled.previousHash !== null) {
      matches =
        sameHash(hash, compiled.previousHash) &&
        record.previousValidUntil !== null &&
        this.now() < record.previousValidUntil;
    }
    if (!matches) return 'invalid';
    if (record.revokedAt !== null) return 'revoked';
    if (record.expiresAt !== null && record.expiresAt <= this.now()) return 'expired';
    return compiled.caller;
  }

  list(): ApiKeyRecord[] {
    return [...this.byId.values()]
      .map((c) => c.record)
      .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
  }

  get(id: string): ApiKeyRecord | undefined {
    return this.byId.get(id)?.record;
  }

  /** Creates a key; the returned token is the only time its secret exists outside the caller. */
  async create(input: NewKeyInput): Promise<{ record: ApiKeyRecord; token: string }> {
    const now = this.now();
    const name = input.name.trim();
    if (name.length === 0 || name.length > 200)
      throw new KindredError('INVALID_REQUEST', 'a key needs a name of 1 to 200 characters', {
        field: 'name',
      });
    if (input.scopes.length === 0)
      throw new KindredError('INVALID_REQUEST', 'a key needs at least one scope', {
        field: 'scopes',
        known: SCOPES,
      });
    const unknown = input.scopes.find((s) => !isScope(s));
    if (unknown !== undefined)
      throw new KindredError('INVALID_REQUEST', `unknown scope "${unknown}"`, {
        field: 'scopes',
        scope: unknown,
        known: SCOPES,
      });
    const scopes = [...new Set(input.scopes as Scope[])].sort(
      (a, b) => SCOPES.indexOf(a) - SCOPES.indexOf(b),
    );
    const origins = [...new Set((input.origins ?? []).map(normaliseOrigin))].sort();
    if (origins.length > 0) {
      const strong = scopes.find((s) => !PUBLIC_KEY_SCOPES.has(s));
      if (strong !== undefined)
        throw new KindredError(
          'INVALID_REQUEST',
          `a browser key (one with origins) may not hold "${strong}": it would be readable by anyone who opens the page`,
          { field: 'scopes', scope: strong, allowed: [...PUBLIC_KEY_SCOPES] },
        );
    }
    const expiresAt = input.expiresAt ?? null;
    if (expiresAt !== null && (!Number.isFinite(expiresAt) || expiresAt <= now))
      throw new KindredError('INVALID_REQUEST', 'expiresAt must lie in the future', {
        field: 'expiresAt',
      });
    let id: string;
    do id = randomBytes(ID_LENGTH / 2).toString('hex');
    while (this.byId.has(id) || (await this.store.get(API_KEYS_NAMESPACE, id)) !== undefined);
    const token = newToken(id);
    const record: ApiKeyRecord = {
      id,
      name,
      scopes,
      origins,
      createdAt: now,
      expiresAt,
      rotatedAt: null,
      revokedAt: null,
      hash: hashKey(token),
      previousHash: null,
      previousValidUntil: null,
    };
    await this.save(record);
    return { record, token };
  }

  /**
   * Issues a new secret for the key, keeping its id, scopes and origins. The old secret
   * stops working at once, or after `gracePeriodSeconds` so clients can switch over.
   */
  async rotate(
    id: string,
    options: { gracePeriodSeconds?: number } = {},
  ): Promise<{ record: ApiKeyRecord; token: string }> {
    const current = await this.fresh(id);
    if (current.revokedAt !== null)
      throw new KindredError('KEY_NOT_FOUND', `key "${id}" is revoked; create a new one`, { id });
    const now = this.now();
    const grace = options.gracePeriodSeconds ?? 0;
    if (!Number.isFinite(grace) || grace < 0 || grace > 30 * 86_400)
      throw new KindredError('INVALID_REQUEST', 'gracePeriodSeconds must lie in 0 .. 2592000', {
        field: 'gracePeriodSeconds',
      });
    const token = newToken(id);
    const record: ApiKeyRecord = {
      ...current,
      rotatedAt: now,
      hash: hashKey(token),
      previousHash: grace > 0 ? current.hash : null,
      previousValidUntil: grace > 0 ? now + grace * 1000 : null,
    };
    await this.save(record);
    return { record, token };
  }

  /** Revokes the key for good; the record stays (listed as revoked) for the audit trail. */
  async revoke(id: string): Promise<ApiKeyRecord> {
    const current = await this.fresh(id);
    if (current.revokedAt !== null) return current;
    const record: ApiKeyRecord = {
      ...current,
      revokedAt: this.now(),
      previousHash: null,
      previousValidUntil: null,
    };
    await this.save(record);
    return record;
  }

  /** The record as stored now (another process may have changed it). */
  private async fresh(id: string): Promise<ApiKeyRecord> {
    const bytes = ID_PATTERN.test(id) ? await this.store.get(API_KEYS_NAMESPACE, id) : undefined;
    const record = bytes === undefined ? undefined : parseRecord(bytes);
    if (record === undefined) throw new KindredError('KEY_NOT_FOUND', `no API key "${id}"`, { id });
    return record;
  }

  private async save(record: ApiKeyRecord): Promise<void> {
    await this.store.put(
      API_KEYS_NAMESPACE,
      record.id,
      Buffer.from(JSON.stringify(record), 'utf8'),
    );
    this.version++;
    this.byId.set(record.id, compile(record));
    this.rebuildOrigins();
  }

  private rebuildOrigins(): void {
    const now = this.now();
    const origins = new Set<string>();
    for (const { record } of this.byId.values()) {
      if (record.revokedAt !== null || (record.expiresAt !== null && record.expiresAt <= now))
        continue;
      for (const origin of record.origins) origins.add(origin);
    }
    this.originUnion = origins;
  }
}
