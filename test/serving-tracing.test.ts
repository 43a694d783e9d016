// A traced recommendation request: one server span with a child span per pipeline stage.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { startModelServer, type ModelServer } from './support/model-server.js';
import { plantedInteractions, TEST_PIPELINE } from './support/planted-data.js';

const exporter = new InMemorySpanExporter();
let kindred: ModelServer;

before(async () => {
  kindred = await startModelServer(
    { KINDRED_TRAINING_PIPELINE: TEST_PIPELINE, KINDRED_TRACE_SAMPLE_RATIO: '1' },
    { spanExporter: exporter },
  );
  await kindred.record(plantedInteractions({ blocks: 3, usersPerBlock: 10 }).events);
  const trained = await kindred.client.post('/v1/models/train?wait=true', {});
  assert.equal(trained.status, 200, trained.text);
});
after(() => kindred.close());

test('a recommendation request shows a server span with retrieve, filter, score and order under it', async () => {
  exporter.reset();
  const response = await kindred.client.get('/v1/users/u1-1/recommendations?k=5');
  assert.equal(response.status, 200, response.text);
  const spans = exporter.getFinishedSpans();
  const server = spans.find((span) => span.name === 'GET /v1/users/:id/recommendations');
  assert.ok(server, spans.map((span) => span.name).join());
  const children = spans.filter(
    (span) => span.parentSpanContext?.spanId === server.spanContext().spanId,
  );
  assert.deepEqual(
    children.map((span) => span.name),
    ['retrieve', 'filter', 'score', 'order'],
  );
  for (const child of children) {
    assert.equal(child.spanContext().traceId, server.spanContext().traceId);
    const [start, end] = [child.startTime, child.endTime];
    assert.ok(end[0] * 1e9 + end[1] >= start[0] * 1e9 + start[1]);
  }
});
