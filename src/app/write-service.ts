import type { EventEnvelope, EventMetadata, StoredEvent } from '../core/events/envelope.js';
import { newEventId } from '../core/events/event-id.js';
import { EventTypes } from '../core/events/event-types.js';
import { parseTimestamp } from '../core/domain/timestamps.js';
import type { ItemInput, ItemPatch } from '../core/domain/item.js';
import type { UserInput, UserPatch } from '../core/domain/user.js';
import type { InteractionPayload } from '../core/domain/interaction.js';
import type { ReadModels } from '../core/projections/read-models.js';
import type { AppendOptions, EventLog } from '../ports/event-log.js';
import { KindredError, type ErrorCode, type ErrorDetails } from '../errors/catalog.js';
import type { EventBodyT } from '../contracts/schemas.js';
import type { Projector } from './projector.js';

export interface WritePolicy {
  readonly unknownEntities: 'create' | 'reject';
  readonly futureToleranceMs: number;
  readonly maxBatch: number;
}

export interface WriteOptions {
  /** Where the write came from (http, import, ...), kept in the event metadata. */
  readonly source: string;
  readonly requestId?: string;
}

export interface RowError {
  readonly index: number;
  readonly error: { code: ErrorCode; message: string; details: ErrorDetails };
}

export interface RowAccepted {
  readonly index: number;
  readonly id: string;
  readonly offset: number;
  readonly status: 'accepted' | 'duplicate';
}

export type RowResult = RowAccepted | RowError;

export interface PreparedInteractions {
  readonly envelopes: EventEnvelope[];
  /** For each envelope, the index of the row it came from. */
  readonly rowIndexes: number[];
  readonly errors: RowError[];
}

export function rowError(index: number, error: KindredError): RowError {
  return { index, error: error.toBody().error };
}

/**
 * Turns client writes into events: validates what the schema cannot (timestamps,
 * interaction types, unknown entities), appends durably, and applies to the read models
 * before answering, so that a client reads its own writes.
 */
export class WriteService {
  constructor(
    private readonly log: EventLog,
    private readonly projector: Projector,
    private readonly readModels: ReadModels,
    private readonly policy: WritePolicy,
    private readonly now: () => number = Date.now,
  ) {}

  /** Builds the interaction event of one row, or says why the row is rejected. */
  interactionEvent(
    row: EventBodyT,
    receivedAt: number,
    options: WriteOptions,
  ): EventEnvelope | KindredError {
    const typeIndex = this.readModels.interactionTypes.indexOf(row.type);
    if (typeIndex === undefined) {
      return new KindredError(
        'UNKNOWN_INTERACTION_TYPE',
        `unknown interaction type "${row.type}"`,
        {
          type: row.type,
          known: Object.keys(this.readModels.interactionTypes.table),
        },
      );
    }
    let occurredAt = receivedAt;
    if (row.timestamp !== undefined) {
      const parsed = parseTimestamp(row.timestamp, receivedAt + this.policy.futureToleranceMs);
      if (!parsed.ok)
        return new KindredError(
          'INVALID_TIMESTAMP',
          `timestamp ${JSON.stringify(row.timestamp)} ${parsed.reason}`,
          {
            timestamp: row.timestamp,
          },
        );
      occurredAt = parsed.ms;
    }
    if (row.value !== undefined && !Number.isFinite(row.value))
      return new KindredError('INVALID_REQUEST', 'value must be a finite number', {
        field: 'value',
      });
    if (this.policy.unknownEntities === 'reject') {
      if (!this.readModels.users.get(row.userId))
        return new KindredError('UNKNOWN_USER', `unknown user "${row.userId}"`, {
          userId: row.userId,
        });
      if (!this.readModels.catalog.get(row.itemId))
        return new KindredError('UNKNOWN_ITEM', `unknown item "${row.itemId}"`, {
          itemId: row.itemId,
        });
    }
    // Properties added one by one keep one object shape for every payload, which is what
    // keeps JSON.stringify on its fast path when the log stores them.
    const payload: { -readonly [K in keyof InteractionPayload]: InteractionPayload[K] } = {
      userId: row.userId,
      itemId: row.itemId,
      type: row.type,
    };
    if (row.value !== undefined) payload.value = row.value;
    if (row.context !== undefined) payload.context = row.context;
    return this.envelope(
      EventTypes.interactionRecorded,
      row.userId,
      payload,
      receivedAt,
      options,
      row.id,
      occurredAt,
    );
  }

