/** Free-form string metadata carried with every event (source, trace id, request id...). */
export type EventMetadata = Readonly<Record<string, string>>;

/**
 * Every write to Kindred is one of these. The log is the source of truth; every read
 * model is a projection of it, so the envelope carries what replay needs to be exact.
 */
export interface EventEnvelope<TPayload = unknown> {
  /** Idempotency key: appending an event whose id is already in the log is a no-op. */
  readonly id: string;
  readonly type: string;
  /** Schema version of `payload`; older versions are upcast when read. */
  readonly version: number;
  /** When it happened, by the client's clock (ms since the epoch). */
  readonly occurredAt: number;
  /** When the engine accepted it (ms since the epoch). */
  readonly receivedAt: number;
  /** Events with the same key keep their relative order on partitioned logs. */
  readonly partitionKey: string;
  readonly payload: TPayload;
  readonly metadata: EventMetadata;
}

/** An event as the log returns it: with the position the log gave it. */
export interface StoredEvent<TPayload = unknown> extends EventEnvelope<TPayload> {
  /** Position in the log: positive, strictly increasing, assigned by the log. */
  readonly offset: number;
}
