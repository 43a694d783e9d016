// /metrics parses with a strict Prometheus text-format parser and carries what operators
// need; a traced request shows one span per pipeline stage under its server span, with
// the request id on the span and the trace id in the request's log lines; OTLP/HTTP export
// reaches a collector.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { telemetry } from '../src/observability/metrics.js';
import { call, startInProcess, type InProcessEngine } from './support/in-process.js';
import { parsePrometheusText, type Family } from './support/prom-text.js';
import { STAGED_ROUTE, STAGES, buildStagedApp, type StagedApp } from './support/staged-app.js';

const MASTER = 'observability-master-key-01234';

describe('/metrics', () => {
  let kindred: InProcessEngine;
  let families: Map<string, Family>;
  before(async () => {
    kindred = await startInProcess({ KINDRED_MASTER_KEY: MASTER });
    const auth = { authorization: `Bearer ${MASTER}` };
    await call(kindred.app, 'POST', '/v1/items', { id: 'a', title: 'A' }, auth);
    await call(
      kindred.app,
      'POST',
      '/v1/events',
      { type: 'view', userId: 'u1', itemId: 'a' },
      auth,
    );
    await call(
      kindred.app,
      'POST',
      '/v1/events',
      {
        events: [
          { type: 'view', userId: 'u1', itemId: 'a' },
          { type: 'click', userId: 'u2', itemId: 'a' },
        ],
      },
      auth,
    );
    await call(
      kindred.app,
      'POST',
      '/v1/events',
      {
        events: [
          { type: 'nope', userId: 'u', itemId: 'a' },
          { type: 'view', userId: 5 },
        ],
      },
      auth,
    );
    await call(kindred.app, 'GET', '/v1/items/missing', undefined, auth);
    await call(kindred.app, 'GET', '/v1/items');
    await call(kindred.app, 'GET', '/no/such/route');
    telemetry.modelPublished('test-model', 3, Date.now() - 5000);
    telemetry.trainingFinished('test-model', 1.25);
    telemetry.cache('test-cache').hit();
    const unauthorized = await call(kindred.app, 'GET', '/metrics');
    assert.equal(unauthorized.status, 401, '/metrics needs the admin scope');
    const response = await kindred.app.inject({ method: 'GET', url: '/metrics', headers: auth });
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^text\/plain; version=0.0.4/);
    families = parsePrometheusText(response.body);
  });
  after(() => kindred.close());

  const value = (name: string, labels: Record<string, string> = {}): number | undefined =>
    [...families.values()]
      .flatMap((f) => f.samples)
      .find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
      ?.value;

  test('parses strictly and has every family operators need', () => {
    for (const name of [
      'kindred_http_request_duration_seconds',
      'kindred_events_accepted_total',
      'kindred_events_duplicate_total',
      'kindred_events_rejected_total',
      'kindred_projection_lag_events',
      'kindred_projection_checkpoint',
      'kindred_event_log_last_offset',
      'kindred_model_info',
      'kindred_model_age_seconds',
      'kindred_training_duration_seconds',
      'kindred_cache_requests_total',
      'kindred_cache_hit_ratio',
      'kindred_http_in_flight_requests',
      'kindred_http_shed_total',
      'kindred_rate_limited_total',
      'kindred_auth_failures_total',
      'kindred_event_loop_delay_seconds',
      'nodejs_eventloop_lag_p99_seconds',
      'process_resident_memory_bytes',
      'nodejs_heap_size_used_bytes',
    ])
      assert.ok(families.has(name), `missing ${name}`);
    assert.equal(families.get('kindred_http_request_duration_seconds')?.type, 'histogram');
  });

  test('latency by route and status; events accepted and rejected; lag; hooks', () => {
    assert.equal(
      value('kindred_http_request_duration_seconds_count', {
        route: '/v1/events',
        status: '201',
        method: 'POST',
      }),
      1,
    );
    assert.equal(
      value('kindred_http_request_duration_seconds_count', {
        route: '/v1/items/:id',
        status: '404',
      }),
      1,
    );
    assert.equal(
      value('kindred_http_request_duration_seconds_count', { route: '/v1/items', status: '401' }),
      1,
    );
    assert.equal(
      value('kindred_http_request_duration_seconds_count', { route: '(unmatched)', status: '404' }),
      1,
    );
    assert.equal(value('kindred_events_accepted_total'), 3);
    assert.equal(value('kindred_events_rejected_total', { code: 'BATCH_HAS_INVALID_ROWS' }), 2);
    assert.equal(value('kindred_projection_lag_events'), 0);
    assert.ok((value('kindred_event_log_last_offset') ?? 0) >= 4);
    assert.equal(value('kindred_model_info', { model: 'test-model', version: '3' }), 1);
    assert.ok((value('kindred_model_age_seconds', { model: 'test-model' }) ?? 0) >= 5);
    assert.equal(value('kindred_training_duration_seconds_count', { model: 'test-model' }), 1);
    assert.equal(value('kindred_cache_hit_ratio', { cache: 'test-cache' }), 1);
    assert.equal(value('kindred_auth_failures_total', { reason: 'missing' }), 2);
    assert.ok((value('process_resident_memory_bytes') ?? 0) > 10e6);
  });

  test('the parser is strict', () => {
    assert.throws(() => parsePrometheusText('x 1\n'), /no TYPE/);
    assert.throws(() => parsePrometheusText('# TYPE x counter\nx{a="\\q"} 1\n'), /bad escape/);
    assert.throws(() => parsePrometheusText('# TYPE x counter\nx 1\nx 2\n'), /duplicate/);
    assert.throws(
      () =>
        parsePrometheusText(
          '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_count 1\n',
        ),
      /cumulative/,
    );
  });
});

