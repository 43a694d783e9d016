import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
let lastMillis = 0;
let counter = 0;
let pool = randomBytes(4096);
let poolOffset = 0;

function randomByte(): number {
  if (poolOffset >= pool.length) {
    pool = randomBytes(4096);
    poolOffset = 0;
  }
  return pool[poolOffset++] ?? 0;
}

/**
 * Time-ordered ids (48-bit ms time, then a per-ms counter and randomness) so that the
 * log's unique index on event ids stays append-mostly instead of inserting at random.
 */
export function newEventId(now = Date.now()): string {
  if (now === lastMillis) counter++;
  else {
    lastMillis = now;
    counter = 0;
  }
  let out = '';
  let time = now;
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[time % 32] + out;
    time = Math.floor(time / 32);
  }
  let count = counter;
  let tail = '';
  for (let i = 0; i < 4; i++) {
    tail = ALPHABET[count % 32] + tail;
    count = Math.floor(count / 32);
  }
  out += tail;
  for (let i = 0; i < 8; i++) out += ALPHABET[randomByte() & 31];
  return out;
}
