import { Type, type TObject, type TProperties } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { EntityId, ErrorBody } from '../../contracts/schemas.js';
import { KindredError } from '../../errors/catalog.js';
import type { ModelServices } from '../../app/training/model-services.js';
import type {
  RecommendParams,
  RecommendationAnswer,
  RecommendationService,
} from '../../app/serving/recommendation-service.js';
import { parseDiversity } from '../../core/serving/scenario.js';
import type { RuleValue } from '../../core/rules/index.js';
import { requestTrace } from '../../gateway/gateway.js';
import type { HttpContext } from '../context.js';

const ScenarioName = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$',
  description: 'A scenario name: letters, digits, `.`, `_`, `-`; at most 64 characters.',
});

const RecommendationBody = Type.Object({
  recommendationId: Type.String({
    description:
      'Unique id of this list: send it back as `recommendationId` for the next page, and in `context.recommendationId` of the events it leads to.',
  }),
  items: Type.Array(
    Type.Object({
      id: Type.String(),
      score: Type.Number(),
      explain: Type.Optional(
        Type.Record(Type.String(), Type.Unknown(), {
          description:
            'With `explain=true`: the sources that proposed the item (score, rank), its feature values, the boost rules that matched and the parts of its score.',
        }),
      ),
    }),
  ),
  scenario: Type.String({ description: 'The scenario that served the list.' }),
  model: Type.Union([Type.String(), Type.Null()], { description: 'The model version serving.' }),
  scorer: Type.Union([Type.Literal('blend'), Type.Literal('ranker')]),
  degraded: Type.Optional(
    Type.Literal(true, { description: 'A stage failed or ran over its budget and fell back.' }),
  ),
  reasons: Type.Optional(Type.Array(Type.String())),
});

export const READ_POLICY = { policy: { scope: 'recommendations:read', pool: 'read' } } as const;
export const DIVERSITY_PATTERN = '^(none|mmr(:(0(\\.[0-9]+)?|1(\\.0+)?))?|cap:[1-9][0-9]{0,3})$';
const RULE = Type.String({ maxLength: 4096 });

function commonParams(maxK: number, defaultK: number): TProperties {
  return {
    k: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: maxK,
        default: defaultK,
        description: 'How many items.',
      }),
    ),
    offset: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 10_000,
        description:
          'Items to skip (the page start); ignored when paging on with `recommendationId`.',
      }),
    ),
    scenario: Type.Optional(ScenarioName),
    filter: Type.Optional({
      ...RULE,
      description: 'A filter rule every item must pass, on top of the scenario’s.',
    }),
    boost: Type.Optional({
      ...RULE,
      description: 'Boost rules (`boost(2) if price < 20`), applied on top of the scenario’s.',
    }),
    diversity: Type.Optional(
      Type.String({
        pattern: DIVERSITY_PATTERN,
        description:
          'Overrides the scenario’s: `none`, `mmr` or `mmr:<lambda>` (maximal marginal relevance), `cap:<n>` (at most n per category).',
      }),
    ),
    explain: Type.Optional(Type.Boolean({ description: 'Explain each item’s score.' })),
    exact: Type.Optional(
      Type.Boolean({
        description:
          'Rank every item instead of searching the approximate index the model serves from above `serving.annMinItems` items: slower, for checks.',
      }),
    ),
    recommendationId: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description: 'The next page of this earlier list: no item it already served comes again.',
      }),
    ),
  };
}

export function querySchema(maxK: number, defaultK: number): TObject {
  return Type.Object(
    {
      ...commonParams(maxK, defaultK),
      exclude: Type.Optional(
        Type.String({ maxLength: 65_536, description: 'Item ids to leave out, comma-separated.' }),
      ),
    },
    { additionalProperties: false },
  );
}

function bodySchema(maxK: number, defaultK: number, extra: TProperties = {}): TObject {
  return Type.Object(
    {
      ...commonParams(maxK, defaultK),
      exclude: Type.Optional(
        Type.Array(EntityId, { maxItems: 10_000, description: 'Item ids to leave out.' }),
      ),
      context: Type.Optional(
        Type.Record(Type.String({ maxLength: 64 }), Type.Unknown(), {
          description: 'Values rules read as `context.<name>`.',
        }),
      ),
      ...extra,
    },
    { additionalProperties: false },
  );
}

export interface RawParams {
  k?: number;
  offset?: number;
  scenario?: string;
  filter?: string;
  boost?: string;
  diversity?: string;
  explain?: boolean;
  exact?: boolean;
  recommendationId?: string;
  exclude?: string | string[];
  context?: Record<string, unknown>;
}

