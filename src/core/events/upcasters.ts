import type { StoredEvent } from './envelope.js';

/** Turns a payload of version `from` into version `from + 1`. */
export type Upcaster = (payload: unknown) => unknown;

/**
 * Old events are never rewritten in the log; readers see them in the current shape by
 * running the chain of upcasters from the stored version up to the latest.
 */
export class UpcasterRegistry {
  private readonly chains = new Map<string, Map<number, Upcaster>>();
  private readonly latest = new Map<string, number>();

  register(type: string, fromVersion: number, upcaster: Upcaster): this {
    let chain = this.chains.get(type);
    if (!chain) {
      chain = new Map();
      this.chains.set(type, chain);
    }
    chain.set(fromVersion, upcaster);
    this.latest.set(type, Math.max(this.latest.get(type) ?? 1, fromVersion + 1));
    return this;
  }

  latestVersion(type: string): number {
    return this.latest.get(type) ?? 1;
  }

  upcast(event: StoredEvent): StoredEvent {
    const chain = this.chains.get(event.type);
    if (!chain) return event;
    let payload = event.payload;
    let version = event.version;
    for (let step = chain.get(version); step; step = chain.get(version)) {
      payload = step(payload);
      version++;
    }
    return version === event.version ? event : { ...event, version, payload };
  }
}

/** The upcasters of Kindred's own event types: none yet, every type is at version 1. */
export function defaultUpcasters(): UpcasterRegistry {
  return new UpcasterRegistry();
}
