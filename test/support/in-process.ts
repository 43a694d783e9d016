import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { Engine } from '../../src/app/engine.js';
import { MemoryEventLog } from '../../src/adapters/memory/memory-event-log.js';
import { MemoryStateStore } from '../../src/adapters/memory/memory-state-store.js';
import { loadConfig } from '../../src/config/load.js';
import type { KindredConfig } from '../../src/config/settings.js';
import { buildHttpServer } from '../../src/http/server.js';

export interface InProcessEngine {
  readonly engine: Engine;
  readonly app: FastifyInstance;
  readonly config: KindredConfig;
  close(): Promise<void>;
}

/** The real engine and HTTP API over in-memory adapters, driven with `app.inject`. */
export async function startInProcess(env: Record<string, string> = {}): Promise<InProcessEngine> {
  // `app.inject` runs request after request without returning to the event loop, which
  // the gateway's delay guard would read as a queue: off unless a test asks for it.
  const config = loadConfig({ env: { KINDRED_MAX_EVENT_LOOP_DELAY_MS: '0', ...env } });
  const logger = pino({ level: 'silent' });
  const engine = new Engine({
    config,
    log: new MemoryEventLog(),
    store: new MemoryStateStore(),
    logger,
  });
  await engine.start({ follow: true });
  const app = await buildHttpServer({ engine, config, ready: () => true }, logger);
  return {
    engine,
    app,
    config,
    close: async () => {
      await app.close();
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
