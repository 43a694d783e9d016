import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { EntityId, ErrorBody } from '../../contracts/schemas.js';
import { KindredError } from '../../errors/catalog.js';
import type { HttpContext } from '../context.js';

export function registerSystemRoutes(app: FastifyInstance, context: HttpContext): void {
  const { engine } = context;

  app.get(
    '/health/live',
    {
      schema: {
        summary: 'Liveness: the process is up and its event loop turns',
        description: 'Restart the process if this fails. It does not check storage.',
        tags: ['health'],
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/health/ready',
    {
      schema: {
        summary: 'Readiness: the engine can serve traffic',
        description:
          'Ready once the read models have caught up with the log at start and storage answers. ' +
          'Take the node out of a load balancer while this answers 503.',
        tags: ['health'],
        response: {
          200: Type.Object({
            status: Type.Literal('ready'),
            checkpoint: Type.Integer(),
            lag: Type.Integer(),
          }),
          '5xx': ErrorBody,
        },
      },
    },
    async () => {
      if (!context.ready())
        throw new KindredError('NOT_READY', 'the engine is still loading its read models');
      const status = await engine.status();
      return { status: 'ready' as const, checkpoint: status.checkpoint, lag: status.lag };
    },
  );

  app.get(
    '/v1/admin/status',
    {
      schema: {
        summary: 'Log position, read-model sizes and (optionally) their checksum',
        description:
          '`checksum=true` hashes every read model; equal checksums mean equal state, which is how replay is verified.',
        tags: ['admin'],
        querystring: Type.Object(
          { checksum: Type.Optional(Type.Boolean({ default: false })) },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const { checksum } = request.query as { checksum?: boolean };
      const status = await engine.status();
      const models = engine.readModels;
      return {
        ...status,
        items: models.catalog.size,
        users: models.users.size,
        interactions: models.histories.size,
        ...(checksum ? { checksum: models.checksum() } : {}),
      };
    },
  );

  app.get(
    '/v1/users/:id/interactions',
    {
      schema: {
        summary: "A user's interactions, newest first",
        tags: ['users'],
        params: Type.Object({ id: EntityId }),
        querystring: Type.Object(
          { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 100 })) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            interactions: Type.Array(
              Type.Object({
                itemId: Type.String(),
                type: Type.String(),
                value: Type.Optional(Type.Number()),
                timestamp: Type.String({ format: 'date-time' }),
              }),
            ),
          }),
          '4xx': ErrorBody,
        },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const { limit = 100 } = request.query as { limit?: number };
      const models = engine.readModels;
      const index = models.users.ids.indexOf(id);
      if (index === undefined || !models.users.at(index))
        throw new KindredError('USER_NOT_FOUND', `no user "${id}"`, { id });
      return {
        interactions: models.histories.recent(index, limit).map((entry) => ({
          itemId: models.catalog.ids.idOf(entry.item) ?? '',
          type: models.interactionTypes.nameOf(entry.type),
          ...(Number.isNaN(entry.value) ? {} : { value: entry.value }),
          timestamp: new Date(entry.time * 1000).toISOString(),
        })),
      };
    },
  );
}
