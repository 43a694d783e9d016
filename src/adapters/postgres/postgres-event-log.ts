import type pg from 'pg';
import type { EventEnvelope, StoredEvent } from '../../core/events/envelope.js';
import type {
  AppendOptions,
  AppendOutcome,
  BatchListener,
  EventLog,
  SubscribeOptions,
  Subscription,
} from '../../ports/event-log.js';
import { toEventJson, toMetadataJson } from '../../ports/event-json.js';
import { LogSubscription } from '../../ports/log-subscription.js';
import {
  type PostgresTarget,
  createPool,
  createTables,
  inTransaction,
  postgresTarget,
  toNumber,
} from './postgres-connection.js';

export interface PostgresEventLogOptions {
  /** `postgres://user@host:port/database?schema=name` (schema default `kindred`). */
  readonly url: string;
  /** Connections in the pool; appends are serialized anyway, reads are not. */
  readonly poolSize?: number;
  /** Most events handed to a subscriber in one listener call. */
  readonly deliveryBatchSize?: number;
  /** A subscription looks for news this often even without a notification. */
  readonly pollIntervalMs?: number;
}

interface EventRow {
  readonly position: string;
  readonly id: string;
  readonly type: string;
  readonly version: number;
  readonly occurred_at: number;
  readonly received_at: number;
  readonly partition_key: string;
  readonly payload: string;
  readonly metadata: string;
}

/**
 * The event log on PostgreSQL, the cluster's system of record.
 *
 * Positions are handed out in commit order: an append takes the one-row head of the log
 * `FOR UPDATE`, so the next append waits until it has committed (or rolled back, which
 * frees the positions it would have used). A reader that has seen position n has seen
 * every position below it, for ever; a sequence, assigned at insert, would let a reader
 * see 12 before 11 commits and skip 11. De-duplication by event id is permanent (a
 * unique index), unlike a stream's de-duplication window. Payload and metadata are kept
 * as the JSON text every adapter keeps, so they read back byte for byte. Subscribers are
 * woken by NOTIFY after each commit, and poll slowly in case a notification was missed
 * while the listening connection reconnected.
 */
export class PostgresEventLog implements EventLog {
  private readonly target: PostgresTarget;
  private readonly pool: pg.Pool;
  private readonly events: string;
  private readonly head: string;
  private readonly channel: string;
  private readonly subscriptions = new Set<LogSubscription>();
  private readonly deliveryBatchSize: number;
  private readonly pollIntervalMs: number;
  private readonly ready: Promise<void>;
  private listener: pg.PoolClient | undefined;
  private listening: Promise<void> | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private appendTurn: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(options: PostgresEventLogOptions) {
    this.target = postgresTarget(options.url);
    this.pool = createPool(this.target, options.poolSize ?? 4);
    const schema = `"${this.target.schema}"`;
    this.events = `${schema}.events`;
    this.head = `${schema}.log_head`;
    this.channel = `kindred_events_${this.target.schema}`;
    this.deliveryBatchSize = options.deliveryBatchSize ?? 1000;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.ready = this.ensureTables();
    // Failing to connect surfaces from the first call; not as an unhandled rejection.
    this.ready.catch(() => undefined);
  }

  async append(
    events: readonly EventEnvelope[],
    options: AppendOptions = {},
  ): Promise<AppendOutcome[]> {
    this.assertOpen();
    if (events.length === 0) return [];
    // Serialised before the transaction: a bad event writes nothing.
    const payloads = events.map((event) => toEventJson(event, 'payload'));
    const metadata = events.map(toMetadataJson);
    // One append in flight per process: batches take positions in the order they were
    // given, as with the embedded log (other processes interleave whole batches).
    const turn = this.appendTurn.then(() => this.appendNow(events, payloads, metadata, options));
    this.appendTurn = turn.then(
      () => undefined,
      () => undefined,
    );
    return turn;
  }

