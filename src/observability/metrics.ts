import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import {
  Counter,
  Gauge,
  Histogram,
  Registry,
  collectDefaultMetrics,
  type Metric,
} from 'prom-client';

/**
 * Prometheus metrics. Each HTTP app owns a registry (tests run several apps in one
 * process); the hooks other modules call (`telemetry`) are process-wide, cost nothing
 * until called, and show up in every registry.
 *
 * Names follow Prometheus conventions: base units (seconds, bytes), `_total` counters.
 */

/** Latency buckets in seconds: fine below 10 ms, where the serving targets are. */
export const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** One kind of background work run in slices (see `EngineTelemetry.background`). */
export interface BackgroundWork {
  started(): void;
  /** One slice ran for `seconds`. */
  slice(seconds: number): void;
  ended(): void;
}

export interface CacheCounter {
  hit(count?: number): void;
  miss(count?: number): void;
}

/**
 * Hooks for the models, training and caching code: call them and the figures appear on
 * `/metrics`; never called, they add nothing. None of them allocate per call.
 */
export interface EngineTelemetry {
  /** A model version went live (trained or rolled back to). `trainedAtMs`: unix ms. */
  modelPublished(model: string, version: string | number, trainedAtMs: number): void;
  /** One training run ended. */
  trainingFinished(model: string, seconds: number, outcome?: 'ok' | 'failed'): void;
  /** A counter pair for one cache; keep the handle, it is cheap to call per lookup. */
  cache(name: string): CacheCounter;
  /** A serving stage was skipped or fell back (it threw or ran over its time budget). */
  servingDegraded(stage: string): void;
  /** Handle for one kind of background work (index builds, lists ranked ahead, snapshots). */
  background(task: string): BackgroundWork;
  /** A live recommendation stream opened (+1) or closed (-1). */
  streamsOpen(delta: 1 | -1): void;
  /** A fresh list was pushed on a live stream; `trigger`: initial, interaction or model. */
  streamPushed(trigger: string): void;
  /** A stream was refused because the connection cap was reached. */
  streamRefused(): void;
}

class ProcessTelemetry implements EngineTelemetry {
  readonly modelInfo = new Gauge({
    name: 'kindred_model_info',
    help: 'The model version serving now (value 1), by model',
    labelNames: ['model', 'version'] as const,
    registers: [],
  });
  private readonly trainedAt = new Map<string, { version: string; at: number }>();
  readonly modelAge = new Gauge({
    name: 'kindred_model_age_seconds',
    help: 'Seconds since the serving version of each model was trained',
    labelNames: ['model'] as const,
    registers: [],
    collect: () => this.collectAge(),
  });
  readonly training = new Histogram({
    name: 'kindred_training_duration_seconds',
    help: 'Duration of training runs, by model and outcome',
    labelNames: ['model', 'outcome'] as const,
    buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
    registers: [],
  });
  readonly cacheRequests = new Counter({
    name: 'kindred_cache_requests_total',
    help: 'Cache lookups, by cache and result (hit or miss)',
    labelNames: ['cache', 'result'] as const,
    registers: [],
    collect: () => this.collectCacheRequests(),
  });
  /**
   * Lookups are counted in plain numbers (a cache is asked on every request, and a
   * prom-client child hashes its labels on every `inc`) and written at scrape time, each
   * label set in the order it was first counted, as prom-client itself keeps them.
   */
  private readonly caches = new Map<
    string,
    { hits: number; misses: number; handle: CacheCounter }
  >();
  private readonly cacheSeries: { cache: string; result: 'hit' | 'miss'; count: () => number }[] =
    [];
  readonly cacheHitRatio = new Gauge({
    name: 'kindred_cache_hit_ratio',
    help: 'Hits over lookups since start, by cache',
    labelNames: ['cache'] as const,
    registers: [],
    collect: () => this.collectHitRatio(),
  });

  readonly servingDegradations = new Counter({
    name: 'kindred_serving_degraded_total',
    help: 'Recommendation stages skipped or fallen back (threw or ran over their time budget), by stage',
    labelNames: ['stage'] as const,
    registers: [],
  });

  servingDegraded(stage: string): void {
    this.servingDegradations.inc({ stage });
  }

