import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, redactedConfig, type ConfigSources } from './load.js';
import { SETTINGS, type SettingDefinition } from './setting-table.js';

type Source = 'file' | 'env' | 'flag';

const scratch = mkdtempSync(join(tmpdir(), 'kindred-config-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
for (const name of ['from-file', 'from-env', 'from-flag']) writeFileSync(join(scratch, name), 'k');

function valueAt(config: object, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], config);
}

function sourcesWith(setting: SettingDefinition, values: Partial<Record<Source, unknown>>) {
  const sources: {
    file?: Record<string, unknown>;
    env?: Record<string, string>;
    flags?: Record<string, string | boolean>;
  } = {};
  if ('file' in values) sources.file = { [setting.path]: values.file };
  if ('env' in values) sources.env = { [setting.env]: values.env as string };
  if ('flag' in values) sources.flags = { [setting.path]: values.flag as string | boolean };
  return sources satisfies ConfigSources;
}

/** Three values of a setting as the file, env and flag would give them, with what each means. */
function threeValues(setting: SettingDefinition): {
  raw: [unknown, string, string];
  parsed: unknown[];
} {
  const type = setting.type;
  switch (type.kind) {
    case 'string': {
      // Paths of files that exist, so that a setting naming a file (auth.masterKeyFile) loads.
      const [a, b, c] = [
        join(scratch, 'from-file'),
        join(scratch, 'from-env'),
        join(scratch, 'from-flag'),
      ];
      return { raw: [a, b, c], parsed: [a, b, c] };
    }
    case 'integer':
    case 'number': {
      const middle =
        type.kind === 'integer' ? Math.floor((type.min + type.max) / 2) : (type.min + type.max) / 2;
      const [a, b, c] = [type.min, type.max, middle];
      return { raw: [a, String(b), String(c)], parsed: [a, b, c] };
    }
    case 'boolean':
      return { raw: [true, 'false', 'true'], parsed: [true, false, true] };
    case 'enum': {
      const [a, b] = type.values as [string, string];
      return { raw: [a, b, a], parsed: [a, b, a] };
    }
    case 'json':
      return { raw: [{ a: 1 }, '{"b":2}', '[3]'], parsed: [{ a: 1 }, { b: 2 }, [3]] };
  }
}

test('every setting: a flag beats its env variable, which beats the file, which beats the default', () => {
  for (const setting of SETTINGS) {
    const { raw, parsed } = threeValues(setting);
    const [file, env, flag] = raw;
    const read = (values: Partial<Record<Source, unknown>>): unknown =>
      valueAt(loadConfig(sourcesWith(setting, values)), setting.path);
    assert.deepEqual(read({}), setting.default, setting.path);
    assert.deepEqual(read({ file }), parsed[0], setting.path);
    assert.deepEqual(read({ file, env }), parsed[1], setting.path);
    assert.deepEqual(read({ file, env, flag }), parsed[2], setting.path);
    assert.deepEqual(read({ file, env: '' }), parsed[0], `${setting.path}: an empty env is unset`);
  }
});

test('the file takes nested and dotted keys', () => {
  assert.equal(loadConfig({ file: { server: { port: 9000 } } }).server.port, 9000);
  assert.equal(loadConfig({ file: { 'server.port': 9000 } }).server.port, 9000);
});

/** Values no source may give a setting: wrong type, out of range, not a choice, not JSON. */
function badValues(setting: SettingDefinition): { source: Source; raw: unknown }[] {
  const type = setting.type;
  const everywhere = (raw: string): { source: Source; raw: unknown }[] =>
    (['file', 'env', 'flag'] as const).map((source) => ({ source, raw }));
  switch (type.kind) {
    case 'string':
      return [{ source: 'file', raw: 5 }];
    case 'integer':
      return [
        ...everywhere('eighty'),
        ...everywhere(String(type.max + 1)),
        ...everywhere(String(type.min - 1)),
        ...everywhere(String(type.min + 0.5)),
        { source: 'file', raw: true },
      ];
    case 'number':
      return [
        ...everywhere('eighty'),
        ...everywhere(String(type.max * 2 + 1)),
        ...everywhere('Infinity'),
        { source: 'file', raw: [1] },
      ];
    case 'boolean':
      return [...everywhere('maybe'), { source: 'file', raw: 2 }];
    case 'enum':
      return [...everywhere('none-of-these'), { source: 'file', raw: 1 }];
    case 'json':
      return everywhere('{"unclosed":');
  }
}

