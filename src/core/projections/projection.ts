import type { Hash } from 'node:crypto';
import type { StoredEvent } from '../events/envelope.js';

/** Binary state of a projection: JSON-able metadata plus typed arrays, for snapshots. */
export interface ProjectionState {
  readonly json: unknown;
  readonly arrays: Readonly<Record<string, ArrayBufferView>>;
  /**
   * True when later events cannot change this state: the projection copied what it
   * changes in place, or shares arrays only while it guards them (copy on write). The
   * engine then encodes it as it is instead of copying it first.
   */
  readonly detached?: boolean;
}

/** An interaction with its ids already mapped to dense indexes (done once per event). */
export interface ResolvedInteraction {
  readonly user: number;
  readonly item: number;
  readonly type: number;
  /** NaN when the interaction had no value. */
  readonly value: number;
  /** Unix seconds. */
  readonly time: number;
}

/**
 * A read model built only from the log. Applying the same events in the same order from
 * an empty state always gives the same state, which `checksum` makes comparable.
 */
export interface Projection {
  readonly name: string;
  apply(event: StoredEvent): void;
  /**
   * Interactions are most of the log; projections that implement this get them resolved
   * instead of through `apply`, so ids are looked up once per event, not once per model.
   */
  applyInteraction?(interaction: ResolvedInteraction, event: StoredEvent): void;
  /** Feeds a canonical form of the state into the hash. */
  checksum(hash: Hash): void;
  /**
   * The state now. Its typed arrays and the arrays in its `json` may be the projection's
   * own (the engine copies them before encoding a slice at a time, unless the state says
   * it is `detached`), but the objects those arrays hold must be replaced by later
   * events, never changed in place.
   */
  snapshot(): ProjectionState;
  restore(state: ProjectionState): void;
}
