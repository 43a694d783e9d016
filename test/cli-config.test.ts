// The CLI's settings end to end: flags generated from the schema, their precedence over env
// variables and the config file, and refusals of bad values from each, by `kindred config`.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SETTINGS } from '../src/config/setting-table.js';
import { makeDataDir, runKindred } from './support/server-process.js';

const dir = makeDataDir('kindred-cli-config-');
after(() => dir.remove());

const configFile = join(dir.path, 'kindred.json');
writeFileSync(configFile, JSON.stringify({ server: { port: 8000 }, training: { threads: 3 } }));

async function effectiveConfig(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ server: { port: number }; training: Record<string, unknown> }> {
  const result = await runKindred(['config', '--config', configFile, ...args], { env });
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as {
    server: { port: number };
    training: Record<string, unknown>;
  };
}

test('a flag beats the env variable, which beats the config file', async () => {
  assert.equal((await effectiveConfig([])).server.port, 8000);
  assert.equal((await effectiveConfig([], { KINDRED_PORT: '9000' })).server.port, 9000);
  const flagged = await effectiveConfig(
    ['--port', '9100', '--no-train-on-start', '--training-threads', '4'],
    { KINDRED_PORT: '9000', KINDRED_TRAINING_ON_START: 'true' },
  );
  assert.equal(flagged.server.port, 9100);
  assert.equal(flagged.training['onStart'], false);
  assert.equal(flagged.training['threads'], 4);
});

test('a bad value from a flag, an env variable or the file stops the command, naming the setting', async () => {
  const refusals: [string[], Record<string, string>, RegExp][] = [
    [['--port', 'eighty'], {}, /^kindred: flag --port: server\.port must be an integer/],
    [
      [],
      { KINDRED_TRAINING_ON_START: 'maybe' },
      /^kindred: env KINDRED_TRAINING_ON_START: training\.onStart must be true or false/,
    ],
    [['--log-level', 'loud'], {}, /^kindred: flag --log-level: log\.level must be one of fatal/],
  ];
  for (const [args, env, message] of refusals) {
    const result = await runKindred(['config', ...args], { env });
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, message);
  }
  const badFile = join(dir.path, 'bad.json');
  writeFileSync(badFile, JSON.stringify({ server: { prot: 1 } }));
  const result = await runKindred(['config', '--config', badFile]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /config file .*bad\.json: unknown setting server\.prot/);
});

test('serve takes every flag the schema marks; other commands only those for every command', async () => {
  const help = async (command: string[]): Promise<string> => {
    const result = await runKindred([...command, '--help']);
    assert.equal(result.code, 0, result.stderr);
    return result.stdout;
  };
  const serve = await help(['serve']);
  const importHelp = await help(['import']);
  for (const setting of SETTINGS) {
    if (setting.flag === undefined) continue;
    assert.ok(serve.includes(`${setting.flag.name} `), `serve --help lacks ${setting.flag.name}`);
    assert.equal(
      importHelp.includes(`${setting.flag.name} `),
      setting.flag.commands === 'every',
      `import --help and ${setting.flag.name}`,
    );
  }
});
