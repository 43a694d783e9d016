/** A named lease as granted: who holds it, until when, and the grant's fencing token. */
export interface Lease {
  readonly name: string;
  readonly holder: string;
  /**
   * Grows with every new grant of this name (never with a renewal): whatever a holder
   * writes under the lease carries it, and a write carrying a smaller token than the
   * newest seen is from a holder that lost the lease without knowing (paused, cut off).
   */
  readonly token: number;
  /** When it lapses unless renewed, in ms since the epoch (the adapter's clock). */
  readonly expiresAt: number;
}

/**
 * Leases with fencing tokens: one holder at a time per name across every process sharing
 * the store (the trainer leader, jobs that must run once). Time is the store's own clock,
 * so nodes with skewed clocks agree on who holds what. Adapters: memory, SQLite (one
 * machine), PostgreSQL (a cluster); every adapter passes `lease-store.contract.ts`.
 */
export interface LeaseStore {
  /**
   * Grants `name` to `holder` for `ttlMs` when it is free or has lapsed (a new token), or
   * renews it when `holder` has it (the same token); undefined while another holds it.
   */
  acquire(name: string, holder: string, ttlMs: number): Promise<Lease | undefined>;
  /** Ends the lease early if that grant is still current; true when it did. */
  release(lease: Lease): Promise<boolean>;
  /** The current grant, or undefined when the name is free or has lapsed. */
  current(name: string): Promise<Lease | undefined>;
  close(): Promise<void>;
}
