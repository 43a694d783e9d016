// The engine with its models module and the HTTP API on a real socket, over in-memory
// storage: for tests of recommendations, training and swaps that want real HTTP.
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { Engine } from '../../src/app/engine.js';
import { MemoryEventLog } from '../../src/adapters/memory/memory-event-log.js';
import { MemoryStateStore } from '../../src/adapters/memory/memory-state-store.js';
import { createModelServices, type ModelServices } from '../../src/app/training/model-services.js';
import { loadConfig } from '../../src/config/load.js';
import type { KindredConfig } from '../../src/config/settings.js';
import type { EventBodyT } from '../../src/contracts/schemas.js';
import { buildHttpServer } from '../../src/http/server.js';
import { JsonClient } from './server-process.js';

export interface ModelServer {
  readonly engine: Engine;
  readonly models: ModelServices;
  readonly config: KindredConfig;
  readonly url: string;
  readonly client: JsonClient;
  /** The framework app: `inject` goes through its routes, past the direct ones. */
  readonly app: FastifyInstance;
  /** Records interactions straight through the write path, in batches. */
  record(events: readonly EventBodyT[]): Promise<void>;
  close(): Promise<void>;
}

/** Starts without a schedule (tests train when they mean to) unless `schedule` is set. */
export async function startModelServer(
  env: Record<string, string> = {},
  options: { schedule?: boolean; spanExporter?: SpanExporter } = {},
): Promise<ModelServer> {
  const config = loadConfig({ env: { KINDRED_TRAINING_ON_START: 'false', ...env } });
  const logger = pino({ level: process.env['KINDRED_TEST_LOG'] ?? 'silent' });
  const engine = new Engine({
    config,
    log: new MemoryEventLog(),
    store: new MemoryStateStore(),
    logger,
  });
  await engine.start({ follow: true });
  const models = createModelServices(engine, config, logger);
  await models.start({ schedule: options.schedule ?? false });
  const app = await buildHttpServer(
    {
      engine,
      config,
      ready: () => true,
      models,
      ...(options.spanExporter ? { spanExporter: options.spanExporter } : {}),
    },
    logger,
  );
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  const client = new JsonClient(address, { maxSockets: 64 });
  return {
    engine,
    models,
    config,
    url: address,
    client,
    app,
    async record(events) {
      const batch = config.events.maxBatch;
      for (let start = 0; start < events.length; start += batch)
        await engine.writes.recordInteractions(events.slice(start, start + batch), {
          source: 'test',
        });
    },
    async close() {
      client.close();
      await app.close();
      await models.stop();
      await engine.close();
    },
  };
}