function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

test('every setting: a bad value from any source is refused, naming the setting and the source', () => {
  for (const setting of SETTINGS) {
    const origin = {
      file: 'config file settings.json',
      env: `env ${setting.env}`,
      flag: `flag ${setting.flag?.name ?? setting.path}`,
    };
    for (const { source, raw } of badValues(setting)) {
      const sources = { ...sourcesWith(setting, { [source]: raw }), fileName: 'settings.json' };
      assert.throws(
        () => loadConfig(sources),
        (error: unknown) =>
          error instanceof ConfigError &&
          new RegExp(`^${escaped(origin[source])}: ${escaped(setting.path)} must be `).test(
            error.message,
          ),
        `${setting.path} from ${source}: ${JSON.stringify(raw)}`,
      );
    }
  }
});

test('messages say what was expected', () => {
  assert.throws(() => loadConfig({ env: { KINDRED_PORT: 'eighty' } }), {
    message: 'env KINDRED_PORT: server.port must be an integer from 0 to 65535, got "eighty"',
  });
  assert.throws(
    () => loadConfig({ flags: { 'events.unknownEntities': 'maybe' } }),
    /one of create, reject, got "maybe"/,
  );
});

test('unknown keys and settings groups given a plain value are refused, naming the file', () => {
  assert.throws(() => loadConfig({ file: { server: { prot: 1 } }, fileName: 'kindred.json' }), {
    message: 'config file kindred.json: unknown setting server.prot',
  });
  assert.throws(() => loadConfig({ file: { 'server.prot': 1 } }), /unknown setting server.prot/);
  assert.throws(
    () => loadConfig({ file: { server: 7878 } }),
    /config file: server must be an object of settings, got 7878/,
  );
});

test('interaction types are configurable as JSON', () => {
  const config = loadConfig({
    env: { KINDRED_INTERACTION_TYPES: '{"view":{"weight":1},"buy":{"weight":10}}' },
  });
  assert.deepEqual(Object.keys(config.interactions.types), ['view', 'buy']);
});

test('secrets are masked, and never echoed in a refusal', () => {
  const config = loadConfig({ env: { KINDRED_MASTER_KEY: 'super-secret' } });
  assert.equal(config.auth.masterKey, 'super-secret');
  assert.ok(!JSON.stringify(redactedConfig(config)).includes('super-secret'));
  assert.throws(
    () => loadConfig({ file: { auth: { masterKey: 12345 } } }),
    (error: unknown) =>
      error instanceof ConfigError &&
      error.message === 'config file: auth.masterKey must be a string',
  );
});

test('the master key can be read from a file, and only one of key and file is set', () => {
  const keyFile = join(scratch, 'master-key');
  writeFileSync(keyFile, '  s3cret-from-file\n');
  const config = loadConfig({ flags: { 'auth.masterKeyFile': keyFile } });
  assert.equal(config.auth.masterKey, 's3cret-from-file');
  assert.ok(!JSON.stringify(redactedConfig(config)).includes('s3cret'));
  assert.throws(
    () => loadConfig({ env: { KINDRED_MASTER_KEY: 'k', KINDRED_MASTER_KEY_FILE: keyFile } }),
    /auth.masterKeyFile .*: set either it or auth.masterKey, not both/,
  );
  const emptyFile = join(scratch, 'empty-key');
  writeFileSync(emptyFile, '\n');
  assert.throws(
    () => loadConfig({ env: { KINDRED_MASTER_KEY_FILE: emptyFile } }),
    /auth.masterKeyFile .*empty-key is empty/,
  );
  assert.throws(
    () => loadConfig({ env: { KINDRED_MASTER_KEY_FILE: join(scratch, 'missing') } }),
    /auth.masterKeyFile .*: cannot read .*missing/,
  );
});
