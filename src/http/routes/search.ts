import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  SearchService,
  MAX_RESULT_DEPTH,
  type SearchRequest,
  type SearchServiceOptions,
  type FilterValue,
} from '../../app/search-service.js';
import { BLEND_KEYS, type SearchBlend } from '../../app/search-settings.js';
import { RuleCache } from '../../core/rules/index.js';
import { EntityId, ErrorBody } from '../../contracts/schemas.js';
import { KindredError } from '../../errors/catalog.js';
import type { HttpContext } from '../context.js';

const POLICY = { policy: { scope: 'search:read', pool: 'read' } } as const;

const Query = Type.String({
  maxLength: 1000,
  description: 'What was typed. Empty: list the catalog (filtered, sorted, or by the blend).',
});
const K = Type.Integer({ minimum: 1, maximum: MAX_RESULT_DEPTH, default: 10 });
const Offset = Type.Integer({
  minimum: 0,
  maximum: MAX_RESULT_DEPTH - 1,
  default: 0,
  description: 'Hits skipped (pagination); offset + k ≤ 1000.',
});
const Filter = Type.String({
  maxLength: 4096,
  description:
    'A rule-language expression items must satisfy (docs/rules.md), e.g. `price < 50 and "Drama" in categories`.',
});
const Sort = Type.String({
  maxLength: 300,
  description:
    '`attribute:asc` or `attribute:desc`, an attribute of `search.sortableAttributes`; relevance breaks ties.',
});
const common = {
  q: Type.Optional(Query),
  k: Type.Optional(K),
  offset: Type.Optional(Offset),
  userId: Type.Optional(
    Type.Unsafe<string>({ ...EntityId, description: 'Personalize the ranking for this user.' }),
  ),
  filter: Type.Optional(Filter),
  sort: Type.Optional(Sort),
  explain: Type.Optional(
    Type.Boolean({
      description: 'Add each hit’s score parts (text, blend signals, fusion ranks).',
    }),
  ),
  typos: Type.Optional(Type.Boolean({ description: 'Tolerate typos (default true).' })),
  prefix: Type.Optional(
    Type.Boolean({ description: 'Complete the last word while it is typed (default true).' }),
  ),
  similarTo: Type.Optional(
    Type.Unsafe<string>({
      ...EntityId,
      description:
        'Hybrid: fuse items similar to this one (learned and content vectors) with the text matches.',
    }),
  ),
  semantic: Type.Optional(
    Type.Boolean({
      description:
        'Hybrid: fuse the text matches with the neighbours (learned and content vectors) of the best of them, so items that fit the query without sharing its words are found too (see docs/search.md).',
    }),
  ),
};
const NameList = Type.String({ maxLength: 1000, pattern: '^[^\\u0000-\\u001f]*$' });

const SearchQuery = Type.Object(
  {
    ...common,
    facets: Type.Optional(
      Type.Unsafe<string>({
        ...NameList,
        description: 'Comma-separated facets to count: `categories,tags,year`.',
      }),
    ),
    fields: Type.Optional(
      Type.Unsafe<string>({
        ...NameList,
        description:
          'Comma-separated fields to match: `title`, `categories`, `tags`, `text`, `text.<key>`.',
      }),
    ),
    blend: Type.Optional(
      Type.String({
        maxLength: 300,
        pattern: '^([A-Za-z]+:[0-9.eE+-]+)(,[A-Za-z]+:[0-9.eE+-]+)*$',
        description:
          'Overrides of the blend weights: `popularity:0.2,affinity:0.5` (keys of `search.personalization`).',
      }),
    ),
  },
  { additionalProperties: false },
);

const BlendObject = Type.Object(
  {
    popularity: Type.Optional(Type.Number()),
    recency: Type.Optional(Type.Number()),
    recencyHalfLifeDays: Type.Optional(Type.Number()),
    affinity: Type.Optional(Type.Number()),
    categories: Type.Optional(Type.Number()),
    historyLimit: Type.Optional(Type.Number()),
  } satisfies Record<(typeof BLEND_KEYS)[number], TSchema>,
  {
    additionalProperties: false,
    description: 'Overrides of the blend weights of `search.personalization`.',
  },
);
const Scalar = Type.Union([
  Type.String({ maxLength: 1000 }),
  Type.Number(),
  Type.Boolean(),
  Type.Null(),
]);
const SearchBody = Type.Object(
  {
    ...common,
    facets: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 50 })),
    fields: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 50 })),
    blend: Type.Optional(BlendObject),
    context: Type.Optional(
      Type.Record(
        Type.String({ maxLength: 100 }),
        Type.Union([Scalar, Type.Array(Scalar, { maxItems: 1000 })]),
        {
          description: 'Values the filter reads as `context.<name>`.',
        },
      ),
    ),
  },
  { additionalProperties: false },
);

