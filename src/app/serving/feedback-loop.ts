// The feedback loop: what was served (lists, impressions, per-scenario counts), and what is
// learned when users act on it (click-through activity and the ranker's training rows).
import type { Logger } from 'pino';
import type { KindredConfig } from '../../config/settings.js';
import type { StoredEvent } from '../../core/events/envelope.js';
import {
  EventTypes,
  type Impression,
  type InteractionRecordedPayload,
} from '../../core/events/event-types.js';
import type { ReadModels } from '../../core/projections/read-models.js';
import { FEATURE_COUNT } from '../../core/serving/features.js';
import { ItemActivity } from '../../core/serving/item-activity.js';
import { ImpressionRows, LogisticRanker } from '../../core/serving/ranker.js';
import type { WriteService } from '../write-service.js';
import { ImpressionWriter } from './impression-writer.js';
import { RecommendationLog } from './recommendation-log.js';

/** Per-scenario counts since start: lists served, items shown, attributed interactions. */
export interface ScenarioStats {
  lists: number;
  items: number;
  attributed: Record<string, number>;
}

export class FeedbackLoop {
  /** Item impressions, interactions and clicks, which the pipeline's features read. */
  readonly activity = new ItemActivity();
  private readonly rows: ImpressionRows;
  private readonly lists: RecommendationLog;
  private readonly impressions: ImpressionWriter;
  private readonly stats = new Map<string, ScenarioStats>();
  private rankerValue: LogisticRanker | undefined;
  private rowsAtLastFit = 0;
  private fitting = false;
  /** Lists given feature rows in the current second (see `serving.rankerListsPerSecond`). */
  private rowedLists = 0;
  private rowedSecond = 0;

  constructor(
    private readonly readModels: ReadModels,
    writes: WriteService,
    private readonly config: KindredConfig,
    private readonly logger: Logger,
  ) {
    const settings = config.serving;
    this.rows = new ImpressionRows(settings.rankerRows, FEATURE_COUNT);
    this.lists = new RecommendationLog(
      settings.servedListCapacity,
      settings.servedListTtlSeconds * 1000,
    );
    this.impressions = new ImpressionWriter(writes, settings.impressionFlushMs, logger);
  }

  /** The ranker fitted on logged impressions, once there are enough of them. */
  get ranker(): LogisticRanker | undefined {
    return this.rankerValue;
  }

  /** A list served earlier, to page on (undefined when unknown or expired). */
  servedList(recommendationId: string): ReturnType<RecommendationLog['get']> {
    return this.lists.get(recommendationId);
  }

  /** Starts remembering a new list; returns its slot (`listId` gives its id). */
  openList(scenario: string, subjectKey: string): number {
    return this.lists.add(scenario, subjectKey);
  }

  listId(slot: number): string {
    return this.lists.idOf(slot);
  }

  /**
   * Records one item shown in a list: its impression, and its feature row (at `at` in
   * `features`) when the list had rows taken; NaN features mean none.
   */
  shown(list: number, item: number, features: Float32Array, at: number, nowSeconds: number): void {
    this.activity.impression(item, nowSeconds);
    this.lists.append(list, item, Number.isNaN(features[at]!) ? -1 : this.rows.add(features, at));
  }

  /** Counts a served list and queues its impression event. */
  served(scenario: string, items: number, impression: Impression): void {
    const stats = this.statsOf(scenario);
    stats.lists++;
    stats.items += items;
    this.impressions.add(impression);
  }

  /** Whether this list's items get training rows, within the per-second budget. */
  takeRowBudget(): boolean {
    const second = Math.floor(performance.now() / 1000);
    if (second !== this.rowedSecond) {
      this.rowedSecond = second;
      this.rowedLists = 0;
    }
    return this.rowedLists++ < this.config.serving.rankerListsPerSecond;
  }

  scenarioStats(name: string): ScenarioStats {
    return this.stats.get(name) ?? { lists: 0, items: 0, attributed: {} };
  }

  /** The ranker's state: rows logged, clicks among them, whether it is trained. */
  rankerStatus(): { impressions: number; clicks: number; trained: boolean } {
    return { impressions: this.rows.count, clicks: this.rows.clicks, trained: !!this.rankerValue };
  }

  /** Writes the queued impressions now (tests; shutdown). */
  flushImpressions(): Promise<void> {
    return this.impressions.flush();
  }

  /** Interactions: item activity, attribution to the list they came from, click labels. */
  onApplied(events: readonly StoredEvent[]): void {
    const models = this.readModels;
    let labelled = false;
    for (const event of events) {
      if (event.type !== EventTypes.interactionRecorded.type) continue;
      const payload = event.payload as InteractionRecordedPayload;
      const item = models.catalog.ids.indexOf(payload.itemId);
      const type = models.interactionTypes.indexOf(payload.type);
      if (item === undefined || type === undefined) continue;
      const time = event.occurredAt / 1000;
      this.activity.interaction(item, time);
      const recommendationId = payload.context?.recommendationId;
      if (recommendationId === undefined) continue;
      const list = this.lists.peek(recommendationId);
      if (list === undefined) continue;
      const stats = this.statsOf(list.scenario);
      stats.attributed[payload.type] = (stats.attributed[payload.type] ?? 0) + 1;
      const row = list.rowOf(item);
      if (row >= 0 && models.interactionTypes.weights[type]! > 0) {
        this.activity.click(item, time);
        labelled = this.rows.label(row) || labelled;
      }
    }
    if (labelled) this.maybeFitRanker();
  }

  /** Fits the ranker now if there is enough data (tests and operators). */
  fitRankerNow(): boolean {
    if (!this.enoughRows()) return false;
    this.rowsAtLastFit = this.rows.added;
    this.rankerValue = LogisticRanker.fit(this.rows.training());
    return true;
  }

  private enoughRows(): boolean {
    const { rankerMinImpressions, rankerMinClicks } = this.config.serving;
    return this.rows.count >= rankerMinImpressions && this.rows.clicks >= rankerMinClicks;
  }

  /** Refits the ranker off the request path once enough impressions and clicks are logged. */
  private maybeFitRanker(): void {
    if (this.fitting || !this.enoughRows()) return;
    if (
      this.rankerValue !== undefined &&
      this.rows.added - this.rowsAtLastFit < this.rows.count / 10
    )
      return;
    this.fitting = true;
    setImmediate(() => {
      try {
        this.rowsAtLastFit = this.rows.added;
        this.rankerValue = LogisticRanker.fit(this.rows.training());
        this.logger.info(
          { impressions: this.rows.count, clicks: this.rows.clicks },
          'ranker trained on logged impressions',
        );
      } catch (error) {
        this.logger.warn({ err: error }, 'ranker training failed; the blend keeps scoring');
      } finally {
        this.fitting = false;
      }
    });
  }

  private statsOf(name: string): ScenarioStats {
    let stats = this.stats.get(name);
    if (stats === undefined) {
      stats = { lists: 0, items: 0, attributed: {} };
      this.stats.set(name, stats);
    }
    return stats;
  }
}
