import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { KindredConfig } from '../config/settings.js';
import { redactedConfig } from '../config/load.js';
import type { Engine } from '../app/engine.js';
import { createGatewayParts } from '../gateway/gateway.js';
import { buildHttpServer } from '../http/server.js';
import { createModelServices, type ModelServices } from '../app/training/model-services.js';
import { openEngine } from './open-engine.js';
import { openSharedRateLimiter } from '../adapters/registry.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export interface RunningServer {
  readonly engine: Engine;
  readonly http: FastifyInstance;
  readonly url: string;
  /** Recommendations, training and the model registry. */
  readonly models: ModelServices;
  /** Stops accepting, drains in-flight requests, snapshots and closes storage. */
  stop(): Promise<void>;
}

/**
 * The embedded role: one process, the SQLite store in the data directory, every module
 * in-process. It only wires modules together.
 */
export async function startEmbeddedServer(
  config: KindredConfig,
  logger: Logger,
): Promise<RunningServer> {
  let host = config.server.host;
  if (!config.auth.masterKey && !LOOPBACK.has(host)) {
    logger.warn(
      { requested: host },
      'no master key configured: listening on 127.0.0.1 only (set KINDRED_MASTER_KEY to listen on other addresses)',
    );
    host = '127.0.0.1';
  } else if (!config.auth.masterKey) {
    logger.warn('no master key configured: authentication is off, listening on loopback only');
  }
  logger.debug({ config: redactedConfig(config) }, 'effective configuration');

  const engine = openEngine(config, logger);
  let ready = false;
  const models = createModelServices(engine, config, logger);
  // The gateway's parts in-process: one node's keys, buckets and pools.
  const rateLimiter = openSharedRateLimiter(config.storage.sharedState);
  const gateway = createGatewayParts({ config, engine, ...(rateLimiter ? { rateLimiter } : {}) });
  const http = await buildHttpServer(
    { engine, config, ready: () => ready, models, gateway },
    logger,
  );
  try {
    await engine.start({
      follow: true,
      onProgress: (applied, total) => {
        if (applied % 100_000 < 10_000) logger.info({ applied, total }, 'replaying the event log');
      },
    });
  } catch (error) {
    await engine.close({ snapshot: false }).catch(() => undefined);
    throw error;
  }
  // The first served request appends its impressions: the log's id index loads now, not then.
  await engine.log.prepareAppends?.();
  await models.start({ schedule: true, warmUp: true });
  ready = true;
  const address = await http.listen({ host, port: config.server.port });
  const url = address.replace('[::1]', 'localhost');
  logger.info({ url, dataDir: config.data.dir }, 'kindred is serving');

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      ready = false;
      // Stop accepting, let in-flight requests finish (new ones on open connections get
      // 503 NOT_READY and Connection: close), and cut what is left after the drain timeout.
      logger.info({ drainTimeoutMs: config.shutdown.drainTimeoutMs }, 'draining');
      const drainTimer = setTimeout(() => {
        logger.warn('drain timeout: closing the connections still open');
        http.server.closeAllConnections();
      }, config.shutdown.drainTimeoutMs);
      await http.close();
      clearTimeout(drainTimer);
      await models.stop();
      // Then checkpoint (a final snapshot) and close storage.
      await engine.close();
      logger.info('stopped');
    })();
    return stopping;
  };
  return { engine, http, url, models, stop };
}
