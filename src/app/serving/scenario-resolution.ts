// Scenarios by name, with their names (types, pinned items) resolved to the indexes the
// pipeline reads; cached per scenario version.
import type { KindredConfig } from '../../config/settings.js';
import type { ReadModels } from '../../core/projections/read-models.js';
import type { Diversity, Scenario } from '../../core/domain/scenario.js';
import type { ResolvedScenario } from '../../core/serving/serving-pipeline.js';
import { DEFAULT_STAGE_BUDGETS } from '../../core/serving/scenario.js';
import { KindredError } from '../../errors/catalog.js';

export class ScenarioResolver {
  private readonly resolved = new Map<string, ResolvedScenario>();

  constructor(
    private readonly readModels: ReadModels,
    private readonly config: KindredConfig,
  ) {
    readModels.scenarios.onChange((name) => this.resolved.delete(name));
  }

  /** The scenario called `name`; 404 SCENARIO_NOT_FOUND when there is none. */
  named(name: string): Scenario {
    const scenario = this.readModels.scenarios.get(name);
    if (scenario === undefined)
      throw new KindredError('SCENARIO_NOT_FOUND', `no scenario "${name}"`, { scenario: name });
    return scenario;
  }

  /** The scenario with names resolved to indexes; a request's diversity replaces its own. */
  resolve(scenario: Scenario, diversity: Diversity | undefined): ResolvedScenario {
    let resolved = this.resolved.get(scenario.name);
    if (resolved === undefined || resolved.version !== scenario.version) {
      resolved = resolveScenario(scenario, this.readModels, this.config);
      this.resolved.set(scenario.name, resolved);
    }
    return diversity === undefined ? resolved : { ...resolved, diversity };
  }
}

/** A scenario's names turned into what the pipeline reads. */
export function resolveScenario(
  scenario: Scenario,
  readModels: ReadModels,
  config: KindredConfig,
): ResolvedScenario {
  const types = readModels.interactionTypes;
  const { config: settings } = scenario;
  const seenTypes = new Uint8Array(types.size);
  if (settings.seenTypes === undefined) seenTypes.set(types.seenMask);
  else
    for (const name of settings.seenTypes) {
      const index = types.indexOf(name);
      if (index !== undefined) seenTypes[index] = 1;
    }
  const negativeTypes = new Uint8Array(types.size);
  if (settings.excludeNegative !== false)
    for (let t = 0; t < types.size; t++) negativeTypes[t] = types.weights[t]! < 0 ? 1 : 0;
  const pinned: { item: number; position: number }[] = [];
  for (const pin of settings.pinned ?? []) {
    const item = readModels.catalog.ids.indexOf(pin.id);
    if (item !== undefined) pinned.push({ item, position: pin.position });
  }
  void config;
  return {
    name: scenario.name,
    version: scenario.version,
    sources: settings.sources,
    fallback: settings.fallback,
    seenTypes,
    negativeTypes,
    diversity: settings.diversity ?? { mode: 'none' },
    exploration: settings.exploration ?? 0,
    pinned,
    ranker: settings.ranker ?? false,
    budgets: { ...DEFAULT_STAGE_BUDGETS, ...settings.budgets },
  };
}
