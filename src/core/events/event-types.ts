import type { InteractionPayload } from '../domain/interaction.js';
import type { ItemInput, ItemPatch } from '../domain/item.js';
import type { UserInput, UserPatch } from '../domain/user.js';
import type { ScenarioConfig } from '../domain/scenario.js';

/**
 * The event types the log holds, with the current schema version of each payload.
 * Changing a payload's shape means a new version here plus an upcaster from the old one.
 */
export const EventTypes = {
  itemUpserted: { type: 'item.upserted', version: 1 },
  itemPatched: { type: 'item.patched', version: 1 },
  itemDeleted: { type: 'item.deleted', version: 1 },
  userUpserted: { type: 'user.upserted', version: 1 },
  userPatched: { type: 'user.patched', version: 1 },
  userDeleted: { type: 'user.deleted', version: 1 },
  interactionRecorded: { type: 'interaction.recorded', version: 1 },
  modelTrained: { type: 'model.trained', version: 1 },
  modelActivated: { type: 'model.activated', version: 1 },
  scenarioSaved: { type: 'scenario.saved', version: 1 },
  scenarioDeleted: { type: 'scenario.deleted', version: 1 },
  recommendationsServed: { type: 'recommendations.served', version: 1 },
} as const;

export interface ItemUpsertedPayload {
  readonly item: ItemInput;
}
export interface ItemPatchedPayload {
  readonly id: string;
  readonly patch: ItemPatch;
}
export interface ItemDeletedPayload {
  readonly id: string;
}
export interface UserUpsertedPayload {
  readonly user: UserInput;
}
export interface UserPatchedPayload {
  readonly id: string;
  readonly patch: UserPatch;
}
export interface UserDeletedPayload {
  readonly id: string;
}
export type InteractionRecordedPayload = InteractionPayload;

/** A new model version is stored in the registry; serving swaps to it. */
export interface ModelTrainedPayload {
  readonly version: string;
  /** The log offset of the snapshot it was trained on. */
  readonly offset: number;
  readonly interactions: number;
  readonly pipeline: string;
  readonly ndcg?: number;
}
/** Serving was switched to an earlier version (a rollback). */
export interface ModelActivatedPayload {
  readonly version: string;
  readonly previous: string | null;
  readonly reason: 'rollback';
}

/** A serving scenario was created or replaced; `version` counts its saves. */
export interface ScenarioSavedPayload {
  readonly name: string;
  readonly version: number;
  readonly config: ScenarioConfig;
}
export interface ScenarioDeletedPayload {
  readonly name: string;
}

/** One recommendation list shown: what, where, by which scenario and model. */
export interface Impression {
  readonly recommendationId: string;
  readonly scenario: string;
  readonly scenarioVersion: number;
  readonly model: string | null;
  /** `user`, `session`, `item` (similar items) or `trending`. */
  readonly subject: 'user' | 'session' | 'item' | 'trending';
  readonly userId?: string;
  readonly itemIds: readonly string[];
  /** Position of the first item in the whole list (pages after the first start later). */
  readonly offset: number;
  /** ms since the epoch. */
  readonly servedAt: number;
}
/** Impressions logged together (they are written in batches, off the request path). */
export interface RecommendationsServedPayload {
  readonly impressions: readonly Impression[];
}
