import type { Hash } from 'node:crypto';
import type { StoredEvent } from '../events/envelope.js';
import {
  EventTypes,
  type ScenarioDeletedPayload,
  type ScenarioSavedPayload,
} from '../events/event-types.js';
import { BUILT_IN_DEFAULT, DEFAULT_SCENARIO, type Scenario } from '../domain/scenario.js';
import type { Projection, ProjectionState } from './projection.js';

/**
 * The scenarios, projected from `scenario.saved` and `scenario.deleted` events, so a
 * replay or a restart serves the same ones. `default` always exists: the built-in one
 * until it is saved over, and again after it is deleted.
 */
export class ScenarioStore implements Projection {
  readonly name = 'scenarios';
  private scenarios = new Map<string, Scenario>();
  /** Versions keep counting after a delete, so a re-created scenario never reuses one. */
  private versions = new Map<string, number>();
  private readonly listeners: ((name: string) => void)[] = [];

  get(name: string): Scenario | undefined {
    return (
      this.scenarios.get(name) ??
      (name === DEFAULT_SCENARIO
        ? { name, version: 0, config: BUILT_IN_DEFAULT, updatedAt: 0 }
        : undefined)
    );
  }

  list(): Scenario[] {
    const names = new Set([DEFAULT_SCENARIO, ...this.scenarios.keys()]);
    return [...names].sort().map((name) => this.get(name)!);
  }

  /** The version the next save of `name` gets. */
  nextVersion(name: string): number {
    return (this.versions.get(name) ?? 0) + 1;
  }

  /** Told the name of every scenario that changes (for caches). */
  onChange(listener: (name: string) => void): void {
    this.listeners.push(listener);
  }

  apply(event: StoredEvent): void {
    if (event.type === EventTypes.scenarioSaved.type) {
      const { name, version, config } = event.payload as ScenarioSavedPayload;
      this.scenarios.set(name, { name, version, config, updatedAt: event.occurredAt });
      this.versions.set(name, Math.max(version, this.versions.get(name) ?? 0));
      for (const listener of this.listeners) listener(name);
    } else if (event.type === EventTypes.scenarioDeleted.type) {
      const { name } = event.payload as ScenarioDeletedPayload;
      this.scenarios.delete(name);
      for (const listener of this.listeners) listener(name);
    }
  }

  checksum(hash: Hash): void {
    hash.update(`scenarios:${JSON.stringify(this.snapshot().json)}\n`);
  }

  snapshot(): ProjectionState {
    return {
      json: {
        scenarios: [...this.scenarios.values()].sort((a, b) => a.name.localeCompare(b.name)),
        versions: [...this.versions].sort(([a], [b]) => a.localeCompare(b)),
      },
      arrays: {},
    };
  }

  restore(state: ProjectionState): void {
    const json = state.json as { scenarios: Scenario[]; versions: [string, number][] };
    this.scenarios = new Map(json.scenarios.map((scenario) => [scenario.name, scenario]));
    this.versions = new Map(json.versions);
    for (const listener of this.listeners) for (const name of this.scenarios.keys()) listener(name);
  }
}