const Highlight = Type.Object({
  ranges: Type.Array(Type.Tuple([Type.Integer(), Type.Integer()]), {
    description: '[start, end) UTF-16 offsets of matched words.',
  }),
  marked: Type.String({ description: 'The field HTML-escaped, matched words in `<em>`.' }),
});
const NullableNumber = Type.Union([Type.Number(), Type.Null()]);
const Explanation = Type.Object({
  text: Type.Optional(
    Type.Number({ description: 'BM25F relevance with phrase and title signals.' }),
  ),
  popularity: Type.Optional(Type.Number()),
  recency: Type.Optional(Type.Number()),
  affinity: Type.Optional(NullableNumber),
  categories: Type.Optional(NullableNumber),
  multiplier: Type.Optional(Type.Number({ description: '1 + Σ weight × signal.' })),
  score: Type.Optional(Type.Number()),
  ranks: Type.Optional(Type.Record(Type.String(), NullableNumber)),
  rrf: Type.Optional(Type.Number()),
});
const SearchAnswerBody = Type.Object({
  hits: Type.Array(
    Type.Object({
      id: Type.String(),
      score: Type.Number(),
      highlights: Type.Record(Type.String(), Highlight, {
        description: 'Per matched field: `title`, `text.<key>`, `categories.<i>`, `tags.<i>`.',
      }),
      explain: Type.Optional(Explanation),
    }),
  ),
  facets: Type.Record(
    Type.String(),
    Type.Array(Type.Object({ value: Type.String(), count: Type.Integer() })),
  ),
  total: Type.Integer({ description: 'Matches over all pages.' }),
});

const AutocompleteQuery = Type.Object(
  {
    q: Query,
    k: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 50, default: 5, description: 'Query suggestions.' }),
    ),
    items: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 50, default: 5, description: 'Item completions.' }),
    ),
    userId: Type.Optional(EntityId),
    filter: Type.Optional(Filter),
  },
  { additionalProperties: false },
);
const AutocompleteBody = Type.Object({
  queries: Type.Array(Type.Object({ text: Type.String(), count: Type.Integer() })),
  items: Type.Array(Type.Object({ id: Type.String(), title: Type.String(), score: Type.Number() })),
});

const responses = (ok: TSchema): Record<string, TSchema> => ({
  200: ok,
  '4xx': ErrorBody,
  '5xx': ErrorBody,
});

/** `GET/POST /v1/search` and `GET /v1/autocomplete`. */
export function registerSearchRoutes(
  app: FastifyInstance,
  context: HttpContext,
  options: Pick<SearchServiceOptions, 'compileFilter'> = {},
): SearchService {
  const rules = new RuleCache();
  const service = new SearchService(context.engine, {
    compileFilter: (source) => rules.filter(source),
    recommender: () => context.models?.serving.activeRecommender,
    similarItems: (itemId, k) => {
      if (context.models === undefined)
        throw new KindredError('NO_MODEL_TRAINED', 'no models in this process', {});
      return context.models.serving.similarItems(itemId, k).items.map((item) => item.id);
    },
    ...options,
  });
  service.start();
  app.addHook('onClose', async () => service.stop());

  const description =
    'Full-text search over the catalog: typo-tolerant, the last word completed while typed, synonyms, BM25F over the ' +
    'configured fields with phrase and exact-title bonuses. With `userId` the ranking blends in the user’s affinity; ' +
    'without, it is the same for everyone. See docs/search.md.';

  app.get(
    '/v1/search',
    {
      config: POLICY,
      schema: {
        summary: 'Search the catalog',
        description,
        tags: ['search'],
        querystring: SearchQuery,
        response: responses(SearchAnswerBody),
      },
    },
    async (request) => {
      const query = request.query as Record<string, unknown>;
      return service.search({
        ...(query as unknown as SearchRequest),
        q: (query['q'] as string | undefined) ?? '',
        k: (query['k'] as number | undefined) ?? 10,
        offset: (query['offset'] as number | undefined) ?? 0,
        facets: nameList(query['facets']),
        fields: nameList(query['fields']),
        blend: parseBlend(query['blend']),
      });
    },
  );

  app.post(
    '/v1/search',
    {
      config: POLICY,
      schema: {
        summary: 'Search the catalog (parameters in a JSON body)',
        description: `${description} The same parameters as GET, for long filters; \`facets\` and \`fields\` are arrays, \`blend\` an object.`,
        tags: ['search'],
        body: SearchBody,
        response: responses(SearchAnswerBody),
      },
    },
    async (request) => {
      const body = request.body as Partial<SearchRequest> & {
        context?: Record<string, FilterValue>;
      };
      return service.search({
        ...body,
        q: body.q ?? '',
        k: body.k ?? 10,
        offset: body.offset ?? 0,
      });
    },
  );

  app.get(
    '/v1/autocomplete',
    {
      config: POLICY,
      schema: {
        summary: 'Suggestions while typing',
        description:
          'Query completions (the earlier words, the last one completed by frequent title words) and items whose ' +
          'title matches what is typed. `userId` personalizes the item order; `filter` restricts the items.',
        tags: ['search'],
        querystring: AutocompleteQuery,
        response: responses(AutocompleteBody),
      },
    },
    async (request) => {
      const query = request.query as {
        q: string;
        k?: number;
        items?: number;
        userId?: string;
        filter?: string;
      };
      return service.autocomplete({ ...query, k: query.k ?? 5, items: query.items ?? 5 });
    },
  );
  return service;
}

function nameList(raw: unknown): string[] | undefined {
  if (typeof raw !== 'string') return undefined;
  const names = raw
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  return names.length === 0 ? undefined : names;
}

/** `popularity:0.2,affinity:0.5` → `{ popularity: 0.2, affinity: 0.5 }`; checked by the service. */
function parseBlend(raw: unknown): Partial<SearchBlend> | undefined {
  if (typeof raw !== 'string') return undefined;
  const blend: Record<string, number> = {};
  for (const pair of raw.split(',')) {
    const [key = '', value = ''] = pair.split(':');
    const number = Number(value);
    if (!Number.isFinite(number))
      throw new KindredError('INVALID_REQUEST', `blend: "${pair}" is not key:number`, {
        path: 'blend',
      });
    blend[key] = number;
  }
  return blend as Partial<SearchBlend>;
}
