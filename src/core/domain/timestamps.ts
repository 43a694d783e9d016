/** Numbers above this are milliseconds: as seconds they would be beyond the year 5000. */
const MILLISECONDS_THRESHOLD = 1e11;
const ISO_8601 =
  /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
const DIGITS = /^\d+(?:\.\d+)?$/;

export type TimestampResult = { ok: true; ms: number } | { ok: false; reason: string };

/**
 * Accepts unix seconds (or milliseconds, when unambiguous) as a number or digit string,
 * and ISO-8601 date-times; rejects times before 1970 or after `latestMs`.
 */
export function parseTimestamp(raw: number | string, latestMs: number): TimestampResult {
  let ms: number;
  if (typeof raw === 'number' || DIGITS.test(raw)) {
    const n = typeof raw === 'number' ? raw : Number(raw);
    if (!Number.isFinite(n)) return { ok: false, reason: 'is not a finite number' };
    ms = n >= MILLISECONDS_THRESHOLD ? n : n * 1000;
  } else if (ISO_8601.test(raw)) {
    ms = Date.parse(raw);
    if (Number.isNaN(ms)) return { ok: false, reason: 'is not a valid calendar date' };
  } else {
    return { ok: false, reason: 'is neither unix seconds nor an ISO-8601 date-time' };
  }
  ms = Math.round(ms);
  if (ms < 0) return { ok: false, reason: 'lies before 1970' };
  if (ms > latestMs) return { ok: false, reason: 'lies too far in the future' };
  return { ok: true, ms };
}
