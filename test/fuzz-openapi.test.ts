// A seeded fuzz test generated from the engine's own OpenAPI document: at least 10,000
// malformed or hostile requests spread over every operation (wrong types, huge strings
// and numbers, deep nesting, bad encodings and media types, injection strings, unknown
// fields, hostile path and query values and headers). No answer may be a 5xx, the
// process must keep serving, and every error must carry a code from the error catalog.
// Repeat a run with KINDRED_FUZZ_SEED; KINDRED_FUZZ_REQUESTS changes the count.
import { after, before, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { ERROR_CATALOG } from '../src/errors/catalog.js';
import { startInProcess, type InProcessEngine } from './support/in-process.js';

const SEED = Number(process.env['KINDRED_FUZZ_SEED'] ?? 20_261_121);
const REQUESTS = Number(process.env['KINDRED_FUZZ_REQUESTS'] ?? 10_000);
const MASTER = 'fuzz-master-key-0123456789';

let state = SEED >>> 0 || 1;
function random(): number {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) / 4_294_967_296;
}
const int = (min: number, max: number): number => min + Math.floor(random() * (max - min + 1));
const pick = <T>(values: readonly T[]): T => values[int(0, values.length - 1)] as T;
const chance = (p: number): boolean => random() < p;

type Schema = Record<string, unknown> & {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
};

interface Operation {
  readonly method: string;
  readonly path: string;
  readonly pathParams: string[];
  readonly query: Array<{ name: string; schema: Schema }>;
  readonly body: Schema | undefined;
}

const INJECTIONS = [
  "' OR '1'='1' --",
  "'; DROP TABLE events; --",
  '" OR ""="',
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '../../../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '%00',
  '\u0000',
  '\u0000\u0001\u0002\u001f\u007f',
  '${7*7}',
  '{{7*7}}',
  '#{7*7}',
  '$(reboot)',
  '`id`',
  '*)(uid=*))(|(uid=*',
  '%s%s%s%n',
  '\r\nX-Injected: 1',
  '__proto__',
  'constructor',
  'prototype',
  '{"$gt": ""}',
  'NaN',
  '-0',
  '1e309',
  'Infinity',
  'true',
  'null',
  '\ud800',
  '\udfff\ud800',
  '\u202e\u0645\u0631\u062d\u0628\u0627',
  '\u200b\u200c\u200d\ufeff',
  'Ω≈ç√∫˜µ≤≥÷',
  '😀👩‍👩‍👧‍👦🏳️‍🌈',
  'ᚠᛇᚻ᛫ᛒᛦᚦ',
  ' ',
  '',
];

const NUMBERS_RAW = [
  '0',
  '-0',
  '-1',
  '1e308',
  '-1e308',
  '1e309',
  '-1e309',
  '1e-400',
  '9007199254740993',
  '-9223372036854775809',
  '123456789012345678901234567890',
  '0.1',
  '1.7976931348623157e308',
  '4294967296',
  '-2147483649',
];

/** Percent-encodes any string, lone surrogates included (as U+FFFD). */
function enc(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return [...Buffer.from(text, 'utf8')]
      .map((b) => `%${b.toString(16).padStart(2, '0')}`)
      .join('');
  }
}

function hugeString(): string {
  const unit = pick(['a', 'é', '😀', '\u0000', '<', '"', '\\']);
  return unit.repeat(pick([300, 1000, 5000, 70_000, 300_000]));
}

function hostileString(): string {
  if (chance(0.08)) return hugeString();
  return pick(INJECTIONS);
}

/** A hostile JSON value as raw text (so it can hold what JSON.stringify cannot). */
function hostileRaw(depth = 0): string {
  const roll = random();
  if (roll < 0.3) return JSON.stringify(hostileString());
  if (roll < 0.5) return pick(NUMBERS_RAW);
  if (roll < 0.58) return pick(['true', 'false', 'null']);
  if (roll < 0.64) return deepNesting();
  if (roll < 0.8 && depth < 3)
    return `[${Array.from({ length: int(0, 4) }, () => hostileRaw(depth + 1)).join(',')}]`;
  if (depth < 3) {
    const keys = Array.from({ length: int(0, 4) }, () =>
      pick(['__proto__', 'constructor', 'a', '', 'x'.repeat(int(1, 500)), hostileString()]),
    );
    return `{${keys.map((k) => `${JSON.stringify(k)}:${hostileRaw(depth + 1)}`).join(',')}}`;
  }
  return '1';
}

