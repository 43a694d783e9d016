import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTimestamp } from './timestamps.js';

const latest = Date.parse('2030-01-01T00:00:00Z');

test('unix seconds, milliseconds and ISO-8601', () => {
  assert.deepEqual(parseTimestamp(1_700_000_000, latest), { ok: true, ms: 1_700_000_000_000 });
  assert.deepEqual(parseTimestamp('1700000000', latest), { ok: true, ms: 1_700_000_000_000 });
  assert.deepEqual(parseTimestamp(1_700_000_000.5, latest), { ok: true, ms: 1_700_000_000_500 });
  assert.deepEqual(parseTimestamp(1_700_000_000_123, latest), { ok: true, ms: 1_700_000_000_123 });
  assert.deepEqual(parseTimestamp('2024-02-29T12:00:00Z', latest), {
    ok: true,
    ms: Date.parse('2024-02-29T12:00:00Z'),
  });
  assert.deepEqual(parseTimestamp('2024-02-29T12:00:00+02:00', latest), {
    ok: true,
    ms: Date.parse('2024-02-29T10:00:00Z'),
  });
  assert.deepEqual(parseTimestamp('2024-02-29', latest), {
    ok: true,
    ms: Date.parse('2024-02-29'),
  });
});

test('garbage, impossible dates and out-of-range times are refused', () => {
  for (const raw of [
    'tomorrow',
    '2024-13-01',
    '2024-02-30T25:00:00Z',
    '',
    -1,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    2_000_000_000,
  ]) {
    assert.equal(parseTimestamp(raw, latest).ok, false, String(raw));
  }
});
