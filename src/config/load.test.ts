import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig, redactedConfig } from './load.js';

test('defaults, then file, then env, then flags', () => {
  assert.equal(loadConfig().server.port, 7878);
  assert.equal(loadConfig({ file: { server: { port: 9000 } } }).server.port, 9000);
  assert.equal(
    loadConfig({ file: { 'server.port': 9000 }, env: { KINDRED_PORT: '9100' } }).server.port,
    9100,
  );
  assert.equal(
    loadConfig({
      file: { server: { port: 9000 } },
      env: { KINDRED_PORT: '9100' },
      flags: { 'server.port': '9200' },
    }).server.port,
    9200,
  );
});

test('bad values and unknown keys are refused with the setting named', () => {
  assert.throws(
    () => loadConfig({ env: { KINDRED_PORT: 'eighty' } }),
    /KINDRED_PORT: server.port must be a number/,
  );
  assert.throws(() => loadConfig({ env: { KINDRED_PORT: '70000' } }), ConfigError);
  assert.throws(
    () => loadConfig({ env: { KINDRED_UNKNOWN_ENTITIES: 'maybe' } }),
    /one of create, reject/,
  );
  assert.throws(() => loadConfig({ file: { server: { prot: 1 } } }), /unknown setting server.prot/);
});

test('interaction types are configurable as JSON', () => {
  const config = loadConfig({
    env: { KINDRED_INTERACTION_TYPES: '{"view":{"weight":1},"buy":{"weight":10}}' },
  });
  assert.deepEqual(Object.keys(config.interactions.types), ['view', 'buy']);
});

test('secrets are masked', () => {
  const config = loadConfig({ env: { KINDRED_MASTER_KEY: 'super-secret' } });
  assert.equal(config.auth.masterKey, 'super-secret');
  assert.ok(!JSON.stringify(redactedConfig(config)).includes('super-secret'));
});
