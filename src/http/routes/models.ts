import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ErrorBody } from '../../contracts/schemas.js';
import { KindredError } from '../../errors/catalog.js';
import type { ModelServices } from '../../app/training/model-services.js';
import type { ModelRecord } from '../../app/training/model-registry.js';
import type { HttpContext } from '../context.js';

const ADMIN_POLICY = { policy: { scope: 'admin', pool: 'admin' } } as const;
const VersionParams = Type.Object({
  version: Type.String({ pattern: '^v[0-9]{6,}$', description: 'A model version, e.g. v000003.' }),
});

const Metrics = Type.Object(
  {
    k: Type.Integer(),
    users: Type.Integer(),
    ndcg: Type.Number(),
    precision: Type.Number(),
    recall: Type.Number(),
    map: Type.Number(),
    mrr: Type.Number(),
    hitRate: Type.Number(),
    coverage: Type.Number(),
    novelty: Type.Number(),
    fallbackUsers: Type.Integer(),
  },
  {
    description:
      "Measured on the time-based holdout: each user's latest 20% of interactions (users with 5 or more).",
  },
);

const ModelSummary = Type.Object({
  version: Type.String(),
  active: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
  reason: Type.String(),
  offset: Type.Integer({ description: 'Log offset of the snapshot it was trained on.' }),
  interactions: Type.Integer(),
  pipeline: Type.String({
    description: 'The chosen models, views, hyperparameters and blend weights.',
  }),
  metrics: Type.Union([Metrics, Type.Null()]),
  validationNdcg: Type.Union([Type.Number(), Type.Null()]),
  trials: Type.Integer({ description: 'Configurations the automatic search tried.' }),
  seconds: Type.Number(),
});

function summary(record: ModelRecord, active: string | null) {
  return {
    version: record.version,
    active: record.version === active,
    createdAt: record.createdAt,
    reason: record.reason,
    offset: record.offset,
    interactions: record.interactions,
    pipeline: record.description,
    metrics: record.evaluation?.metrics ?? null,
    validationNdcg: record.search?.validationNdcg ?? null,
    trials: record.search?.trials.length ?? 0,
    seconds: record.seconds.total,
  };
}

/** Longest `waitSeconds` of `POST /v1/models/train?wait=true`. */
const MAX_WAIT_SECONDS = 6 * 3600;

/** `GET /v1/models`, `GET /v1/models/{version}`, `POST /v1/models/train`, `POST /v1/models/rollback`. */
export function registerModelRoutes(app: FastifyInstance, context: HttpContext): void {
  const models = (): ModelServices => {
    if (context.models === undefined)
      throw new KindredError('NOT_READY', 'models are not available in this process');
    return context.models;
  };

  app.get(
    '/v1/models',
    {
      config: ADMIN_POLICY,
      schema: {
        summary: 'Model versions with their metrics, the active one, and the training in progress',
        tags: ['models'],
        response: {
          200: Type.Object({
            active: Type.Union([Type.String(), Type.Null()]),
            training: Type.Object({
              running: Type.Boolean(),
              reason: Type.Optional(Type.String()),
              startedAt: Type.Optional(Type.String()),
              stage: Type.Optional(Type.String()),
              lastFinishedAt: Type.Optional(Type.String()),
              lastError: Type.Optional(Type.String()),
              newInteractions: Type.Integer(),
            }),
            models: Type.Array(ModelSummary),
          }),
          '4xx': ErrorBody,
          '5xx': ErrorBody,
        },
      },
    },
    async () => {
      const services = models();
      const active = services.serving.activeVersion;
      const records = await services.registry.list();
      return {
        active,
        training: services.trainer.status(),
        models: records.reverse().map((record) => summary(record, active)),
      };
    },
  );

  app.get(
    '/v1/models/:version',
    {
      config: ADMIN_POLICY,
      schema: {
        summary:
          'One model version in full: its pipeline, holdout metrics and every trial of the search',
        tags: ['models'],
        params: VersionParams,
        response: { '4xx': ErrorBody, '5xx': ErrorBody },
      },
    },
    async (request) => {
      const { version } = request.params as { version: string };
      const services = models();
      const record = await services.registry.record(version);
      if (record === undefined)
        throw new KindredError('MODEL_NOT_FOUND', `no model version "${version}"`, { version });
      return { ...record, active: record.version === services.serving.activeVersion };
    },
  );

  app.post(
    '/v1/models/train',
    {
      config: ADMIN_POLICY,
      // The wait below has its own limit; the gateway's handler timeout (meant for
      // requests that should take milliseconds) would answer REQUEST_TIMEOUT while the
      // training goes on.
      handlerTimeout: MAX_WAIT_SECONDS * 1000 + 5000,
      schema: {
        summary: 'Train new models now',
        description:
          'Starts a training (automatic search within `training.budgetSeconds`, holdout evaluation, final fit) in a ' +
          'worker thread and answers 202 at once. With `wait=true` it answers 200 with the record when the new ' +
          'version serves, or 202 (`status: running`) if that takes longer than `waitSeconds` (default: ten times ' +
          'the search budget, at least 5 minutes); poll `GET /v1/models` (its `training` and `active`) then.',
        tags: ['models'],
        querystring: Type.Object(
          {
            wait: Type.Optional(Type.Boolean({ default: false })),
            waitSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_WAIT_SECONDS })),
            budgetSeconds: Type.Optional(
              Type.Integer({
                minimum: 1,
                maximum: 86_400,
                description:
                  'Time budget of the automatic search (default `training.budgetSeconds`).',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { '4xx': ErrorBody, '5xx': ErrorBody },
      },
    },
    async (request, reply) => {
      const { wait, waitSeconds, budgetSeconds } = request.query as {
        wait?: boolean;
        waitSeconds?: number;
        budgetSeconds?: number;
      };
      const services = models();
      const training = services.trainer.train(
        'api',
        budgetSeconds === undefined ? {} : { budgetSeconds },
      );
      training.catch((error: unknown) => request.log.error({ err: error }, 'training failed'));
      if (wait) {
        const limit =
          waitSeconds ??
          Math.min(
            MAX_WAIT_SECONDS,
            Math.max(300, 10 * (budgetSeconds ?? context.config.training.budgetSeconds)),
          );
        let timer: NodeJS.Timeout | undefined;
        const outcome = await Promise.race([
          training,
          new Promise<undefined>((resolve) => {
            timer = setTimeout(() => resolve(undefined), limit * 1000);
          }),
        ]).finally(() => clearTimeout(timer));
        if (outcome !== undefined)
          return { ...outcome, active: outcome.version === services.serving.activeVersion };
        return reply
          .status(202)
          .send({ status: 'running', waitedSeconds: limit, training: services.trainer.status() });
      }
      return reply.status(202).send({ status: 'started', training: services.trainer.status() });
    },
  );

  app.post(
    '/v1/models/rollback',
    {
      config: ADMIN_POLICY,
      schema: {
        summary: 'Serve an earlier model version again',
        description:
          'Without a version, the one trained before the active one. Other nodes follow through the log.',
        tags: ['models'],
        body: Type.Optional(
          Type.Object(
            { version: Type.Optional(VersionParams.properties.version) },
            { additionalProperties: false },
          ),
        ),
        response: {
          200: Type.Object({
            active: Type.String(),
            previous: Type.Union([Type.String(), Type.Null()]),
          }),
          '4xx': ErrorBody,
          '5xx': ErrorBody,
        },
      },
    },
    async (request) => {
      const body = (request.body ?? {}) as { version?: string };
      return models().serving.rollback(body.version);
    },
  );
}
