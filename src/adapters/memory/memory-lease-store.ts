import type { Lease, LeaseStore } from '../../ports/lease-store.js';

interface Grant {
  holder: string;
  token: number;
  expiresAt: number;
}

/** Leases within one process (tests, the embedded engine without a shared store). */
export class MemoryLeaseStore implements LeaseStore {
  private readonly grants = new Map<string, Grant>();
  private closed = false;

  constructor(private readonly clock: () => number = Date.now) {}

  async acquire(name: string, holder: string, ttlMs: number): Promise<Lease | undefined> {
    this.assertOpen();
    const now = this.clock();
    const grant = this.grants.get(name);
    const live = grant !== undefined && grant.expiresAt > now;
    if (live && grant.holder !== holder) return undefined;
    const token = live ? grant.token : (grant?.token ?? 0) + 1;
    const next = { holder, token, expiresAt: now + ttlMs };
    this.grants.set(name, next);
    return { name, ...next };
  }

  async release(lease: Lease): Promise<boolean> {
    this.assertOpen();
    const grant = this.grants.get(lease.name);
    const now = this.clock();
    if (grant?.holder !== lease.holder || grant.token !== lease.token || grant.expiresAt <= now)
      return false;
    // The token stays: the next grant of this name must carry a larger one.
    grant.expiresAt = now;
    return true;
  }

  async current(name: string): Promise<Lease | undefined> {
    this.assertOpen();
    const grant = this.grants.get(name);
    return grant === undefined || grant.expiresAt <= this.clock() ? undefined : { name, ...grant };
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the lease store is closed');
  }
}
