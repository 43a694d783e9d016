import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { EntityId, ErrorBody } from '../../contracts/schemas.js';
import { newEventId } from '../../core/events/event-id.js';
import {
  EventTypes,
  type ScenarioDeletedPayload,
  type ScenarioSavedPayload,
} from '../../core/events/event-types.js';
import { RuleCache } from '../../core/rules/index.js';
import { SOURCE_NAMES, type Scenario, type ScenarioConfig } from '../../core/domain/scenario.js';
import { KindredError } from '../../errors/catalog.js';
import type { HttpContext } from '../context.js';

const SourceName = Type.Union(SOURCE_NAMES.map((name) => Type.Literal(name)));
const Rule = Type.String({ maxLength: 4096 });
const Milliseconds = Type.Number({ minimum: 0, maximum: 60_000 });

const ScenarioConfigSchema = Type.Object(
  {
    description: Type.Optional(Type.String({ maxLength: 1000 })),
    sources: Type.Array(
      Type.Object(
        {
          name: SourceName,
          budget: Type.Integer({ minimum: 1, maximum: 10_000, description: 'Most candidates.' }),
          weight: Type.Number({ minimum: 0, maximum: 1000, description: 'Weight in the blend.' }),
        },
        { additionalProperties: false },
      ),
      { maxItems: SOURCE_NAMES.length },
    ),
    fallback: Type.Array(SourceName, {
      maxItems: SOURCE_NAMES.length,
      description: 'Sources tried in order when the scenario’s own give too few items or fail.',
    }),
    filter: Type.Optional(Rule),
    boost: Type.Optional(Rule),
    seenTypes: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 255 })),
    excludeNegative: Type.Optional(Type.Boolean()),
    diversity: Type.Optional(
      Type.Union([
        Type.Object({ mode: Type.Literal('none') }, { additionalProperties: false }),
        Type.Object(
          { mode: Type.Literal('mmr'), lambda: Type.Number({ minimum: 0, maximum: 1 }) },
          { additionalProperties: false },
        ),
        Type.Object(
          {
            mode: Type.Literal('category-cap'),
            perCategory: Type.Integer({ minimum: 1, maximum: 10_000 }),
          },
          { additionalProperties: false },
        ),
      ]),
    ),
    exploration: Type.Optional(Type.Number({ minimum: 0, maximum: 0.5 })),
    pinned: Type.Optional(
      Type.Array(
        Type.Object(
          { id: EntityId, position: Type.Integer({ minimum: 0, maximum: 1000 }) },
          { additionalProperties: false },
        ),
        { maxItems: 100 },
      ),
    ),
    ranker: Type.Optional(Type.Boolean()),
    budgets: Type.Optional(
      Type.Object(
        {
          retrieveMs: Type.Optional(Milliseconds),
          filterMs: Type.Optional(Milliseconds),
          scoreMs: Type.Optional(Milliseconds),
          orderMs: Type.Optional(Milliseconds),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

const ScenarioName = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' });

const ScenarioBody = Type.Object({
  name: Type.String(),
  version: Type.Integer({ description: 'Counts the saves; 0 for the built-in default.' }),
  config: Type.Record(Type.String(), Type.Unknown()),
  updatedAt: Type.Union([Type.String(), Type.Null()]),
  stats: Type.Optional(
    Type.Object({
      lists: Type.Integer(),
      items: Type.Integer(),
      attributed: Type.Record(Type.String(), Type.Integer()),
    }),
  ),
});

const READ = { policy: { scope: 'recommendations:read', pool: 'read' } } as const;
const WRITE = { policy: { scope: 'admin', pool: 'admin' } } as const;

/** `GET /v1/scenarios`, `GET/PUT/DELETE /v1/scenarios/{name}`: serving placements. */
export function registerScenarioRoutes(app: FastifyInstance, context: HttpContext): void {
  const { engine } = context;
  const scenarios = engine.readModels.scenarios;
  // Rules are validated here even where no models run, so a bad rule never gets stored.
  const rules = new RuleCache(100);
  const params = Type.Object({ name: ScenarioName });
  const view = (scenario: Scenario): Record<string, unknown> => ({
    name: scenario.name,
    version: scenario.version,
    config: scenario.config,
    updatedAt: scenario.updatedAt > 0 ? new Date(scenario.updatedAt).toISOString() : null,
    ...(context.models === undefined
      ? {}
      : { stats: context.models.recommendations.scenarioStats(scenario.name) }),
  });
  const append = async (type: { type: string; version: number }, payload: unknown) => {
    const now = Date.now();
    await engine.writes.append([
      {
        id: newEventId(now),
        type: type.type,
        version: type.version,
        occurredAt: now,
        receivedAt: now,
        partitionKey: 'scenarios',
        payload,
        metadata: { source: 'api' },
      },
    ]);
  };

  app.get(
    '/v1/scenarios',
    {
      config: READ,
      schema: {
        summary: 'List the scenarios',
        description:
          'Every scenario (the built-in `default` included) with its version and counts since start.',
        tags: ['recommendations'],
        response: { 200: Type.Object({ scenarios: Type.Array(ScenarioBody) }), '4xx': ErrorBody },
      },
    },
    async () => ({ scenarios: scenarios.list().map(view) }),
  );

  app.get(
    '/v1/scenarios/:name',
    {
      config: READ,
      schema: {
        summary: 'One scenario',
        tags: ['recommendations'],
        params,
        response: { 200: ScenarioBody, '4xx': ErrorBody },
      },
    },
    async (request) => {
      const { name } = request.params as { name: string };
      const scenario = scenarios.get(name);
      if (scenario === undefined)
        throw new KindredError('SCENARIO_NOT_FOUND', `no scenario "${name}"`, { scenario: name });
      return view(scenario);
    },
  );

  app.put(
    '/v1/scenarios/:name',
    {
      config: WRITE,
      schema: {
        summary: 'Create or replace a scenario',
        description:
          'A placement (home page, item page, cart...): its sources with budgets and weights, the fallback chain, ' +
          'filter and boost rules (checked now: 400 INVALID_RULE with the position), seen types, diversity, exploration, ' +
          'pinned items, whether the learned ranker scores, and stage time budgets. Each save is a new version, kept in the log.',
        tags: ['recommendations'],
        params,
        body: ScenarioConfigSchema,
        response: { 200: ScenarioBody, '4xx': ErrorBody, '5xx': ErrorBody },
      },
    },
    async (request) => {
      const { name } = request.params as { name: string };
      const config = request.body as ScenarioConfig;
      checkScenario(
        config,
        engine.readModels.interactionTypes.indexOf.bind(engine.readModels.interactionTypes),
      );
      if (config.filter !== undefined) rules.filter(config.filter);
      if (config.boost !== undefined) rules.boosts(config.boost);
      const payload: ScenarioSavedPayload = {
        name,
        version: scenarios.nextVersion(name),
        config,
      };
      await append(EventTypes.scenarioSaved, payload);
      return view(scenarios.get(name)!);
    },
  );

  app.delete(
    '/v1/scenarios/:name',
    {
      config: WRITE,
      schema: {
        summary: 'Delete a scenario',
        description: 'Deleting `default` restores the built-in one.',
        tags: ['recommendations'],
        params,
        response: { 204: Type.Null(), '4xx': ErrorBody, '5xx': ErrorBody },
      },
    },
    async (request, reply) => {
      const { name } = request.params as { name: string };
      const scenario = scenarios.get(name);
      if (scenario === undefined || scenario.version === 0)
        throw new KindredError('SCENARIO_NOT_FOUND', `no stored scenario "${name}"`, {
          scenario: name,
        });
      const payload: ScenarioDeletedPayload = { name };
      await append(EventTypes.scenarioDeleted, payload);
      return reply.code(204).send();
    },
  );
}

/** What the schema cannot say: sources once each, known interaction types. */
function checkScenario(
  config: ScenarioConfig,
  typeIndex: (name: string) => number | undefined,
): void {
  const names = config.sources.map((source) => source.name);
  if (new Set(names).size !== names.length)
    throw new KindredError('INVALID_REQUEST', 'each source may appear once', {
      path: 'sources',
    });
  if (config.sources.length === 0 && config.fallback.length === 0)
    throw new KindredError('INVALID_REQUEST', 'a scenario needs a source or a fallback', {
      path: 'sources',
    });
  for (const type of config.seenTypes ?? [])
    if (typeIndex(type) === undefined)
      throw new KindredError('UNKNOWN_INTERACTION_TYPE', `no interaction type "${type}"`, {
        path: 'seenTypes',
        type,
      });
}
