import { createHash } from 'node:crypto';
import type { StoredEvent } from '../events/envelope.js';
import type { InteractionTypes } from '../domain/interaction.js';
import { Catalog } from './catalog.js';
import { UserDirectory } from './user-directory.js';
import { InteractionHistories } from './histories.js';
import { ItemCounters } from './item-counters.js';
import type { Projection, ProjectionState, ResolvedInteraction } from './projection.js';
import { EventTypes, type InteractionRecordedPayload } from '../events/event-types.js';
import type { SnapshotContents } from './snapshot-codec.js';
import { ScenarioStore } from './scenario-store.js';

export type AppliedListener = (events: readonly StoredEvent[]) => void;

/**
 * All read models, fed from the log in order, with one checkpoint: the offset of the
 * last event applied. Order matters: the catalog and users assign indexes that the
 * histories and counters then use.
 */
export class ReadModels {
  readonly catalog = new Catalog();
  readonly users = new UserDirectory();
  readonly histories: InteractionHistories;
  readonly itemCounters: ItemCounters;
  /** Serving scenarios (placements), kept in the log like everything else. */
  readonly scenarios = new ScenarioStore();
  private readonly projections: Projection[];
  private readonly listeners: AppliedListener[] = [];
  private checkpointOffset = 0;

  constructor(readonly interactionTypes: InteractionTypes) {
    this.histories = new InteractionHistories(this.catalog, this.users, interactionTypes);
    this.itemCounters = new ItemCounters(this.catalog, interactionTypes);
    this.projections = [
      this.catalog,
      this.users,
      this.histories,
      this.itemCounters,
      this.scenarios,
    ];
  }

  get checkpoint(): number {
    return this.checkpointOffset;
  }

  /** Registers another projection (search index, co-occurrence...) fed after the core ones. */
  register(projection: Projection): void {
    this.projections.push(projection);
  }

  /** Called after every applied batch, for caches and live subscribers. */
  onApplied(listener: AppliedListener): () => void {
    this.listeners.push(listener);
    return () => {
      const at = this.listeners.indexOf(listener);
      if (at >= 0) this.listeners.splice(at, 1);
    };
  }

  /** Applies events in order, skipping any at or before the checkpoint. */
  apply(events: readonly StoredEvent[]): number {
    let applied = 0;
    let start = 0;
    while (start < events.length && (events[start] as StoredEvent).offset <= this.checkpointOffset)
      start++;
    for (let i = start; i < events.length; i++) {
      const event = events[i] as StoredEvent;
      if (event.offset <= this.checkpointOffset)
        throw new Error(`events out of order at offset ${event.offset}`);
      if (event.type === EventTypes.interactionRecorded.type) this.applyInteraction(event);
      else for (const projection of this.projections) projection.apply(event);
      this.checkpointOffset = event.offset;
      applied++;
    }
    if (applied > 0) {
      const fresh = start === 0 ? events : events.slice(start);
      for (const listener of this.listeners) listener(fresh);
    }
    return applied;
  }

  private applyInteraction(event: StoredEvent): void {
    const payload = event.payload as InteractionRecordedPayload;
    const type = this.interactionTypes.indexOf(payload.type);
    // A type removed from the configuration since the event was written is skipped.
    if (type === undefined) return;
    const resolved: ResolvedInteraction = {
      user: this.users.resolveForInteraction(payload.userId, event.occurredAt),
      item: this.catalog.resolveForInteraction(payload.itemId, event.occurredAt),
      type,
      value: payload.value ?? Number.NaN,
      time: Math.floor(event.occurredAt / 1000),
    };
    for (const projection of this.projections) {
      if (projection.applyInteraction) projection.applyInteraction(resolved, event);
      else projection.apply(event);
    }
  }

  /** Settings that change how events project; a snapshot made under others is replayed. */
  fingerprint(): string {
    return createHash('sha256')
      .update(
        JSON.stringify({
          types: this.interactionTypes.table,
          mid: this.interactionTypes.ratingMidpoint,
        }),
      )
      .update(this.projections.map((p) => p.name).join(','))
      .digest('hex')
      .slice(0, 16);
  }

  checksum(): string {
    const hash = createHash('sha256');
    for (const projection of this.projections) projection.checksum(hash);
    return hash.digest('hex');
  }

  snapshot(): SnapshotContents {
    const states: Record<string, ProjectionState> = {};
    for (const projection of this.projections) states[projection.name] = projection.snapshot();
    return { checkpoint: this.checkpointOffset, fingerprint: this.fingerprint(), states };
  }

  /** False (and nothing changed) when the snapshot does not fit these settings. */
  restore(contents: SnapshotContents): boolean {
    if (contents.fingerprint !== this.fingerprint()) return false;
    for (const projection of this.projections) {
      if (!contents.states[projection.name]) return false;
    }
    for (const projection of this.projections) {
      projection.restore(contents.states[projection.name] as ProjectionState);
    }
    this.checkpointOffset = contents.checkpoint;
    return true;
  }
}
