export interface StoredEntry {
  readonly key: string;
  readonly value: Uint8Array;
}

export interface ListOptions {
  readonly prefix?: string;
  /** Exclusive lower bound, for cursor pagination. */
  readonly after?: string;
  readonly limit?: number;
}

/**
 * Durable key-value state beside the log: projection snapshots and checkpoints, model
 * artifacts, and small configuration records (scenarios, API keys). Keys sort bytewise
 * within a namespace. Adapters: SQLite (embedded), later PostgreSQL; every adapter passes
 * the contract suite in `state-store.contract.ts`.
 */
export interface StateStore {
  get(namespace: string, key: string): Promise<Uint8Array | undefined>;
  /** Write is durable when the promise resolves; replaces any previous value. */
  put(namespace: string, key: string, value: Uint8Array): Promise<void>;
  /** True when something was deleted. */
  delete(namespace: string, key: string): Promise<boolean>;
  /** Entries in key order. */
  list(namespace: string, options?: ListOptions): Promise<StoredEntry[]>;
  close(): Promise<void>;
}