function deepNesting(): string {
  const depth = pick([100, 1000, 10_000, 100_000]);
  return chance(0.5)
    ? `${'['.repeat(depth)}${']'.repeat(depth)}`
    : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** A value that fits `schema` most of the time (so mutations land deep inside valid shapes). */
function fromSchema(schema: Schema | undefined, depth = 0): unknown {
  if (!schema || depth > 6) return null;
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return pick(schema.enum);
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches) return fromSchema(pick(branches), depth + 1);
  const type = Array.isArray(schema.type) ? pick(schema.type) : schema.type;
  switch (type) {
    case 'string':
      return `v${int(0, 50)}`;
    case 'integer':
      return int(Math.max(schema.minimum ?? 0, -5), Math.min(schema.maximum ?? 100, 100));
    case 'number':
      return random() * 10;
    case 'boolean':
      return chance(0.5);
    case 'null':
      return null;
    case 'array':
      return Array.from({ length: int(0, 3) }, () => fromSchema(schema.items, depth + 1));
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(schema.properties ?? {}))
        if (schema.required?.includes(key) || chance(0.5)) out[key] = fromSchema(child, depth + 1);
      return out;
    }
    default:
      return 'x';
  }
}

/** Replaces one value somewhere inside `value` with a hostile raw JSON fragment. */
function mutate(value: unknown): string {
  const marker = `__FUZZ_${int(0, 1e9)}__`;
  const paths: Array<(v: unknown) => void> = [];
  const walk = (node: unknown, set: (v: unknown) => void): void => {
    paths.push(set);
    if (Array.isArray(node)) node.forEach((child, i) => walk(child, (v) => (node[i] = v)));
    else if (node !== null && typeof node === 'object')
      for (const key of Object.keys(node))
        walk(
          (node as Record<string, unknown>)[key],
          (v) => ((node as Record<string, unknown>)[key] = v),
        );
  };
  let root = value;
  walk(root, (v) => (root = v));
  const roll = random();
  if (roll < 0.15 && root !== null && typeof root === 'object' && !Array.isArray(root)) {
    const keys = Object.keys(root);
    if (keys.length > 0) delete (root as Record<string, unknown>)[pick(keys)]; // drop a field
    return JSON.stringify(root);
  }
  if (roll < 0.3 && root !== null && typeof root === 'object' && !Array.isArray(root)) {
    (root as Record<string, unknown>)[
      pick(['unknownField', '__proto__', 'constructor', hostileString().slice(0, 50)])
    ] = marker; // an unknown field
  } else pick(paths)(marker);
  return JSON.stringify(root).replace(JSON.stringify(marker), hostileRaw());
}

function bodyFor(operation: Operation): {
  payload?: Buffer | string;
  headers: Record<string, string>;
} {
  const json = { 'content-type': 'application/json' };
  const roll = random();
  if (roll < 0.55) return { payload: mutate(fromSchema(operation.body)), headers: json };
  if (roll < 0.63) return { payload: hostileRaw(), headers: json };
  if (roll < 0.67) return { payload: deepNesting(), headers: json };
  if (roll < 0.71) {
    const text = JSON.stringify(fromSchema(operation.body));
    return { payload: text.slice(0, int(0, Math.max(0, text.length - 1))), headers: json }; // truncated
  }
  if (roll < 0.75)
    return {
      payload: Buffer.from([
        0x7b, 0x22, 0x69, 0x64, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x7d,
      ]),
      headers: json,
    }; // invalid UTF-8
  if (roll < 0.78)
    return {
      payload: Buffer.from(JSON.stringify(fromSchema(operation.body)), 'utf16le'),
      headers: json,
    };
  if (roll < 0.8)
    return { payload: `\ufeff${JSON.stringify(fromSchema(operation.body))}`, headers: json };
  if (roll < 0.83)
    return {
      payload: gzipSync(JSON.stringify(fromSchema(operation.body))),
      headers: { ...json, 'content-encoding': 'gzip' },
    };
  if (roll < 0.86)
    return {
      payload: JSON.stringify(fromSchema(operation.body)),
      headers: {
        'content-type': pick([
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=xyz',
          'application/json; charset=latin1',
          'application/xml',
          'application/json, text/html',
          '*/*',
          'application/jsonx',
        ]),
      },
    };
  if (roll < 0.88) return { payload: '', headers: json };
  if (roll < 0.9)
    return { payload: `{"id":"a","id":${hostileRaw()},"title":"t","title":[1]}`, headers: json }; // duplicate keys
  if (roll < 0.92)
    return { payload: JSON.stringify({ padding: 'x'.repeat(int(1, 3) * 300_000) }), headers: json };
  return {
    payload: mutate(fromSchema(operation.body)),
    headers: { ...json, 'content-type': 'Application/JSON; charset=UTF-8' },
  };
}

