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