  /** Validates rows and builds their events; nothing is written. */
  prepareInteractions(rows: readonly EventBodyT[], options: WriteOptions): PreparedInteractions {
    if (rows.length > this.policy.maxBatch)
      throw new KindredError(
        'BATCH_TOO_LARGE',
        `a batch may hold at most ${this.policy.maxBatch} events`,
        {
          limit: this.policy.maxBatch,
          received: rows.length,
        },
      );
    const receivedAt = this.now();
    const envelopes: EventEnvelope[] = [];
    const rowIndexes: number[] = [];
    const errors: RowError[] = [];
    rows.forEach((row, index) => {
      const built = this.interactionEvent(row, receivedAt, options);
      if (built instanceof KindredError) errors.push(rowError(index, built));
      else {
        envelopes.push(built);
        rowIndexes.push(index);
      }
    });
    return { envelopes, rowIndexes, errors };
  }

  /**
   * Records interactions. Atomic by default: one bad row rejects the batch with every
   * bad row listed. With `partial`, valid rows are written and bad ones reported.
   */
  async recordInteractions(
    rows: readonly EventBodyT[],
    options: WriteOptions & { partial?: boolean },
  ): Promise<RowResult[]> {
    const prepared = this.prepareInteractions(rows, options);
    if (prepared.errors.length > 0 && !options.partial)
      throw batchError(prepared.errors, rows.length);
    return this.appendPrepared(prepared);
  }

  /** Writes prepared rows; results carry the rows' original indexes, errors included. */
  async appendPrepared(prepared: PreparedInteractions): Promise<RowResult[]> {
    const accepted = await this.append(prepared.envelopes);
    // Every row valid: envelope i is row i, so the results need no remapping.
    if (prepared.errors.length === 0) return accepted;
    const results: RowResult[] = [...prepared.errors];
    accepted.forEach((outcome, i) =>
      results.push({ ...outcome, index: prepared.rowIndexes[i] as number }),
    );
    return results.sort((a, b) => a.index - b.index);
  }

  async upsertItems(items: readonly ItemInput[], options: WriteOptions): Promise<RowAccepted[]> {
    this.checkBatch(items.length);
    const at = this.now();
    return this.append(
      items.map((item) => this.envelope(EventTypes.itemUpserted, item.id, { item }, at, options)),
    );
  }

  async patchItem(id: string, patch: ItemPatch, options: WriteOptions): Promise<void> {
    if (!this.readModels.catalog.get(id))
      throw new KindredError('ITEM_NOT_FOUND', `no item "${id}"`, { id });
    await this.append([
      this.envelope(EventTypes.itemPatched, id, { id, patch }, this.now(), options),
    ]);
  }

  async deleteItem(id: string, options: WriteOptions): Promise<void> {
    if (!this.readModels.catalog.get(id))
      throw new KindredError('ITEM_NOT_FOUND', `no item "${id}"`, { id });
    await this.append([this.envelope(EventTypes.itemDeleted, id, { id }, this.now(), options)]);
  }

  async upsertUsers(users: readonly UserInput[], options: WriteOptions): Promise<RowAccepted[]> {
    this.checkBatch(users.length);
    const at = this.now();
    return this.append(
      users.map((user) => this.envelope(EventTypes.userUpserted, user.id, { user }, at, options)),
    );
  }

