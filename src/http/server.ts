import { createServer } from 'node:http';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
} from 'fastify';
import swagger from '@fastify/swagger';
import type { Logger } from 'pino';
import type { TSchema } from '@sinclair/typebox';
import { coercingAjv, strictAjv } from '../contracts/validation.js';
import { ERROR_CATALOG, KindredError } from '../errors/catalog.js';
import { sendError } from './errors.js';
import { ROW_VALIDATED, type HttpContext } from './context.js';
import { registerEventRoutes } from './routes/events.js';
import { registerCatalogRoutes } from './routes/catalog.js';
import { registerSystemRoutes } from './routes/system.js';
import { registerBackupRoutes } from './routes/backup.js';
import { registerRecommendationRoutes } from './routes/recommendations.js';
import { registerRecommendationStreamRoute } from './routes/recommendation-stream.js';
import { registerScenarioRoutes } from './routes/scenarios.js';
import { registerModelRoutes } from './routes/models.js';
import { registerSearchRoutes } from './routes/search.js';
import { registerApiKeyRoutes } from './routes/api-keys.js';
import { createGatewayParts, registerGateway } from '../gateway/gateway.js';
import { lazyRequestLogger } from './request-logger.js';
import { type DirectHandler, directRecommendations } from './direct-recommendations.js';

const VERSION = '0.1.0';
/** The framework's default, kept when the server is made here. */
const KEEP_ALIVE_TIMEOUT_MS = 72_000;

/** The HTTP API: routes, validation, errors and the OpenAPI document. No domain logic. */
export async function buildHttpServer(
  context: HttpContext,
  logger: Logger,
): Promise<FastifyInstance> {
  const { config } = context;
  // Set once the routes and the gateway exist; requests cannot arrive before `listen`.
  const hot: { direct?: DirectHandler } = {};
  const app: FastifyInstance = Fastify({
    // The hot read is answered on node:http before the framework (direct-recommendations.ts).
    serverFactory: (handler) => {
      const server = createServer((req, res) => {
        if (hot.direct === undefined || !hot.direct(req, res)) handler(req, res);
      });
      // What the framework sets on a server it creates itself.
      server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
      server.requestTimeout = config.server.requestTimeoutMs;
      return server;
    },
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    loggerInstance: logger as FastifyBaseLogger,
    // Per-request log lines cost throughput; failures are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: lazyRequestLogger,
    bodyLimit: config.server.bodyLimitBytes,
    requestTimeout: config.server.requestTimeoutMs,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    requestIdHeader: 'x-request-id',
    // The gateway answers requests that arrive while closing (503 NOT_READY, catalog body).
    return503OnClosing: false,
    routerOptions: { maxParamLength: 512 },
    // Router-level errors (bad percent-encoding, over-long parameters) get catalog codes too.
    frameworkErrors: (error, request, reply) => sendError(error, request, reply),
  });

  // Bodies are validated strictly (no coercion); query strings and paths are text and coerced.
  app.setValidatorCompiler(({ schema, httpPart }) => {
    if (httpPart === 'body') {
      if ((schema as Record<string, unknown>)[ROW_VALIDATED]) {
        return (body: unknown) =>
          body !== null && typeof body === 'object' && !Array.isArray(body)
            ? true
            : {
                error: new KindredError('INVALID_REQUEST', 'body must be a JSON object', {
                  path: 'body',
                }),
              };
      }
      return strictAjv.compile(schema as TSchema);
    }
    return coercingAjv.compile(schema as TSchema);
  });
  app.setSchemaErrorFormatter((errors, dataVar) => {
    const error = new Error(`${dataVar} is invalid`) as Error & {
      validation: unknown;
      validationContext: string;
    };
    error.validation = errors;
    error.validationContext = dataVar;
    return error;
  });
  app.setErrorHandler((error: FastifyError, request, reply) => sendError(error, request, reply));
  app.setNotFoundHandler((request, reply) => {
    sendError(
      new KindredError(
        'ROUTE_NOT_FOUND',
        `no route ${request.method} ${request.url.split('?')[0] ?? ''}`,
      ),
      request,
      reply,
    );
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    done(null, payload);
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Kindred',
        version: VERSION,
        description:
          'Real-time recommendations and search. Errors answer `{ error: { code, message, details } }` with these codes: ' +
          Object.entries(ERROR_CATALOG)
            .map(([code, entry]) => `\`${code}\` (${entry.status})`)
            .join(', '),
      },
      tags: [
        { name: 'events', description: 'Interactions between users and items' },
        { name: 'items', description: 'The catalog' },
        { name: 'users', description: 'Users and their data' },
        { name: 'health', description: 'Probes for orchestrators' },
        { name: 'admin', description: 'Operating the engine' },
        { name: 'recommendations', description: 'Personalized, similar and trending items' },
        { name: 'models', description: 'Trained model versions: metrics, training, rollback' },
        {
          name: 'search',
          description: 'Full-text, faceted, personalized and hybrid search; autocomplete',
        },
      ],
    },
  });

  // Auth, scopes, rate limits, shedding, timeouts, CORS, metrics, tracing: before the routes.
  const deps = {
    config,
    engine: context.engine,
    ...(context.spanExporter ? { spanExporter: context.spanExporter } : {}),
  };
  const gateway = registerGateway(app, deps, context.gateway ?? createGatewayParts(deps));
  registerApiKeyRoutes(app, gateway.keys);
  registerSystemRoutes(app, context);
  registerBackupRoutes(app, context);
  registerCatalogRoutes(app, context);
  registerEventRoutes(app, context);
  registerRecommendationRoutes(app, context);
  registerRecommendationStreamRoute(app, context);
  registerScenarioRoutes(app, context);
  registerModelRoutes(app, context);
  registerSearchRoutes(app, context);

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.ready();
  hot.direct = directRecommendations(context, app.kindredGateway, logger);
  return app;
}
