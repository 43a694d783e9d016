import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ErrorBody } from '../../contracts/schemas.js';
import { KindredError } from '../../errors/catalog.js';
import { keyView, type ApiKeyStore } from '../../gateway/api-keys.js';
import { SCOPES, SCOPE_DOCS } from '../../gateway/scopes.js';

const ScopeSchema = Type.Union(
  SCOPES.map((scope) => Type.Literal(scope)),
  {
    description: SCOPES.map((s) => `\`${s}\`: ${SCOPE_DOCS[s]}`).join(' '),
  },
);

const KeyView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  prefix: Type.String({
    description: 'How the key starts; enough to recognise it, not to use it.',
  }),
  scopes: Type.Array(ScopeSchema),
  origins: Type.Array(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
  expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  rotatedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  status: Type.Union([Type.Literal('active'), Type.Literal('expired'), Type.Literal('revoked')]),
});

const KeyWithSecret = Type.Composite([
  KeyView,
  Type.Object({
    key: Type.String({
      description: 'The key itself. Shown once: only its hash is stored.',
    }),
  }),
]);

const CreateKeyBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    scopes: Type.Array(ScopeSchema, { minItems: 1, maxItems: SCOPES.length, uniqueItems: true }),
    origins: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 300 }), {
        maxItems: 100,
        description:
          'Browser origins (https://shop.example) this key may be used from. A key with origins is a browser key: ' +
          'it may hold only events:write, recommendations:read and search:read.',
      }),
    ),
    expiresAt: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description: 'ISO-8601 time, e.g. 2027-01-01T00:00:00Z',
      }),
    ),
    expiresInSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 * 365 * 86_400 })),
  },
  { additionalProperties: false },
);

const RotateBody = Type.Object(
  {
    gracePeriodSeconds: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 30 * 86_400,
        description: 'How long the old secret keeps working (default 0: it stops at once).',
      }),
    ),
  },
  { additionalProperties: false },
);

const KeyIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

/** `/v1/keys`: create, list, show, rotate and revoke API keys (admin scope). */
export function registerApiKeyRoutes(app: FastifyInstance, keys: ApiKeyStore): void {
  const tags = ['admin'];

  app.post(
    '/v1/keys',
    {
      schema: {
        summary: 'Create an API key',
        description:
          'The answer holds the key itself (`key`), the only time it is shown. Send it as `Authorization: Bearer KEY` ' +
          'or `x-api-key: KEY`.',
        tags,
        body: CreateKeyBody,
        response: { 201: KeyWithSecret, '4xx': ErrorBody },
      },
    },
    async (request, reply) => {
      const body = request.body as Static<typeof CreateKeyBody>;
      if (body.expiresAt !== undefined && body.expiresInSeconds !== undefined)
        throw new KindredError('INVALID_REQUEST', 'give expiresAt or expiresInSeconds, not both', {
          field: 'expiresAt',
        });
      let expiresAt: number | null = null;
      if (body.expiresAt !== undefined) {
        expiresAt = Date.parse(body.expiresAt);
        if (!Number.isFinite(expiresAt))
          throw new KindredError('INVALID_TIMESTAMP', 'expiresAt is not an ISO-8601 time', {
            field: 'expiresAt',
          });
      } else if (body.expiresInSeconds !== undefined)
        expiresAt = Date.now() + body.expiresInSeconds * 1000;
      const { record, token } = await keys.create({
        name: body.name,
        scopes: body.scopes,
        origins: body.origins ?? [],
        expiresAt,
      });
      request.log.info(
        { keyId: record.id, name: record.name, scopes: record.scopes },
        'API key created',
      );
      return reply.status(201).send({ ...keyView(record), key: token });
    },
  );

  app.get(
    '/v1/keys',
    {
      schema: {
        summary: 'List API keys (never their secrets)',
        tags,
        response: { 200: Type.Object({ keys: Type.Array(KeyView) }), '4xx': ErrorBody },
      },
    },
    async () => {
      const now = Date.now();
      return { keys: keys.list().map((record) => keyView(record, now)) };
    },
  );

  app.get(
    '/v1/keys/:id',
    {
      schema: {
        summary: 'Show one API key',
        tags,
        params: KeyIdParams,
        response: { 200: KeyView, '4xx': ErrorBody },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const record = keys.get(id);
      if (!record) throw new KindredError('KEY_NOT_FOUND', `no API key "${id}"`, { id });
      return keyView(record);
    },
  );

  app.post(
    '/v1/keys/:id/rotate',
    {
      schema: {
        summary: 'Rotate an API key: issue a new secret for the same id, scopes and origins',
        description:
          'The answer holds the new key. The old one stops working at once, or after `gracePeriodSeconds`.',
        tags,
        params: KeyIdParams,
        body: RotateBody,
        response: { 200: KeyWithSecret, '4xx': ErrorBody },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const body = (request.body ?? {}) as Static<typeof RotateBody>;
      const { record, token } = await keys.rotate(id, {
        gracePeriodSeconds: body.gracePeriodSeconds ?? 0,
      });
      request.log.info({ keyId: record.id }, 'API key rotated');
      return { ...keyView(record), key: token };
    },
  );

  app.delete(
    '/v1/keys/:id',
    {
      schema: {
        summary: 'Revoke an API key',
        description:
          'Revocation is immediate on this node and final; the key stays listed as revoked.',
        tags,
        params: KeyIdParams,
        response: { 204: Type.Null(), '4xx': ErrorBody },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      await keys.revoke(id);
      request.log.info({ keyId: id }, 'API key revoked');
      return reply.status(204).send();
    },
  );
}
