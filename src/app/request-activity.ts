/**
 * When requests last arrived, for background work that should wait for a quiet moment
 * instead of taking turns with them (ranking lists ahead is optional: a request that
 * needs a list ranks it itself). The gateway's load shedder marks it once per event-loop
 * turn that reads requests.
 */
export const requestActivity = {
  /** `performance.now()` of the latest turn that read requests. */
  lastTurnAt: Number.NEGATIVE_INFINITY,
  mark(): void {
    this.lastTurnAt = performance.now();
  },
  /** No requests for `quietMs`. */
  quietFor(quietMs: number): boolean {
    return performance.now() - this.lastTurnAt >= quietMs;
  },
};