  async patchUser(id: string, patch: UserPatch, options: WriteOptions): Promise<void> {
    if (!this.readModels.users.get(id))
      throw new KindredError('USER_NOT_FOUND', `no user "${id}"`, { id });
    await this.append([
      this.envelope(EventTypes.userPatched, id, { id, patch }, this.now(), options),
    ]);
  }

  /** Right to be forgotten: the user's data leaves every read model; aggregates stay. */
  async deleteUser(id: string, options: WriteOptions): Promise<void> {
    if (!this.readModels.users.get(id))
      throw new KindredError('USER_NOT_FOUND', `no user "${id}"`, { id });
    await this.append([this.envelope(EventTypes.userDeleted, id, { id }, this.now(), options)]);
  }

  /** Appends prepared events (durable on return, unless deferred) and applies the new ones. */
  async append(
    envelopes: readonly EventEnvelope[],
    options?: AppendOptions,
  ): Promise<RowAccepted[]> {
    if (envelopes.length === 0) return [];
    const outcomes = await this.log.append(envelopes, options);
    const fresh: StoredEvent[] = [];
    const results: RowAccepted[] = new Array<RowAccepted>(outcomes.length);
    for (let index = 0; index < outcomes.length; index++) {
      const outcome = outcomes[index] as (typeof outcomes)[number];
      const envelope = envelopes[index] as EventEnvelope;
      if (!outcome.duplicate) fresh.push(withOffset(envelope, outcome.offset));
      results[index] = {
        index,
        id: envelope.id,
        offset: outcome.offset,
        status: outcome.duplicate ? 'duplicate' : 'accepted',
      };
    }
    fresh.sort((a, b) => a.offset - b.offset);
    await this.projector.advance(fresh);
    return results;
  }

  private checkBatch(size: number): void {
    if (size > this.policy.maxBatch)
      throw new KindredError(
        'BATCH_TOO_LARGE',
        `a batch may hold at most ${this.policy.maxBatch} rows`,
        {
          limit: this.policy.maxBatch,
          received: size,
        },
      );
  }

  private envelope(
    kind: { type: string; version: number },
    partitionKey: string,
    payload: unknown,
    receivedAt: number,
    options: WriteOptions,
    id?: string,
    occurredAt = receivedAt,
  ): EventEnvelope {
    return {
      id: id ?? newEventId(receivedAt),
      type: kind.type,
      version: kind.version,
      occurredAt,
      receivedAt,
      partitionKey,
      payload,
      metadata: metadataOf(options),
    };
  }
}

const metadataByOptions = new WeakMap<WriteOptions, EventMetadata>();

/** One frozen metadata object per write call, shared by its events (and their JSON). */
function metadataOf(options: WriteOptions): EventMetadata {
  const known = metadataByOptions.get(options);
  if (known) return known;
  const fields: Record<string, string> = { source: options.source };
  if (options.requestId) fields['requestId'] = options.requestId;
  const metadata = Object.freeze(fields);
  metadataByOptions.set(options, metadata);
  return metadata;
}
export function batchError(errors: readonly RowError[], total: number): KindredError {
  const shown = [...errors].sort((a, b) => a.index - b.index).slice(0, 100);
  return new KindredError(
    'BATCH_HAS_INVALID_ROWS',
    `${errors.length} of ${total} rows are invalid; nothing was written`,
    { invalidRows: errors.length, rows: shown, truncated: errors.length > shown.length },
  );
}

/** Spelled out rather than spread: this runs for every event written. */
function withOffset(envelope: EventEnvelope, offset: number): StoredEvent {
  return {
    offset,
    id: envelope.id,
    type: envelope.type,
    version: envelope.version,
    occurredAt: envelope.occurredAt,
    receivedAt: envelope.receivedAt,
    partitionKey: envelope.partitionKey,
    payload: envelope.payload,
    metadata: envelope.metadata,
  };
}
