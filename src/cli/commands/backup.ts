import type { Command } from 'commander';
import { openEventLog, openStateStore } from '../../adapters/registry.js';
import { createWriteStream } from 'node:fs';
import { setPriority } from 'node:os';
import { spawnSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import {
  BackupError,
  type BackupManifest,
  readBackupManifest,
} from '../../app/backup/backup-file.js';
import { restoreBackup, takeBackup } from '../../app/backup/backup.js';
import type { KindredConfig } from '../../config/settings.js';
import { addCommonOptions, configFromOptions } from '../context.js';

function storageOf(config: KindredConfig): Parameters<typeof openEventLog>[0] {
  return {
    dataDir: config.data.dir,
    eventLog: config.storage.eventLog,
    state: config.storage.state,
    synchronous: config.storage.synchronous,
  };
}

export function registerBackup(program: Command): void {
  addCommonOptions(program.command('backup'))
    .description(
      'write a consistent backup of the data directory (event log, snapshots, models, scenarios, API keys as stored) ' +
        'to a new file, while a server on it goes on serving and taking writes; prints its position and checksums',
    )
    .requiredOption('--out <file>', 'the backup file to create (must not exist)')
    .option(
      '--from <url>',
      "a running server's URL: the backup comes through its API (admin scope; the key from KINDRED_API_KEY)",
    )
    .action(async (options: Record<string, unknown>, command: Command) => {
      if (options['from'] !== undefined) {
        try {
          const manifest = await backupFromServer(String(options['from']), String(options['out']));
          process.stdout.write(
            `${JSON.stringify({ file: options['out'], position: manifest.position, parts: manifest.parts })}\n`,
          );
        } catch (error) {
          command.error(`kindred backup: ${(error as Error).message}`, { exitCode: 1 });
        }
        return;
      }
      yieldToServers();
      const config = configFromOptions(options);
      const storage = storageOf(config);
      const log = openEventLog(storage);
      const store = openStateStore(storage);
      const started = performance.now();
      try {
        const manifest = await takeBackup({ log, store }, String(options['out']), (stage) => {
          if (stage !== 'done') process.stderr.write(`backup: ${stage}...\n`);
        });
        process.stdout.write(
          `${JSON.stringify({
            file: options['out'],
            position: manifest.position,
            seconds: Number(((performance.now() - started) / 1000).toFixed(3)),
            bytes: manifest.parts.reduce((sum, part) => sum + part.bytes, 0),
            parts: manifest.parts,
          })}\n`,
        );
      } catch (error) {
        command.error(`kindred backup: ${(error as Error).message}`, { exitCode: 1 });
      } finally {
        await log.close();
        await store.close();
      }
    });

  addCommonOptions(program.command('restore'))
    .description(
      'restore a backup file into a new or empty data directory (--data), checking its format and every checksum first; ' +
        'a refused restore changes nothing',
    )
    .argument('<file>', 'a file written by kindred backup')
    .action(async (file: string, options: Record<string, unknown>, command: Command) => {
      const config = configFromOptions(options);
      if (config.storage.eventLog !== '' || config.storage.state !== '')
        command.error(
          'kindred restore: a backup restores the embedded store into --data; unset the storage URLs (KINDRED_EVENT_LOG, KINDRED_STATE_STORE)',
          { exitCode: 2 },
        );
      const started = performance.now();
      try {
        const manifest = await restoreBackup(file, config.data.dir);
        process.stdout.write(
          `${JSON.stringify({
            data: config.data.dir,
            position: manifest.position,
            createdAt: manifest.createdAt,
            seconds: Number(((performance.now() - started) / 1000).toFixed(3)),
          })}\n`,
        );
      } catch (error) {
        const code = error instanceof BackupError ? `${error.code}: ` : '';
        command.error(`kindred restore: ${code}${(error as Error).message}`, { exitCode: 1 });
      }
    });
}

/** Downloads a backup from a server's API into `out`, then checks it is whole. */
async function backupFromServer(url: string, out: string): Promise<BackupManifest> {
  const key = process.env['KINDRED_API_KEY'];
  const answer = await fetch(new URL('/v1/admin/backup', url), {
    headers: key === undefined ? {} : { authorization: `Bearer ${key}` },
  });
  if (!answer.ok || answer.body === null)
    throw new Error(`${url} answered ${answer.status}: ${await answer.text()}`);
  try {
    await pipeline(
      Readable.fromWeb(answer.body as WebReadableStream<Uint8Array>),
      createWriteStream(out, { flags: 'wx' }),
    );
    return (await readBackupManifest(out)).manifest;
  } catch (error) {
    // A file that was there before is not ours to remove.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') await rm(out, { force: true });
    throw error;
  }
}

/**
 * A backup is a batch job beside a server on the same machine: it takes the lowest CPU
 * and I/O priority (Linux's `ionice -c3` where it exists), for this thread and the threads
 * it starts afterwards. Writing half a gigabyte at full priority put a serving process's
 * p99 at 176 - 313 ms (5 - 7 ms without a backup): the page cache it dirties throttles the
 * server's own writes.
 */
function yieldToServers(): void {
  try {
    setPriority(19);
  } catch {
    // Not permitted: the usual priority.
  }
  if (process.platform === 'linux')
    spawnSync('ionice', ['-c', '3', '-p', String(process.pid)], { stdio: 'ignore' });
}
