import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KindredMetrics, telemetry } from './metrics.js';

test('the model, training and cache hooks show up in every registry', async () => {
  const metrics = new KindredMetrics({
    engineStatus: async () => ({ checkpoint: 90, lastOffset: 100, lag: 10 }),
  });
  const before = (await metrics.render()).body;
  assert.ok(!before.includes('kindred_model_info{'), 'nothing until a model is published');
  telemetry.modelPublished('ials', 'v7', Date.now() - 60_000);
  telemetry.modelPublished('ials', 'v8', Date.now() - 30_000);
  telemetry.trainingFinished('ials', 12.5);
  const cache = telemetry.cache('test-recommendations');
  cache.hit(3);
  cache.miss();
  const text = (await metrics.render()).body;
  assert.match(text, /kindred_model_info\{model="ials",version="v8"\} 1/);
  assert.ok(!text.includes('version="v7"'), 'the previous version is gone');
  const age = Number(/kindred_model_age_seconds\{model="ials"\} ([\d.]+)/.exec(text)?.[1]);
  assert.ok(age >= 29 && age < 60, `age ${age}`);
  assert.match(text, /kindred_training_duration_seconds_count\{model="ials",outcome="ok"\} 1/);
  assert.match(text, /kindred_cache_hit_ratio\{cache="test-recommendations"\} 0.75/);
  assert.match(text, /kindred_projection_lag_events 10/);
  assert.match(text, /process_resident_memory_bytes \d+/);
  assert.match(text, /kindred_event_loop_delay_seconds/);
  metrics.close();
});

test('a sample with no value yet is written NaN, as the text format spells it', async () => {
  const metrics = new KindredMetrics();
  const text = (await metrics.render()).body;
  metrics.close();
  assert.match(text, /^nodejs_eventloop_lag_mean_seconds NaN$/m, 'no lag measured yet');
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const value = line.slice(line.lastIndexOf(' ') + 1);
    assert.ok(
      value === 'NaN' || value === '+Inf' || value === '-Inf' || Number.isFinite(Number(value)),
      line,
    );
  }
});
