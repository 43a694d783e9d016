import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { loadConfig } from './load.js';
import { stringSetting } from './setting-schema.js';
import { SETTINGS, settingsOf, type SettingPath } from './setting-table.js';
import { CONFIG_SCHEMA, type KindredConfig } from './settings.js';

/** Dotted paths of a loaded config's leaves; a JSON setting's value is one leaf. */
function leafPaths(node: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(node).flatMap(([key, value]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    const isSetting = SETTINGS.some((s) => s.path === path);
    return isSetting || value === null || typeof value !== 'object'
      ? [path]
      : leafPaths(value as Record<string, unknown>, path);
  });
}

test('the loaded config has exactly the leaves of the settings table, and passes the schema', () => {
  const config = loadConfig();
  assert.deepEqual(
    leafPaths(config as unknown as Record<string, unknown>),
    SETTINGS.map((s) => s.path),
  );
  assert.ok(Value.Check(CONFIG_SCHEMA, config), [...Value.Errors(CONFIG_SCHEMA, config)].join());
});

test('the type derived from the schema is the one the code reads', () => {
  // Compile-time: these lines stop compiling when the schema and the type part ways.
  const port: KindredConfig['server']['port'] = 7878;
  const level: KindredConfig['log']['level'] = 'silent';
  const path: SettingPath = 'serving.categoryLists';
  // @ts-expect-error a key no setting has
  const unknownPath: SettingPath = 'server.prot';
  assert.deepEqual([port, level, path, unknownPath], [7878, 'silent', path, 'server.prot']);
});

test('every setting has a unique env variable, file key and flag, and a default its schema passes', () => {
  assert.equal(SETTINGS.length, 70);
  const unique = (values: readonly string[]): void =>
    assert.equal(new Set(values).size, values.length, values.join());
  unique(SETTINGS.map((s) => s.path));
  unique(SETTINGS.map((s) => s.env));
  unique(SETTINGS.flatMap((s) => (s.flag ? [s.flag.name] : [])));
  for (const setting of SETTINGS) {
    assert.match(setting.env, /^KINDRED_[A-Z0-9_]+$/, setting.path);
    assert.match(setting.path, /^[a-z][A-Za-z]*\.[a-z][A-Za-z]*$/, setting.path);
    assert.ok(setting.doc.length > 10, `${setting.path} has no doc`);
    assert.ok(Value.Check(setting.schema, setting.default), `${setting.path}: default`);
    if (setting.flag) assert.match(setting.flag.name, /^--[a-z][a-z-]*$/, setting.path);
    if (setting.secret) assert.equal(setting.flag, undefined, `${setting.path}: a secret in ps`);
  }
});

test('a leaf made without a setting builder is refused', () => {
  const grouped = Type.Object({
    server: Type.Object({
      host: stringSetting({ env: 'KINDRED_HOST', default: '', doc: 'Address to listen on.' }),
      port: Type.Integer(),
    }),
  });
  assert.throws(() => settingsOf(grouped), /server.port was not made by a setting builder/);
});
