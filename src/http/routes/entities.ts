import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { EntityId, ErrorBody } from '../../contracts/schemas.js';
import { KindredError, type ErrorCode } from '../../errors/catalog.js';
import type { RowAccepted, WriteOptions } from '../../app/write-service.js';
import { ROW_VALIDATED, type HttpContext } from '../context.js';
import { decodeCursor, encodeCursor } from '../views.js';
import { requireNoRowErrors, validateRows } from './batch.js';

/**
 * Items and users share one REST shape: create-or-replace, patch, get, delete, list with
 * cursor pagination, and batch upsert. This describes one of them.
 */
export interface EntityRoutesSpec<TInput extends { id: string }, TEntity> {
  /** Path segment and tag: `items` or `users`. */
  readonly plural: string;
  readonly singular: string;
  readonly notFound: ErrorCode;
  readonly createBody: TSchema;
  readonly replaceBody: TSchema;
  readonly patchBody: TSchema;
  readonly view: TSchema;
  get(id: string): TEntity | undefined;
  page(
    afterIndex: number,
    limit: number,
  ): { entities: TEntity[]; lastIndex: number; capacity: number };
  toView(entity: TEntity): Record<string, unknown>;
  upsert(inputs: readonly TInput[], options: WriteOptions): Promise<RowAccepted[]>;
  patch(id: string, patch: unknown, options: WriteOptions): Promise<void>;
  remove(id: string, options: WriteOptions): Promise<void>;
  readonly deleteDescription: string;
}

const IdParams = Type.Object({ id: EntityId });

export function registerEntityRoutes<TInput extends { id: string }, TEntity>(
  app: FastifyInstance,
  context: HttpContext,
  spec: EntityRoutesSpec<TInput, TEntity>,
): void {
  const { plural, singular } = spec;
  const base = `/v1/${plural}`;
  const tags = [plural];
  const maxBatch = context.config.events.maxBatch;
  const options = (requestId: string): WriteOptions => ({ source: 'http', requestId });
  const found = (id: string): TEntity => {
    const entity = spec.get(id);
    if (entity === undefined)
      throw new KindredError(spec.notFound, `no ${singular} "${id}"`, { id });
    return entity;
  };

  app.post(
    base,
    {
      schema: {
        summary: `Create or replace one ${singular}`,
        tags,
        body: spec.createBody,
        response: { 200: spec.view, '4xx': ErrorBody },
      },
    },
    async (request) => {
      const input = request.body as TInput;
      await spec.upsert([input], options(request.id));
      return spec.toView(found(input.id));
    },
  );

  app.post(
    `${base}/batch`,
    {
      schema: {
        summary: `Create or replace many ${plural}`,
        description: `Atomic: if any row is invalid nothing is written and every bad row is listed.`,
        tags,
        body: Type.Object(
          { [plural]: Type.Array(spec.createBody, { maxItems: maxBatch }) },
          { [ROW_VALIDATED]: true },
        ),
        response: {
          200: Type.Object({
            written: Type.Integer(),
            results: Type.Array(
              Type.Object({ index: Type.Integer(), id: Type.String(), offset: Type.Integer() }),
            ),
          }),
          '4xx': ErrorBody,
        },
      },
    },
    async (request) => {
      const body = request.body as Record<string, unknown>;
      const extra = Object.keys(body).find((key) => key !== plural);
      if (extra !== undefined)
        throw new KindredError('UNKNOWN_FIELD', `body has an unknown field "${extra}"`, {
          field: extra,
        });
      if (!(plural in body))
        throw new KindredError(
          'INVALID_REQUEST',
          `body is missing the required field "${plural}"`,
          { field: plural },
        );
      const rows = body[plural];
      const { valid, errors } = validateRows<TInput>(rows, spec.createBody, plural, maxBatch);
      requireNoRowErrors(errors, (rows as unknown[]).length);
      const results = await spec.upsert(valid, options(request.id));
      return {
        written: results.length,
        results: results.map(({ index, id, offset }) => ({ index, id, offset })),
      };
    },
  );

  app.put(
    `${base}/:id`,
    {
      schema: {
        summary: `Create or replace the ${singular} with this id`,
        tags,
        params: IdParams,
        body: spec.replaceBody,
        response: { 200: spec.view, '4xx': ErrorBody },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const body = request.body as Partial<TInput>;
      if (body.id !== undefined && body.id !== id)
        throw new KindredError('ID_MISMATCH', `body id "${body.id}" differs from path id "${id}"`, {
          path: id,
          body: body.id,
        });
      await spec.upsert([{ ...body, id } as TInput], options(request.id));
      return spec.toView(found(id));
    },
  );

  app.patch(
    `${base}/:id`,
    {
      schema: {
        summary: `Update some fields of a ${singular}`,
        description:
          'Fields present replace the old ones; `attributes` merge key by key and `null` removes a key.',
        tags,
        params: IdParams,
        body: spec.patchBody,
        response: { 200: spec.view, '4xx': ErrorBody },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      await spec.patch(id, request.body, options(request.id));
      return spec.toView(found(id));
    },
  );

  app.get(
    `${base}/:id`,
    {
      schema: {
        summary: `Get one ${singular}`,
        tags,
        params: IdParams,
        response: { 200: spec.view, '4xx': ErrorBody },
      },
    },
    async (request) => spec.toView(found((request.params as { id: string }).id)),
  );

  app.delete(
    `${base}/:id`,
    {
      schema: {
        summary: `Delete a ${singular}`,
        description: spec.deleteDescription,
        tags,
        params: IdParams,
        response: { 204: Type.Null(), '4xx': ErrorBody },
      },
    },
    async (request, reply) => {
      await spec.remove((request.params as { id: string }).id, options(request.id));
      return reply.status(204).send();
    },
  );

  app.get(
    base,
    {
      schema: {
        summary: `List ${plural}`,
        description:
          'Cursor pagination: pass the `nextCursor` of one page to get the next; null means the end.',
        tags,
        querystring: Type.Object(
          {
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
            cursor: Type.Optional(Type.String({ maxLength: 64 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            [plural]: Type.Array(spec.view),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
          }),
          '4xx': ErrorBody,
        },
      },
    },
    async (request) => {
      const { limit = 100, cursor } = request.query as { limit?: number; cursor?: string };
      const page = spec.page(decodeCursor(cursor), limit);
      const more = page.lastIndex < page.capacity - 1;
      return {
        [plural]: page.entities.map((e) => spec.toView(e)),
        nextCursor: more && page.entities.length > 0 ? encodeCursor(page.lastIndex) : null,
      };
    },
  );
}