/**
 * A streamed answer: an open event stream (200) is dropped after its first bytes; an
 * error answer is read whole.
 */
async function settleStream(
  response: LightMyRequestResponse,
): Promise<{ statusCode: number; body: string }> {
  const stream = response.stream();
  if (response.statusCode === 200) {
    stream.destroy();
    return { statusCode: 200, body: '' };
  }
  let body = '';
  for await (const chunk of stream) body += String(chunk);
  return { statusCode: response.statusCode, body };
}

function pathFor(operation: Operation): string {
  let path = operation.path;
  for (const name of operation.pathParams) {
    const roll = random();
    let value: string;
    if (roll < 0.5) value = enc(hostileString().slice(0, 2000));
    else if (roll < 0.7)
      value = pick([
        '%',
        '%zz',
        '%E0%A4%A',
        '%C0%AF',
        '%FF%FE',
        '..%2F..%2Fetc',
        '%2e%2e',
        '%00',
        '%u0041',
        '%%32%65',
      ]);
    else if (roll < 0.8) value = 'x'.repeat(pick([511, 512, 513, 2000, 20_000]));
    else value = `seeded-${int(0, 3)}`;
    path = path.replace(`{${name}}`, value);
  }
  return path;
}

function queryFor(operation: Operation): string {
  const parts: string[] = [];
  for (const { name } of operation.query) {
    if (chance(0.5)) continue;
    parts.push(
      `${name}=${pick([
        enc(hostileString().slice(0, 1000)),
        ...NUMBERS_RAW,
        'abc',
        'true',
        '1',
        '',
        '%zz',
        `1&${name}=2`,
      ])}`,
    );
  }
  if (chance(0.2))
    parts.push(
      `${pick(['unknown', '__proto__', 'constructor[prototype]', 'a[]', ''])}=${enc(hostileString().slice(0, 100))}`,
    );
  if (chance(0.05)) parts.push(`q=${'z'.repeat(int(1000, 60_000))}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

function headersFor(): Record<string, string> {
  const headers: Record<string, string> = {};
  const auth = random();
  if (auth < 0.8) headers['authorization'] = `Bearer ${MASTER}`;
  else if (auth < 0.9)
    headers[pick(['authorization', 'x-api-key'])] = pick([
      'Bearer',
      'Bearer ',
      'Basic dXNlcjpwYXNz',
      `Bearer kdr_${'f'.repeat(12)}_${'A'.repeat(43)}`,
      `Bearer ${'k'.repeat(10_000)}`,
      'Bearer \u00ff\u00fe',
    ]);
  if (chance(0.2))
    headers['x-request-id'] = pick([
      '',
      ' ',
      'x'.repeat(5000),
      '<script>',
      '../../',
      'ok-id-1',
      '\u00e9\u00e9',
    ]);
  if (chance(0.1))
    headers['traceparent'] = pick([
      '00-zz-zz-01',
      `00-${'0'.repeat(32)}-${'0'.repeat(16)}-01`,
      'x'.repeat(55),
      '',
    ]);
  if (chance(0.1)) headers['origin'] = pick(['null', 'https://evil.example', 'x'.repeat(3000), '']);
  if (chance(0.05))
    headers['accept'] = pick(['text/html', 'application/xml', '*/*;q=0', 'x'.repeat(2000)]);
  if (chance(0.05))
    headers['x-forwarded-for'] = pick(['1.2.3.4, 5.6.7.8', 'garbage', '::ffff:1.2.3.4']);
  return headers;
}

function loadOperations(doc: {
  paths: Record<string, Record<string, Record<string, unknown>>>;
}): Operation[] {
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, spec] of Object.entries(methods)) {
      const parameters = (spec['parameters'] ?? []) as Array<{
        in: string;
        name: string;
        schema: Schema;
      }>;
      const body = (
        spec['requestBody'] as { content?: Record<string, { schema: Schema }> } | undefined
      )?.content?.['application/json']?.schema;
      operations.push({
        method: method.toUpperCase(),
        path,
        pathParams: parameters.filter((p) => p.in === 'path').map((p) => p.name),
        query: parameters
          .filter((p) => p.in === 'query')
          .map((p) => ({ name: p.name, schema: p.schema })),
        body,
      });
    }
  }
  return operations;
}

let kindred: InProcessEngine;
before(async () => {
  kindred = await startInProcess(
    {
      KINDRED_MASTER_KEY: MASTER,
      KINDRED_RATE_LIMIT_PER_KEY: '0',
      KINDRED_RATE_LIMIT_PER_ADDRESS: '0',
      KINDRED_BODY_LIMIT_BYTES: String(1024 * 1024),
    },
    { models: true },
  );
  const auth = { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' };
  for (let i = 0; i < 4; i++) {
    await kindred.app.inject({
      method: 'POST',
      url: '/v1/items',
      headers: auth,
      payload: { id: `seeded-${i}`, title: 'x' },
    });
    await kindred.app.inject({
      method: 'POST',
      url: '/v1/users',
      headers: auth,
      payload: { id: `seeded-${i}` },
    });
  }
});
after(() => kindred.close());

test(
  `${REQUESTS} hostile requests generated from /openapi.json: no 5xx, every error in the catalog`,
  { timeout: 180_000 },
  async (t) => {
    const started = performance.now();
    const docResponse = await kindred.app.inject({ method: 'GET', url: '/openapi.json' });
    const operations = loadOperations(JSON.parse(docResponse.body));
    assert.ok(operations.length >= 25, `${operations.length} operations`);
    // Every subsystem runs (models included), so every operation is held to "no 5xx". The
    // live stream is fuzzed like the rest: a request that opens a stream is read as one
    // (its first bytes), then dropped.
    assert.ok(operations.some((o) => o.path === '/v1/users/{id}/recommendations/stream'));
    const statuses = new Map<number, number>();
    const codes = new Map<string, number>();
    const perOperation = new Map<string, number>();
    const failures: string[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const operation = operations[i % operations.length] as Operation;
      const method = chance(0.03)
        ? pick(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'TRACE'])
        : operation.method;
      const url = pathFor(operation) + queryFor(operation);
      const withBody = ['POST', 'PUT', 'PATCH'].includes(method) || chance(0.05);
      const { payload, headers: bodyHeaders } = withBody
        ? bodyFor(operation)
        : { payload: undefined, headers: {} };
      const streaming = method === 'GET' && operation.path.endsWith('/stream');
      const injected = await kindred.app.inject({
        method: method as 'GET',
        url,
        headers: { ...headersFor(), ...bodyHeaders },
        ...(payload === undefined ? {} : { payload }),
        ...(streaming ? { payloadAsStream: true } : {}),
      });
      const response = streaming ? await settleStream(injected) : injected;
      const key = `${operation.method} ${operation.path}`;
      perOperation.set(key, (perOperation.get(key) ?? 0) + 1);
      statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
      const describe = (): string =>
        `#${i} ${method} ${url.slice(0, 120)} -> ${response.statusCode} ${response.body.slice(0, 200)}`;
      if (response.statusCode >= 500) failures.push(describe());
      if (response.statusCode >= 400 && method !== 'HEAD') {
        let code: unknown;
        try {
          code = (JSON.parse(response.body) as { error?: { code?: unknown } }).error?.code;
        } catch {
          code = undefined;
        }
        if (typeof code !== 'string' || !(code in ERROR_CATALOG))
          failures.push(`no catalog code: ${describe()}`);
        else codes.set(code, (codes.get(code) ?? 0) + 1);
      }
      if (failures.length >= 20) break;
    }
    const live = await kindred.app.inject({ method: 'GET', url: '/health/live' });
    assert.equal(live.statusCode, 200, 'still serving');
    const seconds = (performance.now() - started) / 1000;
    t.diagnostic(
      `seed ${SEED}: ${REQUESTS} requests over ${operations.length} operations in ${seconds.toFixed(1)} s`,
    );
    t.diagnostic(`statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);
    t.diagnostic(`codes ${JSON.stringify(Object.fromEntries([...codes].sort()))}`);
    assert.deepEqual(failures, []);
    assert.ok(Math.min(...perOperation.values()) >= Math.floor(REQUESTS / operations.length) - 1);
  },
);