  private async appendNow(
    events: readonly EventEnvelope[],
    payloads: readonly string[],
    metadata: readonly string[],
    options: AppendOptions,
  ): Promise<AppendOutcome[]> {
    await this.ready;
    const { outcomes, head } = await inTransaction(this.pool, async (client) => {
      // Deferred events (impressions) skip waiting for the WAL flush; the WAL keeps them
      // in order, so the next acknowledged commit makes them durable too.
      if (options.durability === 'deferred')
        await client.query('SET LOCAL synchronous_commit = off');
      const locked = await client.query<{ position: string }>(
        `SELECT position FROM ${this.head} FOR UPDATE`,
      );
      const before = toNumber(locked.rows[0]!.position);
      const known = new Map<string, number>();
      const stored = await client.query<{ id: string; position: string }>(
        `SELECT id, position FROM ${this.events} WHERE id = ANY($1::text[])`,
        [events.map((event) => event.id)],
      );
      for (const row of stored.rows) known.set(row.id, toNumber(row.position));
      const outcomes: AppendOutcome[] = [];
      const fresh: number[] = [];
      for (let i = 0; i < events.length; i++) {
        const id = events[i]!.id;
        const earlier = known.get(id);
        if (earlier !== undefined) {
          outcomes.push({ offset: earlier, duplicate: true });
          continue;
        }
        const offset = before + fresh.length + 1;
        known.set(id, offset);
        fresh.push(i);
        outcomes.push({ offset, duplicate: false });
      }
      if (fresh.length === 0) return { outcomes, head: before };
      await client.query(
        `INSERT INTO ${this.events}
           (position, id, type, version, occurred_at, received_at, partition_key, payload, metadata)
         SELECT * FROM unnest($1::int8[], $2::text[], $3::text[], $4::int4[], $5::float8[],
                              $6::float8[], $7::text[], $8::text[], $9::text[])`,
        [
          fresh.map((_, n) => before + n + 1),
          fresh.map((i) => events[i]!.id),
          fresh.map((i) => events[i]!.type),
          fresh.map((i) => events[i]!.version),
          fresh.map((i) => events[i]!.occurredAt),
          fresh.map((i) => events[i]!.receivedAt),
          fresh.map((i) => events[i]!.partitionKey),
          fresh.map((i) => payloads[i]!),
          fresh.map((i) => metadata[i]!),
        ],
      );
      const head = before + fresh.length;
      await client.query(`UPDATE ${this.head} SET position = $1`, [head]);
      await client.query('SELECT pg_notify($1, $2)', [this.channel, String(head)]);
      return { outcomes, head };
    });
    if (head > 0) this.wakeSubscriptions();
    return outcomes;
  }

  async readAfter(afterOffset: number, limit: number): Promise<StoredEvent[]> {
    this.assertOpen();
    if (!Number.isInteger(limit) || limit < 0)
      throw new RangeError(`limit must be a non-negative integer, got ${limit}`);
    if (limit === 0) return [];
    await this.ready;
    const result = await this.pool.query<EventRow>(
      `SELECT position, id, type, version, occurred_at, received_at, partition_key, payload, metadata
         FROM ${this.events} WHERE position > $1 ORDER BY position LIMIT $2`,
      [afterOffset, limit],
    );
    return result.rows.map(toStoredEvent);
  }

  async lastOffset(): Promise<number> {
    this.assertOpen();
    await this.ready;
    const result = await this.pool.query<{ position: string }>(`SELECT position FROM ${this.head}`);
    return toNumber(result.rows[0]!.position);
  }

  /** Positions are contiguous from 1 and events are never deleted: the head is the count. */
  count(): Promise<number> {
    return this.lastOffset();
  }

  subscribe(
    afterOffset: number,
    listener: BatchListener,
    options: SubscribeOptions = {},
  ): Subscription {
    this.assertOpen();
    const subscription = new LogSubscription(
      this.subscriptionSource,
      afterOffset,
      listener,
      this.deliveryBatchSize,
      (ended) => {
        this.subscriptions.delete(ended);
        if (this.subscriptions.size === 0) this.stopFollowing();
      },
      options.position,
    );
    this.subscriptions.add(subscription);
    this.startFollowing();
    return subscription;
  }

