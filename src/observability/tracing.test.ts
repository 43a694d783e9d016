import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { NO_TRACE, Tracing, contextFromTraceparent, otlpTracesUrl } from './tracing.js';

test('off by default: nothing is created and NO_TRACE just calls through', () => {
  const tracing = new Tracing({});
  assert.equal(tracing.enabled, false);
  assert.equal(tracing.startServerSpan('x', {}), undefined);
  assert.equal(
    NO_TRACE.stage('a', (child) => (child === NO_TRACE ? 7 : 0)),
    7,
  );
  assert.equal(
    tracing.run('job', () => 3),
    3,
  );
});

test('stages become child spans, sync and async, with errors recorded', async () => {
  const exporter = new InMemorySpanExporter();
  const tracing = new Tracing({ exporter });
  const root = tracing.startServerSpan('GET /x', { 'kindred.request_id': 'r1' });
  assert.ok(root);
  assert.equal(
    root.stage('retrieve', () => 1),
    1,
  );
  assert.equal(await root.stage('score', async (child) => child.stage('inner', () => 2)), 2);
  assert.throws(
    () =>
      root.stage('filter', () => {
        throw new Error('bad rule');
      }),
    /bad rule/,
  );
  await assert.rejects(
    root.stage('order', async () => {
      throw new Error('late');
    }),
    /late/,
  );
  root.span.end();
  const spans = exporter.getFinishedSpans();
  const byName = new Map(spans.map((s) => [s.name, s]));
  const rootId = root.span.spanContext().spanId;
  for (const name of ['retrieve', 'score', 'filter', 'order'])
    assert.equal(byName.get(name)?.parentSpanContext?.spanId, rootId, name);
  assert.equal(
    byName.get('inner')?.parentSpanContext?.spanId,
    byName.get('score')?.spanContext().spanId,
  );
  assert.equal(byName.get('filter')?.status.code, 2);
  assert.equal(byName.get('order')?.events[0]?.name, 'exception');
  assert.equal(new Set(spans.map((s) => s.spanContext().traceId)).size, 1);
  await tracing.shutdown();
});

test('a W3C traceparent continues the caller trace; junk starts a new one', () => {
  const parent = trace.getSpanContext(
    contextFromTraceparent('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'),
  );
  assert.equal(parent?.traceId, '0af7651916cd43dd8448eb211c80319c');
  assert.equal(parent?.isRemote, true);
  for (const junk of [
    undefined,
    '',
    'x'.repeat(55),
    '00-00000000000000000000000000000000-b7ad6b7169203331-01',
    'ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  ])
    assert.equal(trace.getSpanContext(contextFromTraceparent(junk)), undefined, String(junk));
  assert.equal(otlpTracesUrl('http://collector:4318'), 'http://collector:4318/v1/traces');
  assert.equal(otlpTracesUrl('http://c:4318/v1/traces'), 'http://c:4318/v1/traces');
});
