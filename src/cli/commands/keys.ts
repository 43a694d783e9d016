import type { Command } from 'commander';
import { openStateStore } from '../../adapters/registry.js';
import type { KindredConfig } from '../../config/settings.js';
import { isKindredError } from '../../errors/catalog.js';
import { ApiKeyStore, keyView } from '../../gateway/api-keys.js';
import { SCOPES } from '../../gateway/scopes.js';
import { addCommonOptions, configFromOptions } from '../context.js';

/** `30d`, `12h`, `90m`, `3600s`, `3600` (seconds), or an ISO-8601 time: unix ms. */
export function parseExpiry(text: string, now = Date.now()): number {
  const relative = /^(\d+)\s*([smhdw]?)$/i.exec(text.trim());
  if (relative) {
    const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 }[
      (relative[2] ?? '').toLowerCase()
    ] as number;
    return now + Number(relative[1]) * unit * 1000;
  }
  const at = Date.parse(text);
  if (!Number.isFinite(at))
    throw new Error(`--expires must be a duration (30d, 12h) or an ISO-8601 time, got "${text}"`);
  return at;
}

const list = (value: string): string[] =>
  value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');

/**
 * Runs a key command against the state store the config names. It works while a server
 * runs on the same data: the server re-reads keys every `keys.refreshSeconds`.
 */
async function withKeys<T>(
  config: KindredConfig,
  run: (keys: ApiKeyStore) => Promise<T>,
): Promise<T> {
  const store = openStateStore({
    dataDir: config.data.dir,
    eventLog: config.storage.eventLog,
    state: config.storage.state,
    synchronous: config.storage.synchronous,
  });
  try {
    const keys = new ApiKeyStore(store);
    await keys.refresh();
    return await run(keys);
  } finally {
    await store.close();
  }
}

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

function fail(error: unknown): void {
  const message = isKindredError(error)
    ? `${error.code}: ${error.message}`
    : error instanceof Error
      ? error.message
      : String(error);
  process.stderr.write(`kindred keys: ${message}\n`);
  process.exitCode = 1;
}

export function registerKeys(program: Command): void {
  const keys = program
    .command('keys')
    .description('create, list, rotate and revoke API keys (stored hashed in the state store)');

  addCommonOptions(keys.command('create'))
    .description('create a key and print it (the only time its secret is shown)')
    .requiredOption('--name <name>', 'what the key is for, e.g. "storefront"')
    .requiredOption('--scopes <list>', `comma-separated scopes: ${SCOPES.join(', ')}`)
    .option(
      '--origins <list>',
      'comma-separated browser origins (https://shop.example): makes it a browser key',
    )
    .option('--expires <when>', 'a duration (30d, 12h) or an ISO-8601 time')
    .action(async (options: Record<string, unknown>) => {
      try {
        const config = configFromOptions(options);
        const created = await withKeys(config, (store) =>
          store.create({
            name: String(options['name']),
            scopes: list(String(options['scopes'])),
            origins: options['origins'] ? list(String(options['origins'])) : [],
            expiresAt: options['expires'] ? parseExpiry(String(options['expires'])) : null,
          }),
        );
        print({ ...keyView(created.record), key: created.token });
      } catch (error) {
        fail(error);
      }
    });

  addCommonOptions(keys.command('list'))
    .description('list keys (never their secrets)')
    .action(async (options: Record<string, unknown>) => {
      try {
        const config = configFromOptions(options);
        const now = Date.now();
        print({
          keys: await withKeys(config, async (store) => store.list().map((r) => keyView(r, now))),
        });
      } catch (error) {
        fail(error);
      }
    });

  addCommonOptions(keys.command('rotate <id>'))
    .description('issue a new secret for a key (same id, scopes and origins) and print it')
    .option('--grace <seconds>', 'how long the old secret keeps working (default 0)', '0')
    .action(async (id: string, options: Record<string, unknown>) => {
      try {
        const config = configFromOptions(options);
        const grace = Number(options['grace']);
        if (!Number.isInteger(grace) || grace < 0) throw new Error('--grace must be whole seconds');
        const rotated = await withKeys(config, (store) =>
          store.rotate(id, { gracePeriodSeconds: grace }),
        );
        print({ ...keyView(rotated.record), key: rotated.token });
      } catch (error) {
        fail(error);
      }
    });

  addCommonOptions(keys.command('revoke <id>'))
    .description('revoke a key for good')
    .action(async (id: string, options: Record<string, unknown>) => {
      try {
        const config = configFromOptions(options);
        print(keyView(await withKeys(config, (store) => store.revoke(id))));
      } catch (error) {
        fail(error);
      }
    });
}
