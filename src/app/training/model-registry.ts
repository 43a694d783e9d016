import type { StateStore } from '../../ports/state-store.js';
import type { OfflineMetrics } from '../../core/recommend/offline.js';
import type { PipelineConfig } from '../../core/recommend/blend-config.js';
import type { ModelSearchResult, Trial } from '../../core/recommend/model-search.js';

export const MODELS_NAMESPACE = 'models';
const ARTIFACT = 'artifact/';
const META = 'meta/';
const RESERVED = 'reserved/';
const ACTIVE = 'active';

/** The search, as a model version keeps it: what was tried and what won. */
export interface SearchRecord {
  readonly budgetSeconds: number;
  readonly seconds: number;
  readonly budgetExhausted: boolean;
  /** How the validation split was carved out of the training rows. */
  readonly protocol: string;
  readonly validationUsers: number;
  readonly validationNdcg: number;
  readonly k: number;
  readonly trials: readonly Trial[];
  /** The request budget, the iALS factors it allowed, and the chosen pipeline's request cost (ms). */
  readonly requestCost?: ModelSearchResult['requestCost'];
}

/** Everything known about one model version except its arrays. */
export interface ModelRecord {
  readonly version: string;
  readonly createdAt: string;
  /** What started the training: api, cli, schedule, events, start. */
  readonly reason: string;
  /** The log offset of the snapshot it was trained on. */
  readonly offset: number;
  readonly interactions: number;
  readonly users: number;
  readonly items: number;
  /** The pipeline, in one line, and in full. */
  readonly description: string;
  readonly pipeline: PipelineConfig;
  /** Measured on the time-based holdout (absent when the data was too small for one). */
  readonly evaluation?: {
    readonly protocol: string;
    readonly trainInteractions: number;
    readonly heldOutInteractions: number;
    readonly metrics: OfflineMetrics;
  };
  /** Absent when the pipeline was pinned by configuration. */
  readonly search?: SearchRecord;
  readonly seconds: {
    readonly total: number;
    readonly search: number;
    readonly evaluation: number;
    readonly fit: number;
  };
  readonly artifactBytes: number;
  readonly fingerprint: string;
}

export interface ActivePointer {
  readonly version: string;
  readonly since: string;
  readonly reason: 'trained' | 'rollback';
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const json = (value: unknown): Uint8Array => encoder.encode(JSON.stringify(value));
const parse = <T>(bytes: Uint8Array): T => JSON.parse(decoder.decode(bytes)) as T;

/**
 * Model versions in the state store: each version's artifact and its record (metrics,
 * pipeline, search trials) under separate keys, so listing never reads artifacts, plus
 * a pointer to the version serving. Versions are `v` and a zero-padded sequence number,
 * so keys sort in training order.
 */
export class ModelRegistry {
  constructor(private readonly store: StateStore) {}

  /**
   * A version no other trainer is given, in this process or another sharing the store:
   * each is reserved by a compare-and-set on a key of its own (a failed training leaves
   * a gap in the numbers, never two models under one).
   */
  async nextVersion(): Promise<string> {
    const last = (await this.list()).at(-1);
    let number = last === undefined ? 1 : Number(last.version.slice(1)) + 1;
    for (;;) {
      const version = `v${String(number).padStart(6, '0')}`;
      const stamp = json({ reservedAt: new Date().toISOString() });
      if (await this.store.compareAndSet(MODELS_NAMESPACE, RESERVED + version, undefined, stamp))
        return version;
      number++;
    }
  }

  /** Stores a version (artifact first, then its record: a listed version is always loadable). */
  async put(record: ModelRecord, artifact: Uint8Array): Promise<void> {
    await this.store.put(MODELS_NAMESPACE, ARTIFACT + record.version, artifact);
    await this.store.put(MODELS_NAMESPACE, META + record.version, json(record));
  }

  /** Every version, oldest first. */
  async list(): Promise<ModelRecord[]> {
    const entries = await this.store.list(MODELS_NAMESPACE, { prefix: META });
    return entries.map((entry) => parse<ModelRecord>(entry.value));
  }

  async record(version: string): Promise<ModelRecord | undefined> {
    const bytes = await this.store.get(MODELS_NAMESPACE, META + version);
    return bytes === undefined ? undefined : parse<ModelRecord>(bytes);
  }

  async artifact(version: string): Promise<Uint8Array | undefined> {
    return this.store.get(MODELS_NAMESPACE, ARTIFACT + version);
  }

  async active(): Promise<ActivePointer | undefined> {
    const bytes = await this.store.get(MODELS_NAMESPACE, ACTIVE);
    return bytes === undefined ? undefined : parse<ActivePointer>(bytes);
  }

  /**
   * Points serving at `version`; false when a newly trained version lost to a newer one
   * activated meanwhile (two trainers finishing out of order must not leave the older
   * model serving). A rollback is the operator's choice and always applies. The pointer
   * changes by compare-and-set, so racing writers each see what they replace.
   */
  async setActive(version: string, reason: ActivePointer['reason']): Promise<boolean> {
    const pointer = json({ version, since: new Date().toISOString(), reason });
    for (;;) {
      const current = await this.store.get(MODELS_NAMESPACE, ACTIVE);
      if (
        reason === 'trained' &&
        current !== undefined &&
        parse<ActivePointer>(current).version > version
      )
        return false;
      if (await this.store.compareAndSet(MODELS_NAMESPACE, ACTIVE, current, pointer)) return true;
    }
  }

  /** Deletes all but the newest `keep` versions, never the active one. Returns what went. */
  async prune(keep: number): Promise<string[]> {
    const versions = (await this.list()).map((record) => record.version);
    const active = (await this.active())?.version;
    const removed: string[] = [];
    for (const version of versions.slice(0, Math.max(0, versions.length - keep))) {
      if (version === active) continue;
      await this.store.delete(MODELS_NAMESPACE, META + version);
      await this.store.delete(MODELS_NAMESPACE, ARTIFACT + version);
      // The reservation stays: a version number is never given twice.
      removed.push(version);
    }
    return removed;
  }
}