export function paramsOf(raw: RawParams, defaultK: number): RecommendParams {
  const exclude = typeof raw.exclude === 'string' ? excludeList(raw.exclude) : raw.exclude;
  const diversity = raw.diversity === undefined ? undefined : parseDiversity(raw.diversity);
  if (raw.diversity !== undefined && diversity === undefined)
    throw new KindredError('INVALID_REQUEST', `diversity "${raw.diversity}" is not understood`, {
      path: 'diversity',
    });
  // Assigned one by one (a spread per optional field cost a temporary object each, per request).
  const params: Mutable<RecommendParams> = { k: raw.k ?? defaultK, explain: raw.explain ?? false };
  if (raw.offset !== undefined) params.offset = raw.offset;
  if (raw.scenario !== undefined) params.scenario = raw.scenario;
  if (raw.filter !== undefined) params.filter = raw.filter;
  if (raw.boost !== undefined) params.boost = raw.boost;
  if (exclude !== undefined) params.exclude = exclude;
  if (diversity !== undefined) params.diversity = diversity;
  if (raw.exact === true) params.exact = true;
  if (raw.recommendationId !== undefined) params.recommendationId = raw.recommendationId;
  if (raw.context !== undefined)
    params.context = raw.context as Readonly<Record<string, RuleValue>>;
  return params;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** `a, b,,c` as ['a', 'b', 'c']: split on commas, trimmed, empty entries dropped. */
function excludeList(text: string): string[] {
  const ids: string[] = [];
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf(',', start);
    if (end < 0) end = text.length;
    const id = text.slice(start, end).trim();
    if (id !== '') ids.push(id);
    start = end + 1;
  }
  return ids;
}

/**
 * Recommendations for a user, similar items, an anonymous session and trending, each as
 * GET (query parameters) and POST (the same as a JSON body).
 */
export function registerRecommendationRoutes(app: FastifyInstance, context: HttpContext): void {
  const { defaultK, maxK } = context.config.recommend;
  const query = querySchema(maxK, defaultK);
  const body = bodySchema(maxK, defaultK);
  const service = (): RecommendationService => {
    const models: ModelServices | undefined = context.models;
    if (models === undefined)
      throw new KindredError('NOT_READY', 'recommendations are not available in this process');
    return models.recommendations;
  };
  const raw = (request: FastifyRequest): RawParams =>
    (request.method === 'POST' ? request.body : request.query) as RawParams;
  const answer = (result: RecommendationAnswer): RecommendationAnswer => result;
  const response = { 200: RecommendationBody, '4xx': ErrorBody, '5xx': ErrorBody };

  const both = (
    url: string,
    summary: string,
    description: string,
    params: TObject | undefined,
    handler: (request: FastifyRequest, params: RecommendParams) => RecommendationAnswer,
  ): void => {
    for (const method of ['GET', 'POST'] as const) {
      app.route({
        method,
        url,
        config: READ_POLICY,
        schema: {
          summary: method === 'GET' ? summary : `${summary} (parameters as a JSON body)`,
          description,
          tags: ['recommendations'],
          ...(params === undefined ? {} : { params }),
          ...(method === 'GET' ? { querystring: query } : { body }),
          response,
        },
        handler: async (request) => answer(handler(request, paramsOf(raw(request), defaultK))),
      });
    }
  };

  const id = Type.Object({ id: EntityId });
  both(
    '/v1/users/:id/recommendations',
    'Personalized recommendations for a user',
    "Four stages: candidates from the scenario's sources (the trained pipeline, the user's recent items' neighbours, " +
      'trending, content, popular in their favourite categories), filtered (seen, negative feedback, hidden or unavailable, ' +
      'excluded, rule filters), scored (blend or learned ranker) and ordered (diversity, exploration, pinned items, page). ' +
      "Reads the user's interactions as of now, including one acknowledged a moment ago. An unknown user, or one with " +
      'nothing to go on, gets the fallback chain (trending by default).',
    id,
    (request, params) =>
      service().forUser((request.params as { id: string }).id, params, requestTrace(request)),
  );
  both(
    '/v1/items/:id/similar',
    'Items similar to an item',
    'What the trained pipeline recommends to someone whose history is just this item, through the same stages. ' +
      '404 for an unknown item; 409 before any model is trained.',
    id,
    (request, params) =>
      service().similar((request.params as { id: string }).id, params, requestTrace(request)),
  );
  both(
    '/v1/trending',
    'What is popular now',
    'Items by their recent interactions, each weighing less as it ages (half-life `recommend.trendingHalfLifeHours`); ' +
      'updated by every interaction, no training needed. Scores are relative to the first item.',
    undefined,
    (request, params) => service().trending(params, requestTrace(request)),
  );

  app.post(
    '/v1/sessions/recommendations',
    {
      config: READ_POLICY,
      schema: {
        summary: 'Recommendations for an anonymous session',
        description:
          'For a visitor without a user id: `items` are the items of their session, newest first; they are treated as ' +
          'clicks, folded in like a user history, and left out of the answer.',
        tags: ['recommendations'],
        body: bodySchema(maxK, defaultK, {
          items: Type.Optional(
            Type.Array(EntityId, {
              maxItems: 1000,
              description:
                'The session’s items, newest first (none: the fallback chain, trending by default).',
            }),
          ),
        }),
        response,
      },
    },
    async (request) => {
      const rawBody = request.body as RawParams & { items?: string[] };
      return answer(
        service().forSession(
          rawBody.items ?? [],
          paramsOf(rawBody, defaultK),
          requestTrace(request),
        ),
      );
    },
  );
}