  readonly backgroundSeconds = new Counter({
    name: 'kindred_background_work_seconds_total',
    help: 'Event-loop time spent on background work run in slices between requests (index builds, lists ranked ahead, snapshots, history packing), by task',
    labelNames: ['task'] as const,
    registers: [],
  });
  readonly backgroundRunning = new Gauge({
    name: 'kindred_background_tasks',
    help: 'Background jobs running now, by task (0 once a server has nothing left to do)',
    labelNames: ['task'] as const,
    registers: [],
  });
  readonly backgroundSlices = new Histogram({
    name: 'kindred_background_slice_seconds',
    help: 'How long one slice of background work held the event loop (a request arriving meanwhile waits as long)',
    labelNames: ['task'] as const,
    buckets: [0.0005, 0.001, 0.002, 0.003, 0.005, 0.01, 0.025, 0.1],
    registers: [],
  });
  private readonly backgroundTasks = new Map<string, BackgroundWork>();

  background(task: string): BackgroundWork {
    let work = this.backgroundTasks.get(task);
    if (work === undefined) {
      const seconds = this.backgroundSeconds.labels(task);
      const running = this.backgroundRunning.labels(task);
      const slices = this.backgroundSlices.labels(task);
      running.set(0);
      work = {
        started: () => running.inc(),
        slice: (spent) => {
          seconds.inc(spent);
          slices.observe(spent);
        },
        ended: () => running.dec(),
      };
      this.backgroundTasks.set(task, work);
    }
    return work;
  }

  readonly streams = new Gauge({
    name: 'kindred_recommendation_streams',
    help: 'Live recommendation streams (server-sent events) open now',
    registers: [],
  });
  readonly streamPushes = new Counter({
    name: 'kindred_recommendation_stream_pushes_total',
    help: 'Lists pushed on live recommendation streams, by trigger (initial, interaction, model)',
    labelNames: ['trigger'] as const,
    registers: [],
  });
  private readonly pushesByTrigger = new Map<string, { inc(): void }>();
  readonly streamsRefused = new Counter({
    name: 'kindred_recommendation_streams_refused_total',
    help: 'Recommendation streams refused because serving.streamMaxConnections were open',
    registers: [],
  });

  streamsOpen(delta: 1 | -1): void {
    this.streams.inc(delta);
  }

  streamPushed(trigger: string): void {
    let child = this.pushesByTrigger.get(trigger);
    if (child === undefined) {
      child = this.streamPushes.labels(trigger);
      this.pushesByTrigger.set(trigger, child);
    }
    child.inc();
  }

  streamRefused(): void {
    this.streamsRefused.inc();
  }

  modelPublished(model: string, version: string | number, trainedAtMs: number): void {
    const previous = this.trainedAt.get(model);
    if (previous) this.modelInfo.remove(model, previous.version);
    const text = String(version);
    this.trainedAt.set(model, { version: text, at: trainedAtMs });
    this.modelInfo.set({ model, version: text }, 1);
  }

  trainingFinished(model: string, seconds: number, outcome: 'ok' | 'failed' = 'ok'): void {
    this.training.observe({ model, outcome }, seconds);
  }

  cache(name: string): CacheCounter {
    const existing = this.caches.get(name);
    if (existing) return existing.handle;
    let hitSeen = false;
    let missSeen = false;
    const entry = {
      hits: 0,
      misses: 0,
      handle: {
        hit: (count = 1) => {
          if (!hitSeen) {
            hitSeen = true;
            this.cacheSeries.push({ cache: name, result: 'hit', count: () => entry.hits });
          }
          entry.hits += count;
        },
        miss: (count = 1) => {
          if (!missSeen) {
            missSeen = true;
            this.cacheSeries.push({ cache: name, result: 'miss', count: () => entry.misses });
          }
          entry.misses += count;
        },
      },
    };
    this.caches.set(name, entry);
    return entry.handle;
  }

  metrics(): Metric[] {
    return [
      this.modelInfo,
      this.modelAge,
      this.training,
      this.cacheRequests,
      this.cacheHitRatio,
      this.servingDegradations,
      this.backgroundSeconds,
      this.backgroundRunning,
      this.backgroundSlices,
      this.streams,
      this.streamPushes,
      this.streamsRefused,
    ];
  }

  private collectAge(): void {
    this.modelAge.reset();
    const now = Date.now();
    for (const [model, { at }] of this.trainedAt) this.modelAge.set({ model }, (now - at) / 1000);
  }

  private collectCacheRequests(): void {
    this.cacheRequests.reset();
    for (const { cache, result, count } of this.cacheSeries)
      this.cacheRequests.inc({ cache, result }, count());
  }

  private collectHitRatio(): void {
    this.cacheHitRatio.reset();
    for (const [cache, { hits, misses }] of this.caches) {
      if (hits + misses > 0) this.cacheHitRatio.set({ cache }, hits / (hits + misses));
    }
  }
}

/** The process-wide hooks (see `EngineTelemetry`). */
export const telemetry: EngineTelemetry & { metrics(): Metric[] } = new ProcessTelemetry();

