import * as crypto from 'node:crypto';
import { parseTimestamp } from '../../core/domain/timestamps.js';
import type { EventBodyT } from '../../contracts/schemas.js';

const SEPARATOR = '\u001f';

// crypto.hash (one-shot, several times faster than createHash for short inputs) is Node >= 20.12.
const sha1Base64url: (text: string) => string =
  typeof crypto.hash === 'function'
    ? (text) => crypto.hash('sha1', text, 'base64url')
    : (text) => crypto.createHash('sha1').update(text).digest('base64url');

/**
 * The event id of an imported interaction, derived from what the row says happened: the
 * user, item, type, time and value. Importing the same file again (or another file with
 * the same interactions) therefore appends nothing new: the log reports duplicates.
 *
 * Times are compared as instants, so `1260759144` and `2009-12-14T02:52:24Z` are the same
 * interaction. A row without a timestamp happens "now", which is not a property of the
 * file; its line number stands in for the time so that identical rows on different lines
 * stay distinct interactions while a re-import of the same file still deduplicates.
 *
 * 22 characters of base64url: 132 bits of SHA-1.
 */
export function importEventId(row: EventBodyT, line: number): string {
  let when: string;
  if (row.timestamp === undefined) when = `line:${line}`;
  else {
    const parsed = parseTimestamp(row.timestamp, Number.POSITIVE_INFINITY);
    when = parsed.ok ? String(parsed.ms) : `raw:${String(row.timestamp)}`;
  }
  const value = row.value === undefined ? '' : String(row.value);
  return sha1Base64url(
    row.userId +
      SEPARATOR +
      row.itemId +
      SEPARATOR +
      row.type +
      SEPARATOR +
      when +
      SEPARATOR +
      value,
  ).slice(0, 22);
}
