import type { Hash } from 'node:crypto';
import type { StoredEvent } from '../events/envelope.js';

/** Binary state of a projection: JSON-able metadata plus typed arrays, for snapshots. */
export interface ProjectionState {
  readonly json: unknown;
  readonly arrays: Readonly<Record<string, ArrayBufferView>>;
}

/**
 * A read model built only from the log. Applying the same events in the same order from
 * an empty state always gives the same state, which `checksum` makes comparable.
 */
export interface Projection {
  readonly name: string;
  apply(event: StoredEvent): void;
  /** Feeds a canonical form of the state into the hash. */
  checksum(hash: Hash): void;
  snapshot(): ProjectionState;
  restore(state: ProjectionState): void;
}