/** Collects pino output, one parsed object per line. */
function logSink(): { lines: Array<Record<string, unknown>>; stream: Writable } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, stream };
}

describe('tracing', () => {
  let staged: StagedApp;
  const exporter = new InMemorySpanExporter();
  const logs = logSink();
  before(async () => {
    staged = await buildStagedApp({
      env: { KINDRED_TRACE_SAMPLE_RATIO: '1' },
      spanExporter: exporter,
      logger: pino({ level: 'info' }, logs.stream),
    });
  });
  after(() => staged.close());

  test('a recommendation request: one server span, a child span per stage, ids in spans and logs', async () => {
    exporter.reset();
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const response = await staged.app.inject({
      method: 'GET',
      url: '/v1/test/recommendations/alice?work=50',
      headers: { 'x-request-id': 'trace-test-1', traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    });
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['x-request-id'], 'trace-test-1');
    const spans = exporter.getFinishedSpans();
    const server = spans.find((s) => s.name === `GET ${STAGED_ROUTE}`);
    assert.ok(server, spans.map((s) => s.name).join());
    assert.equal(server.spanContext().traceId, traceId, 'continues the caller trace');
    assert.equal(server.parentSpanContext?.spanId, '00f067aa0ba902b7');
    assert.equal(server.attributes['kindred.request_id'], 'trace-test-1');
    assert.equal(server.attributes['http.route'], STAGED_ROUTE);
    assert.equal(server.attributes['http.response.status_code'], 200);
    const stages = spans.filter((s) => (STAGES as readonly string[]).includes(s.name));
    assert.deepEqual(
      stages.map((s) => s.name),
      [...STAGES],
    );
    for (const stage of stages) {
      assert.equal(stage.parentSpanContext?.spanId, server.spanContext().spanId);
      assert.equal(stage.spanContext().traceId, traceId);
    }
    // Stages ran in order, inside the request.
    const notBefore = (a: [number, number], b: [number, number]): boolean =>
      a[0] > b[0] || (a[0] === b[0] && a[1] >= b[1]);
    for (let i = 1; i < stages.length; i++)
      assert.ok(
        notBefore(stages[i]!.startTime, stages[i - 1]!.startTime),
        `${STAGES[i]} after ${STAGES[i - 1]}`,
      );
    const line = logs.lines.find(
      (l) => l['msg'] === 'staged recommendation' && l['reqId'] === 'trace-test-1',
    );
    assert.ok(line, 'the handler logged');
    assert.equal(line['trace_id'], traceId);
    assert.equal(line['span_id'], server.spanContext().spanId);
  });

  test('a failing stage marks its span and the server span as errors', async () => {
    exporter.reset();
    const response = await staged.app.inject({
      method: 'GET',
      url: '/v1/test/recommendations/bob?work=10&fail=true',
    });
    assert.equal(response.statusCode, 500);
    const spans = exporter.getFinishedSpans();
    assert.equal(spans.find((s) => s.name === 'score')?.status.code, 2);
    assert.equal(spans.find((s) => s.name.startsWith('GET '))?.status.code, 2);
    assert.equal(
      spans.some((s) => s.name === 'order'),
      false,
    );
  });

  test('other routes get a server span each', async () => {
    exporter.reset();
    await staged.app.inject({ method: 'GET', url: '/v1/items/zzz' });
    const [span] = exporter.getFinishedSpans();
    assert.equal(span?.name, 'GET /v1/items/:id');
    assert.equal(span?.attributes['http.response.status_code'], 404);
  });
});

describe('OTLP/HTTP export', () => {
  test('spans reach a collector at KINDRED_OTLP_ENDPOINT', async () => {
    const bodies: Array<{ path: string; body: string }> = [];
    const collector = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        bodies.push({ path: request.url ?? '', body: Buffer.concat(chunks).toString('utf8') });
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    const port = (collector.address() as AddressInfo).port;
    const staged = await buildStagedApp({
      env: { KINDRED_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, KINDRED_TRACE_SAMPLE_RATIO: '1' },
    });
    const response = await staged.app.inject({
      method: 'GET',
      url: '/v1/test/recommendations/carol?work=10',
    });
    assert.equal(response.statusCode, 200);
    await staged.close(); // flushes the batch processor
    collector.close();
    const traces = bodies.filter((b) => b.path === '/v1/traces');
    assert.ok(traces.length >= 1, 'the collector got a POST /v1/traces');
    const all = traces.map((t) => t.body).join('\n');
    for (const name of ['retrieve', 'filter', 'score', 'order', STAGED_ROUTE])
      assert.ok(all.includes(name), name);
  });
});
