import type { EventEnvelope } from '../core/events/envelope.js';

/**
 * Payload and metadata are kept as JSON text by every adapter, so that what a projection
 * reads back is exactly what any other adapter (or a replay) would read: no shared object
 * references, no Dates or undefined fields that only survive in memory.
 */
export function toEventJson(event: EventEnvelope, field: 'payload' | 'metadata'): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(event[field]);
  } catch (cause) {
    throw new TypeError(`event ${event.id}: ${field} is not serialisable as JSON`, { cause });
  }
  if (text === undefined) {
    throw new TypeError(`event ${event.id}: ${field} is not serialisable as JSON`);
  }
  return text;
}

let lastMetadata: object | undefined;
let lastMetadataJson = '';

/**
 * Writers share one metadata object across a batch (same source, same request), so the
 * text of the last one is kept: one stringify per batch instead of one per event.
 */
export function toMetadataJson(event: EventEnvelope): string {
  if (event.metadata === lastMetadata) return lastMetadataJson;
  const text = toEventJson(event, 'metadata');
  lastMetadata = event.metadata;
  lastMetadataJson = text;
  return text;
}
