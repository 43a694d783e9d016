import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { EventLog } from '../ports/event-log.js';
import type { StateStore } from '../ports/state-store.js';
import type { LeaseStore } from '../ports/lease-store.js';
import type { RateLimiter } from '../ports/rate-limiter.js';
import { RedisRateLimiter } from './redis/redis-rate-limiter.js';
import { MemoryLeaseStore } from './memory/memory-lease-store.js';
import { SqliteLeaseStore } from './sqlite/sqlite-lease-store.js';
import { PostgresLeaseStore } from './postgres/postgres-lease-store.js';
import { SqliteEventLog } from './sqlite/sqlite-event-log.js';
import { SqliteStateStore } from './sqlite/sqlite-state-store.js';
import { MemoryEventLog } from './memory/memory-event-log.js';
import { MemoryStateStore } from './memory/memory-state-store.js';
import { PostgresEventLog } from './postgres/postgres-event-log.js';
import { PostgresStateStore } from './postgres/postgres-state-store.js';

export interface StorageSettings {
  readonly dataDir: string;
  readonly eventLog: string;
  readonly state: string;
  readonly synchronous: 'full' | 'normal';
}

function scheme(url: string): { scheme: string; rest: string } {
  const match = /^([a-z][a-z0-9+.-]*):(?:\/\/)?(.*)$/i.exec(url);
  if (!match)
    throw new Error(`storage URL "${url}" has no scheme (expected e.g. sqlite:./data/events.db)`);
  return { scheme: (match[1] as string).toLowerCase(), rest: match[2] as string };
}

/** Picks the event-log adapter from the URL scheme; an empty URL means SQLite in the data dir. */
export function openEventLog(settings: StorageSettings): EventLog {
  const url = settings.eventLog || `sqlite:${join(settings.dataDir, 'events.db')}`;
  const { scheme: kind, rest } = scheme(url);
  switch (kind) {
    case 'sqlite':
      mkdirSync(resolve(rest, '..'), { recursive: true });
      return new SqliteEventLog({ path: rest, synchronous: settings.synchronous });
    case 'memory':
      return new MemoryEventLog();
    case 'postgres':
    case 'postgresql':
      return new PostgresEventLog({ url });
    default:
      throw new Error(
        `no event-log adapter for "${kind}:" (available: sqlite:, postgres:, memory:)`,
      );
  }
}

export function openStateStore(settings: StorageSettings): StateStore {
  const url = settings.state || `sqlite:${join(settings.dataDir, 'state.db')}`;
  const { scheme: kind, rest } = scheme(url);
  switch (kind) {
    case 'sqlite':
      mkdirSync(resolve(rest, '..'), { recursive: true });
      return new SqliteStateStore({ path: rest });
    case 'memory':
      return new MemoryStateStore();
    case 'postgres':
    case 'postgresql':
      return new PostgresStateStore({ url });
    default:
      throw new Error(
        `no state-store adapter for "${kind}:" (available: sqlite:, postgres:, memory:)`,
      );
  }
}

/** Leases live beside the state: in its SQLite file, or in its PostgreSQL schema. */
export function openLeaseStore(settings: StorageSettings): LeaseStore {
  const url = settings.state || `sqlite:${join(settings.dataDir, 'state.db')}`;
  const { scheme: kind, rest } = scheme(url);
  switch (kind) {
    case 'sqlite':
      mkdirSync(resolve(rest, '..'), { recursive: true });
      return new SqliteLeaseStore(rest);
    case 'memory':
      return new MemoryLeaseStore();
    case 'postgres':
    case 'postgresql':
      return new PostgresLeaseStore({ url });
    default:
      throw new Error(
        `no lease-store adapter for "${kind}:" (available: sqlite:, postgres:, memory:)`,
      );
  }
}

/** The rate limiter API nodes share (`storage.sharedState`); undefined: each keeps its own. */
export function openSharedRateLimiter(url: string): RateLimiter | undefined {
  if (url === '') return undefined;
  const { scheme: kind } = scheme(url);
  switch (kind) {
    case 'redis':
    case 'rediss':
      return new RedisRateLimiter({ url });
    default:
      throw new Error(`no shared-state adapter for "${kind}:" (available: redis:)`);
  }
}