/** What the gateway's metrics read at scrape time. */
export interface MetricsSources {
  /** Log position and projection lag; called on each scrape. */
  readonly engineStatus?: () => Promise<{ checkpoint: number; lastOffset: number; lag: number }>;
  /** In-flight requests and shed counts per pool. */
  readonly pools?: {
    readonly names: readonly string[];
    inFlight(pool: string): number;
    shed(pool: string, reason: 'pool' | 'delay'): number;
    /** Largest queueing-delay estimate (ms) since the previous scrape. */
    maxWaitMs(): number;
    shedding(): boolean;
  };
}

/** One label set of a histogram: what a hot path keeps and calls per request. */
export interface HistogramChild {
  observe(value: number): void;
}

/**
 * A histogram whose label sets count in plain numbers: `observe` is a bucket search and
 * three additions, with no label hashing or validation per call (prom-client's children
 * hash their labels on every observation, a few percent of a cheap request). It writes the
 * same samples as a prom-client `Histogram` of the same name, buckets and label sets, in
 * the order the label sets were first used; the registry reads them at scrape time.
 */
class PlainHistogram<L extends string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly children = new Map<string, PlainHistogramChild>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly L[],
    private readonly buckets: readonly number[],
  ) {}

  labels(...values: string[]): HistogramChild {
    const key = values.join('\u0000');
    let child = this.children.get(key);
    if (child === undefined) {
      const labels: Record<string, string> = {};
      this.labelNames.forEach((name, i) => (labels[name] = values[i] ?? ''));
      child = new PlainHistogramChild(labels, this.buckets);
      this.children.set(key, child);
    }
    return child;
  }

  reset(): void {
    this.children.clear();
  }

  get(): Promise<{
    name: string;
    help: string;
    type: string;
    aggregator: string;
    values: { labels: Record<string, string | number>; value: number; metricName: string }[];
  }> {
    const values: {
      labels: Record<string, string | number>;
      value: number;
      metricName: string;
    }[] = [];
    const bucket = `${this.name}_bucket`;
    for (const child of this.children.values()) {
      let cumulative = 0;
      for (let i = 0; i < this.buckets.length; i++) {
        cumulative += child.counts[i] as number;
        values.push({
          labels: { le: this.buckets[i] as number, ...child.labels },
          value: cumulative,
          metricName: bucket,
        });
      }
      values.push(
        { labels: { le: '+Inf', ...child.labels }, value: child.count, metricName: bucket },
        { labels: { ...child.labels }, value: child.sum, metricName: `${this.name}_sum` },
        { labels: { ...child.labels }, value: child.count, metricName: `${this.name}_count` },
      );
    }
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values,
    });
  }
}

class PlainHistogramChild implements HistogramChild {
  /** Observations per bucket, not cumulative (a value above the last bucket counts in none). */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Readonly<Record<string, string>>,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    const bounds = this.bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= (bounds[i] as number)) {
        this.counts[i] = (this.counts[i] as number) + 1;
        break;
      }
    }
    this.sum += value;
    this.count += 1;
  }
}

/** The metrics of one HTTP app. */
export class KindredMetrics {
  readonly registry = new Registry();
  private readonly requestDuration: PlainHistogram<'method' | 'route' | 'status'>;
  private readonly eventsAccepted: Counter;
  private readonly eventsDuplicate: Counter;
  private readonly eventsRejected: Counter<'code'>;
  private readonly rateLimited: Counter<'limit'>;
  private readonly authFailures: Counter<'reason'>;
  private readonly loopDelay: IntervalHistogram;

