import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { Engine } from '../../src/app/engine.js';
import { MemoryEventLog } from '../../src/adapters/memory/memory-event-log.js';
import { MemoryStateStore } from '../../src/adapters/memory/memory-state-store.js';
import { createModelServices, type ModelServices } from '../../src/app/training/model-services.js';
import { loadConfig } from '../../src/config/load.js';
import type { KindredConfig } from '../../src/config/settings.js';
import { buildHttpServer } from '../../src/http/server.js';

export interface InProcessEngine {
  readonly engine: Engine;
  readonly app: FastifyInstance;
  readonly config: KindredConfig;
  /** Present when started with `{ models: true }`. */
  readonly models?: ModelServices;
  close(): Promise<void>;
}

/**
 * The real engine and HTTP API over in-memory adapters, driven with `app.inject`; with
 * `{ models: true }` also the models module (recommendations, scenarios, training), as a
 * server runs it, without its training schedule.
 */
export async function startInProcess(
  env: Record<string, string> = {},
  options: { models?: boolean } = {},
): Promise<InProcessEngine> {
  // `app.inject` runs request after request without returning to the event loop, which
  // the gateway's delay guard would read as a queue: off unless a test asks for it.
  const config = loadConfig({
    env: { KINDRED_MAX_EVENT_LOOP_DELAY_MS: '0', KINDRED_TRAINING_ON_START: 'false', ...env },
  });
  const logger = pino({ level: 'silent' });
  const engine = new Engine({
    config,
    log: new MemoryEventLog(),
    store: new MemoryStateStore(),
    logger,
  });
  await engine.start({ follow: true });
  const models = options.models === true ? createModelServices(engine, config, logger) : undefined;
  await models?.start({ schedule: false });
  const app = await buildHttpServer(
    { engine, config, ready: () => true, ...(models === undefined ? {} : { models }) },
    logger,
  );
  return {
    engine,
    app,
    config,
    ...(models === undefined ? {} : { models }),
    close: async () => {
      await app.close();
      await models?.stop();
      await engine.close();
    },
  };
}

export interface JsonResponse {
  readonly status: number;
  readonly body: Record<string, unknown> & {
    error?: { code: string; message: string; details: Record<string, unknown> };
  };
  readonly headers: Record<string, unknown>;
}

export async function call(
  app: FastifyInstance,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  url: string,
  payload?: unknown,
  headers: Record<string, string> = {},
): Promise<JsonResponse> {
  const response = await app.inject({
    method,
    url,
    ...(payload === undefined
      ? {}
      : typeof payload === 'string' || Buffer.isBuffer(payload)
        ? { payload, headers: { 'content-type': 'application/json', ...headers } }
        : {
            payload: JSON.stringify(payload),
            headers: { 'content-type': 'application/json', ...headers },
          }),
    ...(payload === undefined ? { headers } : {}),
  });
  const text = response.body;
  return {
    status: response.statusCode,
    body: text ? (JSON.parse(text) as JsonResponse['body']) : {},
    headers: response.headers,
  };
}
