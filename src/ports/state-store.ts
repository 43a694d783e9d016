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

export interface PutOptions {
  /**
   * The caller will not read or change `value` again: the adapter may take its memory
   * instead of copying it (the SQLite adapter hands a large value to its writer thread
   * whole; copying a 90 MB snapshot there held the event loop for over 100 ms).
   */
  readonly handOver?: boolean;
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
  put(namespace: string, key: string, value: Uint8Array, options?: PutOptions): Promise<void>;
  /**
   * Writes `value` only if the key now holds exactly `expected` (undefined: only if the
   * key is absent); true when it wrote. Of writers racing from the same value, exactly one
   * wins, in this process or another sharing the store: records that are read, changed
   * and written back (the model registry's pointers, API keys) are changed this way once
   * several processes share them.
   */
  compareAndSet(
    namespace: string,
    key: string,
    expected: Uint8Array | undefined,
    value: Uint8Array,
  ): Promise<boolean>;
  /** True when something was deleted. */
  delete(namespace: string, key: string): Promise<boolean>;
  /** Entries in key order. */
  list(namespace: string, options?: ListOptions): Promise<StoredEntry[]>;
  /**
   * Writes a consistent copy of every entry, as of one moment while writes go on, to the
   * new file `path` in the embedded format (backups). Absent on cluster adapters.
   */
  copyTo?(path: string): Promise<void>;
  close(): Promise<void>;
}
