import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { EntityId, ErrorBody } from '../../contracts/schemas.js';
import { KindredError } from '../../errors/catalog.js';
import type { ModelServices } from '../../app/training/model-services.js';
import type { HttpContext } from '../context.js';

const RecommendationBody = Type.Object({
  recommendationId: Type.String({
    description:
      'Unique id of this answer; send it back in `context.recommendationId` of the events it leads to.',
  }),
  items: Type.Array(Type.Object({ id: Type.String(), score: Type.Number() })),
});

const READ_POLICY = { policy: { scope: 'recommendations:read', pool: 'read' } } as const;

/** `GET /v1/users/{id}/recommendations`, `/v1/items/{id}/similar`, `/v1/trending`. */
export function registerRecommendationRoutes(app: FastifyInstance, context: HttpContext): void {
  const { defaultK, maxK } = context.config.recommend;
  const query = Type.Object(
    {
      k: Type.Optional(
        Type.Integer({
          minimum: 1,
          maximum: maxK,
          default: defaultK,
          description: 'How many items.',
        }),
      ),
    },
    { additionalProperties: false },
  );
  const models = (): ModelServices => {
    if (context.models === undefined)
      throw new KindredError('NOT_READY', 'recommendations are not available in this process');
    return context.models;
  };
  const kOf = (request: { query: unknown }): number =>
    (request.query as { k?: number }).k ?? defaultK;

  app.get(
    '/v1/users/:id/recommendations',
    {
      config: READ_POLICY,
      schema: {
        summary: 'Personalized recommendations for a user',
        description:
          "Ranked by the trained pipeline from the user's latest interactions, including ones recorded a moment ago; " +
          'items the user has seen and hidden or unavailable items are never returned. ' +
          'A user the engine does not know (or with nothing to go on, or before any model is trained) gets trending items.',
        tags: ['recommendations'],
        params: Type.Object({ id: EntityId }),
        querystring: query,
        response: { 200: RecommendationBody, '4xx': ErrorBody, '5xx': ErrorBody },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const answer = models().serving.recommendForUser(id, kOf(request));
      return { recommendationId: answer.recommendationId, items: answer.items };
    },
  );

  app.get(
    '/v1/items/:id/similar',
    {
      config: READ_POLICY,
      schema: {
        summary: 'Items similar to an item',
        description:
          'What the trained pipeline recommends to someone whose history is just this item. Hidden and unavailable ' +
          'items are left out. An item the model has never seen interactions for gets trending items.',
        tags: ['recommendations'],
        params: Type.Object({ id: EntityId }),
        querystring: query,
        response: { 200: RecommendationBody, '4xx': ErrorBody, '5xx': ErrorBody },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const answer = models().serving.similarItems(id, kOf(request));
      return { recommendationId: answer.recommendationId, items: answer.items };
    },
  );

  app.get(
    '/v1/trending',
    {
      config: READ_POLICY,
      schema: {
        summary: 'What is popular now',
        description:
          'Items by their recent interactions, each weighing less as it ages (half-life `recommend.trendingHalfLifeHours`); ' +
          'updated by every interaction, no training needed. Scores are relative to the first item.',
        tags: ['recommendations'],
        querystring: query,
        response: { 200: RecommendationBody, '4xx': ErrorBody, '5xx': ErrorBody },
      },
    },
    async (request) => {
      const answer = models().serving.trendingFor(kOf(request));
      return { recommendationId: answer.recommendationId, items: answer.items };
    },
  );
}