  /**
   * What subscriptions read through. A subscriber may learn of an append of this process
   * (by NOTIFY, or a read on another connection) before the append's caller has been
   * answered; a writer that applies its own appends at once would then be handed them
   * again. So a read that found events waits for this process's appends to be answered and
   * their callers to have run, then the subscription filters by the caller's position.
   */
  private readonly subscriptionSource = {
    readAfter: async (afterOffset: number, limit: number): Promise<StoredEvent[]> => {
      const events = await this.readAfter(afterOffset, limit);
      if (events.length > 0) {
        await this.appendTurn;
        await new Promise((resolve) => setImmediate(resolve));
      }
      return events;
    },
  };

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.subscriptions].map((subscription) => subscription.close()));
    this.stopFollowing();
    await this.listening?.catch(() => undefined);
    await this.pool.end();
  }

  private ensureTables(): Promise<void> {
    return createTables(this.pool, this.target, [
      `CREATE TABLE IF NOT EXISTS ${this.events} (
           position int8 PRIMARY KEY,
           id text NOT NULL UNIQUE,
           type text NOT NULL,
           version int4 NOT NULL,
           occurred_at float8 NOT NULL,
           received_at float8 NOT NULL,
           partition_key text NOT NULL,
           payload text NOT NULL,
           metadata text NOT NULL)`,
      `CREATE TABLE IF NOT EXISTS ${this.head} (
           one boolean PRIMARY KEY DEFAULT true CHECK (one),
           position int8 NOT NULL)`,
      `INSERT INTO ${this.head} (one, position)
           SELECT true, coalesce(max(position), 0) FROM ${this.events}
         ON CONFLICT (one) DO NOTHING`,
    ]);
  }

  /** LISTEN on a connection of its own while anyone subscribes, plus a slow poll. */
  private startFollowing(): void {
    if (this.pollTimer === undefined) {
      this.pollTimer = setInterval(() => {
        // A listening connection lost (a server restart) is opened again.
        if (this.listening === undefined) this.startFollowing();
        this.wakeSubscriptions();
      }, this.pollIntervalMs);
      this.pollTimer.unref();
    }
    if (this.listening !== undefined) return;
    this.listening = (async () => {
      await this.ready;
      const client = await this.pool.connect();
      if (this.closed || this.subscriptions.size === 0) {
        client.release();
        return;
      }
      this.listener = client;
      client.on('notification', () => this.wakeSubscriptions());
      client.on('error', () => this.dropListener());
      await client.query(`LISTEN "${this.channel}"`);
      // Appends made before LISTEN took effect were not announced.
      this.wakeSubscriptions();
    })().catch(() => this.dropListener());
  }

  private stopFollowing(): void {
    if (this.pollTimer !== undefined) clearInterval(this.pollTimer);
    this.pollTimer = undefined;
    this.dropListener();
  }

  /** Gives the listening connection up; the next subscribe (or poll) carries on without it. */
  private dropListener(): void {
    const client = this.listener;
    this.listener = undefined;
    this.listening = undefined;
    // Destroyed, not returned to the pool: it is still listening.
    if (client !== undefined) client.release(true);
  }

  private wakeSubscriptions(): void {
    for (const subscription of this.subscriptions) subscription.wake();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the event log is closed');
  }
}

function toStoredEvent(row: EventRow): StoredEvent {
  return {
    offset: toNumber(row.position),
    id: row.id,
    type: row.type,
    version: row.version,
    occurredAt: row.occurred_at,
    receivedAt: row.received_at,
    partitionKey: row.partition_key,
    payload: JSON.parse(row.payload) as unknown,
    metadata: JSON.parse(row.metadata) as Record<string, string>,
  };
}
