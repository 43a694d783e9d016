// A Kindred HTTP app like `buildHttpServer` builds (same options, validation, errors and
// gateway, the real routes), plus a fake recommendation route whose four stages
// (retrieve -> filter -> score -> order) do a tunable amount of CPU work inside traced
// stages. Tests of tracing use it in-process; the overload test and bench run it in a
// child process (`staged-server.ts`). The real pipeline plugs into the same tracing API.
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
} from 'fastify';
import { pino, type Logger } from 'pino';
import { Type } from '@sinclair/typebox';
import type { TSchema } from '@sinclair/typebox';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { Engine } from '../../src/app/engine.js';
import { MemoryEventLog } from '../../src/adapters/memory/memory-event-log.js';
import { MemoryStateStore } from '../../src/adapters/memory/memory-state-store.js';
import { loadConfig } from '../../src/config/load.js';
import type { KindredConfig } from '../../src/config/settings.js';
import { coercingAjv, strictAjv } from '../../src/contracts/validation.js';
import { KindredError } from '../../src/errors/catalog.js';
import { registerGateway, requestTrace, type Gateway } from '../../src/gateway/gateway.js';
import { registerApiKeyRoutes } from '../../src/http/routes/api-keys.js';
import { ROW_VALIDATED } from '../../src/http/context.js';
import { sendError } from '../../src/http/errors.js';
import { registerCatalogRoutes } from '../../src/http/routes/catalog.js';
import { registerEventRoutes } from '../../src/http/routes/events.js';
import { registerSystemRoutes } from '../../src/http/routes/system.js';
import type { StateStore } from '../../src/ports/state-store.js';

export const STAGED_ROUTE = '/v1/test/recommendations/:userId';
export const STAGES = ['retrieve', 'filter', 'score', 'order'] as const;

export interface StagedApp {
  readonly app: FastifyInstance;
  readonly engine: Engine;
  readonly config: KindredConfig;
  /** (Absent when built with `gateway: false`.) */
  readonly gateway: Gateway;
  close(): Promise<void>;
}

export interface StagedAppOptions {
  readonly env?: Record<string, string>;
  readonly logger?: Logger;
  readonly spanExporter?: SpanExporter;
  readonly store?: StateStore;
  readonly now?: () => number;
  /** false: no gateway at all (to measure what it costs). */
  readonly gateway?: boolean;
}

/** CPU work for `microseconds` of wall time (a busy loop, like a scoring kernel). */
export function burn(microseconds: number, seed: number): number {
  let x = seed | 0 || 1;
  const end = performance.now() + microseconds / 1000;
  do {
    for (let i = 0; i < 64; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
    }
  } while (performance.now() < end);
  return x;
}

export async function buildStagedApp(options: StagedAppOptions = {}): Promise<StagedApp> {
  const config = loadConfig({ env: options.env ?? {} });
  const logger = options.logger ?? pino({ level: 'silent' });
  const engine = new Engine({
    config,
    log: new MemoryEventLog(),
    store: options.store ?? new MemoryStateStore(),
    logger,
  });
  await engine.start({ follow: true });
  const app: FastifyInstance = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.server.bodyLimitBytes,
    requestTimeout: config.server.requestTimeoutMs,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    requestIdHeader: 'x-request-id',
    return503OnClosing: false,
    routerOptions: { maxParamLength: 512 },
  });
  app.setValidatorCompiler(({ schema, httpPart }) => {
    if (httpPart === 'body') {
      if ((schema as Record<string, unknown>)[ROW_VALIDATED])
        return (body: unknown) =>
          body !== null && typeof body === 'object' && !Array.isArray(body)
            ? true
            : { error: new KindredError('INVALID_REQUEST', 'body must be a JSON object') };
      return strictAjv.compile(schema as TSchema);
    }
    return coercingAjv.compile(schema as TSchema);
  });
  app.setErrorHandler((error: FastifyError, request, reply) => sendError(error, request, reply));
  app.setNotFoundHandler((request, reply) =>
    sendError(new KindredError('ROUTE_NOT_FOUND', `no route ${request.method}`), request, reply),
  );
  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('x-request-id', request.id);
    return payload;
  });
  const gateway = (options.gateway === false ? () => undefined : registerGateway)(app, {
    config,
    engine,
    ...(options.spanExporter ? { spanExporter: options.spanExporter } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  // As the real server: the gateway's key store behind the routes that manage it.
  if (gateway !== undefined) registerApiKeyRoutes(app, gateway.keys);
  const context = { engine, config, ready: () => true };
  registerSystemRoutes(app, context);
  registerCatalogRoutes(app, context);
  registerEventRoutes(app, context);

  app.get(
    STAGED_ROUTE,
    {
      config: { policy: { scope: 'recommendations:read', pool: 'read' } },
      schema: {
        params: Type.Object({ userId: Type.String({ maxLength: 256 }) }),
        querystring: Type.Object(
          {
            work: Type.Optional(
              Type.Integer({
                minimum: 0,
                maximum: 1_000_000,
                default: 200,
                description: 'microseconds of CPU work',
              }),
            ),
            k: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 10 })),
            fail: Type.Optional(Type.Boolean({ default: false })),
            sleep: Type.Optional(Type.Integer({ minimum: 0, maximum: 60_000, default: 0 })),
          },
          { additionalProperties: false },
        ),
      },
    } as never,
    async (request) => {
      const { userId } = request.params as { userId: string };
      const {
        work = 200,
        k = 10,
        fail = false,
        sleep = 0,
      } = request.query as {
        work?: number;
        k?: number;
        fail?: boolean;
        sleep?: number;
      };
      const trace = requestTrace(request);
      request.log.info({ userId }, 'staged recommendation');
      const seed = userId.length + 1;
      const candidates = trace.stage('retrieve', (stage) => {
        stage.setAttribute('kindred.candidates', 50);
        burn(work * 0.4, seed);
        return Array.from({ length: 50 }, (_, i) => `item-${(seed * 31 + i) % 997}`);
      });
      const filtered = trace.stage('filter', () => {
        burn(work * 0.1, seed);
        return candidates.filter((_, i) => i % 5 !== 0);
      });
      const scored = await trace.stage('score', async () => {
        burn(work * 0.4, seed);
        await (sleep > 0
          ? new Promise((resolve) => setTimeout(resolve, sleep))
          : Promise.resolve());
        if (fail) throw new KindredError('INTERNAL', 'scoring failed on purpose');
        return filtered.map((id, i) => ({ id, score: 1 / (i + 1) }));
      });
      const ordered = trace.stage('order', () => {
        burn(work * 0.1, seed);
        return scored.sort((a, b) => b.score - a.score).slice(0, k);
      });
      return { userId, items: ordered };
    },
  );
  await app.ready();
  return {
    app,
    engine,
    config,
    gateway: gateway as Gateway,
    close: async () => {
      await app.close();
      await engine.close();
    },
  };
}
