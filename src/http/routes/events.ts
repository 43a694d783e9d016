import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { EventBody, ErrorBody, type EventBodyT } from '../../contracts/schemas.js';
import { compileStrict, validationError } from '../../contracts/validation.js';
import { KindredError } from '../../errors/catalog.js';
import { batchError, type RowResult } from '../../app/write-service.js';
import { ROW_VALIDATED, type HttpContext } from '../context.js';
import { validateRows } from './batch.js';

const RowResultSchema = Type.Object({
  index: Type.Integer(),
  id: Type.Optional(Type.String()),
  offset: Type.Optional(Type.Integer()),
  status: Type.Optional(Type.Union([Type.Literal('accepted'), Type.Literal('duplicate')])),
  error: Type.Optional(ErrorBody.properties.error),
});

/** One event: 201 when written, 200 when its id was already in the log. */
const SingleResult = Type.Object({
  id: Type.String(),
  offset: Type.Integer(),
  status: Type.Union([Type.Literal('accepted'), Type.Literal('duplicate')]),
});

export function registerEventRoutes(app: FastifyInstance, context: HttpContext): void {
  const { engine, config } = context;
  const maxBatch = config.events.maxBatch;
  const validateEvent = compileStrict(EventBody);

  app.post(
    '/v1/events',
    {
      schema: {
        summary: 'Record one interaction, or a batch of them',
        description:
          'Send one event, or `{ "events": [...] }` with up to the configured maximum (10,000 by default). ' +
          'A batch is atomic: if any row is invalid nothing is written and every bad row is listed ' +
          '(400 BATCH_HAS_INVALID_ROWS), unless `partial=true`, which writes the valid rows and reports the rest. ' +
          'An event whose `id` is already in the log is acknowledged as a duplicate and not counted twice. ' +
          'When the reply arrives the events are durable and visible to reads.',
        tags: ['events'],
        querystring: Type.Object(
          { partial: Type.Optional(Type.Boolean({ default: false })) },
          { additionalProperties: false },
        ),
        body: Type.Union(
          [EventBody, Type.Object({ events: Type.Array(EventBody, { maxItems: maxBatch }) })],
          {
            [ROW_VALIDATED]: true,
          },
        ),
        response: {
          200: Type.Union([
            Type.Object({
              accepted: Type.Integer(),
              duplicates: Type.Integer(),
              rejected: Type.Integer(),
              results: Type.Array(RowResultSchema),
            }),
            SingleResult,
          ]),
          201: SingleResult,
          '4xx': ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const body = request.body as Record<string, unknown>;
      const { partial } = request.query as { partial?: boolean };
      const options = { source: 'http', requestId: request.id };
      if ('events' in body) {
        const extra = Object.keys(body).find((key) => key !== 'events');
        if (extra !== undefined)
          throw new KindredError('UNKNOWN_FIELD', `body has an unknown field "${extra}"`, {
            field: extra,
          });
        const rows = body['events'];
        const checked = validateRows<EventBodyT>(rows, EventBody, 'events', maxBatch);
        const prepared = engine.writes.prepareInteractions(checked.valid, options);
        // Schema and semantic problems are reported together, under the rows' own indexes.
        const errors = [
          ...checked.errors,
          ...prepared.errors.map((e) => ({ ...e, index: checked.validIndexes[e.index] as number })),
        ];
        if (errors.length > 0 && !partial) throw batchError(errors, (rows as unknown[]).length);
        const written = await engine.writes.appendPrepared({ ...prepared, errors: [] });
        // With no bad row the written rows are the request's rows, in order: no remapping.
        const results: RowResult[] =
          errors.length === 0
            ? written
            : [
                ...errors,
                ...written.map((r) => ({ ...r, index: checked.validIndexes[r.index] as number })),
              ].sort((a, b) => a.index - b.index);
        let accepted = 0;
        let duplicates = 0;
        for (const r of results) {
          if (!('status' in r)) continue;
          if (r.status === 'accepted') accepted++;
          else duplicates++;
        }
        return reply.status(200).send({ accepted, duplicates, rejected: errors.length, results });
      }
      if (!validateEvent(body)) throw validationError(validateEvent.errors, 'body');
      const [result] = await engine.writes.recordInteractions([body as EventBodyT], {
        ...options,
        partial: true,
      });
      if (!result) throw new KindredError('INTERNAL', 'no result for the event');
      if ('error' in result)
        throw new KindredError(result.error.code, result.error.message, result.error.details);
      const { id, offset, status } = result;
      return reply.status(status === 'accepted' ? 201 : 200).send({ id, offset, status });
    },
  );
}
