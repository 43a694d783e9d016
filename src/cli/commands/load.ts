import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import type { Command } from 'commander';
import type { EventEnvelope } from '../../core/events/envelope.js';
import { openEngine } from '../../roles/open-engine.js';
import { addCommonOptions, configFromOptions } from '../context.js';
import { createProgress } from '../progress.js';
import { quietLogger } from './import.js';

const EVENTS_PER_APPEND = 1000;

interface DumpedEvent extends EventEnvelope {
  readonly kind: 'event';
}

/** A dump's event line, or undefined for its items and users (derived from the events). */
function eventOf(line: string, number: number): EventEnvelope | undefined {
  let value: Partial<DumpedEvent> & { kind?: string };
  try {
    value = JSON.parse(line) as typeof value;
  } catch {
    throw new Error(`line ${number} is not JSON`);
  }
  if (value.kind !== 'event') return undefined;
  const { id, type, version, occurredAt, receivedAt, partitionKey, payload, metadata } = value;
  if (
    typeof id !== 'string' ||
    typeof type !== 'string' ||
    typeof version !== 'number' ||
    typeof occurredAt !== 'number' ||
    typeof receivedAt !== 'number' ||
    typeof partitionKey !== 'string' ||
    typeof metadata !== 'object' ||
    metadata === null
  )
    throw new Error(`line ${number} is not an event of kindred export`);
  return { id, type, version, occurredAt, receivedAt, partitionKey, payload, metadata };
}

export function registerLoad(program: Command): void {
  addCommonOptions(program.command('load'))
    .description(
      'load the output of kindred export (JSON lines, optionally gzipped; of this or an earlier version) into an ' +
        'empty deployment: the events keep their ids, types, versions and times, are upcast as they are read, ' +
        'and the read models are rebuilt from them',
    )
    .argument('<file>', 'a file written by kindred export')
    .action(async (file: string, options: Record<string, unknown>, command: Command) => {
      const config = configFromOptions(options);
      const logger = quietLogger(options, config);
      const engine = openEngine(config, logger);
      const started = performance.now();
      let events = 0;
      try {
        if ((await engine.log.lastOffset()) !== 0)
          throw new Error(
            'the deployment already has events: load a dump into an empty one (its history would be reordered)',
          );
        const bytes = (await stat(file)).size;
        const input = createReadStream(file);
        let read = 0;
        input.on('data', (chunk) => (read += chunk.length));
        const lines = createInterface({
          input: file.endsWith('.gz') ? input.pipe(createGunzip()) : input,
          crlfDelay: Number.POSITIVE_INFINITY,
        });
        const progress = createProgress('load', bytes, 'bytes');
        let batch: EventEnvelope[] = [];
        let number = 0;
        for await (const line of lines) {
          number++;
          if (line.trim() === '') continue;
          const event = eventOf(line, number);
          if (event === undefined) continue;
          batch.push(event);
          if (batch.length === EVENTS_PER_APPEND) {
            await engine.log.append(batch);
            events += batch.length;
            batch = [];
            progress.update(read);
          }
        }
        if (batch.length > 0) await engine.log.append(batch);
        events += batch.length;
        progress.update(bytes);
        progress.stop();
        await engine.start({});
      } catch (error) {
        await engine.close({ snapshot: false }).catch(() => undefined);
        command.error(`kindred load: ${(error as Error).message}`, { exitCode: 1 });
      }
      const models = engine.readModels;
      const summary = {
        events,
        position: models.checkpoint,
        items: models.catalog.size,
        users: models.users.size,
        interactions: models.histories.size,
        checksum: models.checksum(),
        seconds: Number(((performance.now() - started) / 1000).toFixed(3)),
      };
      await engine.close();
      process.stdout.write(`${JSON.stringify(summary)}\n`);
    });
}