  constructor(sources: MetricsSources = {}) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.requestDuration = new PlainHistogram(
      'kindred_http_request_duration_seconds',
      'Time from reading a request to finishing its response, by method, route and status',
      ['method', 'route', 'status'] as const,
      LATENCY_BUCKETS,
    );
    this.registry.registerMetric(this.requestDuration as unknown as Metric);
    this.eventsAccepted = new Counter({
      name: 'kindred_events_accepted_total',
      help: 'Interaction events written to the log through the API',
      registers,
    });
    this.eventsDuplicate = new Counter({
      name: 'kindred_events_duplicate_total',
      help: 'Interaction events acknowledged as duplicates of events already in the log',
      registers,
    });
    this.eventsRejected = new Counter({
      name: 'kindred_events_rejected_total',
      help: 'Interaction events refused, by error code',
      labelNames: ['code'] as const,
      registers,
    });
    this.rateLimited = new Counter({
      name: 'kindred_rate_limited_total',
      help: 'Requests answered 429, by the limit that was hit (key or address)',
      labelNames: ['limit'] as const,
      registers,
    });
    this.authFailures = new Counter({
      name: 'kindred_auth_failures_total',
      help: 'Requests refused by authentication or authorization, by reason',
      labelNames: ['reason'] as const,
      registers,
    });
    const pools = sources.pools;
    if (pools) {
      new Gauge({
        name: 'kindred_http_in_flight_requests',
        help: 'Requests being served now, by concurrency pool',
        labelNames: ['pool'] as const,
        registers,
        collect() {
          for (const pool of pools.names) this.set({ pool }, pools.inFlight(pool));
        },
      });
      new Counter({
        name: 'kindred_http_shed_total',
        help: 'Requests shed with 503, by pool and reason (pool: concurrency limit; delay: event-loop delay guard)',
        labelNames: ['pool', 'reason'] as const,
        registers,
        collect() {
          this.reset();
          for (const pool of pools.names) {
            for (const reason of ['pool', 'delay'] as const) {
              const count = pools.shed(pool, reason);
              if (count > 0) this.inc({ pool, reason }, count);
            }
          }
        },
      });
      new Gauge({
        name: 'kindred_queue_delay_max_seconds',
        help: 'Largest estimated queueing delay of a request since the previous scrape',
        registers,
        collect() {
          this.set(pools.maxWaitMs() / 1000);
        },
      });
      new Gauge({
        name: 'kindred_shedding',
        help: '1 while the event-loop delay guard is shedding load',
        registers,
        collect() {
          this.set(pools.shedding() ? 1 : 0);
        },
      });
    }
    const status = sources.engineStatus;
    if (status) {
      let last: Promise<{ checkpoint: number; lastOffset: number; lag: number }> | undefined;
      // One status read per scrape, shared by the three gauges.
      const read = (): Promise<{ checkpoint: number; lastOffset: number; lag: number }> => {
        last ??= status().finally(() => setImmediate(() => (last = undefined)));
        return last;
      };
      new Gauge({
        name: 'kindred_projection_lag_events',
        help: 'Events in the log not yet applied to the read models',
        registers,
        async collect() {
          this.set((await read()).lag);
        },
      });
      new Gauge({
        name: 'kindred_projection_checkpoint',
        help: 'Offset of the last event applied to the read models',
        registers,
        async collect() {
          this.set((await read()).checkpoint);
        },
      });
      new Gauge({
        name: 'kindred_event_log_last_offset',
        help: 'Offset of the last event in the log',
        registers,
        async collect() {
          this.set((await read()).lastOffset);
        },
      });
    }
    // Event-loop delay percentiles over the scrape interval (prom-client's own
    // nodejs_eventloop_lag_* are since start).
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    this.loopDelay = loopDelay;
    new Gauge({
      name: 'kindred_event_loop_delay_seconds',
      help: 'Event-loop delay over the last scrape interval, by quantile (0.5, 0.99, 1 = max)',
      labelNames: ['quantile'] as const,
      registers,
      collect() {
        if (loopDelay.count === 0) return;
        this.set({ quantile: '0.5' }, loopDelay.percentile(50) / 1e9);
        this.set({ quantile: '0.99' }, loopDelay.percentile(99) / 1e9);
        this.set({ quantile: '1' }, loopDelay.max / 1e9);
        loopDelay.reset();
      },
    });
    for (const metric of telemetry.metrics()) this.registry.registerMetric(metric);
  }

  /** The histogram child for one route and status; callers cache it (label lookups cost). */
  durationChild(method: string, route: string, status: number): HistogramChild {
    return this.requestDuration.labels(method, route, String(status));
  }

  eventsWritten(accepted: number, duplicates: number): void {
    if (accepted > 0) this.eventsAccepted.inc(accepted);
    if (duplicates > 0) this.eventsDuplicate.inc(duplicates);
  }

  eventsRefused(code: string, count: number): void {
    if (count > 0) this.eventsRejected.inc({ code }, count);
  }

  rateLimitHit(limit: 'key' | 'address'): void {
    this.rateLimited.inc({ limit });
  }

  authFailure(reason: string): void {
    this.authFailures.inc({ reason });
  }

  async render(): Promise<{ contentType: string; body: string }> {
    // prom-client writes a not-a-number sample (the event-loop lag before its first
    // measurement) as `Nan`; the text format spells it `NaN`, and strict parsers insist.
    const body = (await this.registry.metrics()).replace(/ Nan$/gm, ' NaN');
    return { contentType: this.registry.contentType, body };
  }

  close(): void {
    this.loopDelay.disable();
  }
}
