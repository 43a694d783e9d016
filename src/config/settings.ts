import {
  DEFAULT_INTERACTION_TYPES,
  type InteractionTypeTable,
} from '../core/domain/interaction.js';

export interface KindredConfig {
  data: { dir: string };
  server: { host: string; port: number; bodyLimitBytes: number; requestTimeoutMs: number };
  auth: { masterKey: string };
  storage: { eventLog: string; state: string; synchronous: 'full' | 'normal' };
  events: {
    maxBatch: number;
    unknownEntities: 'create' | 'reject';
    futureToleranceMs: number;
  };
  interactions: { types: InteractionTypeTable; ratingMidpoint: number };
  snapshots: { everyEvents: number; everySeconds: number };
  log: { level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' };
  rateLimit: {
    perKey: number;
    perKeyBurst: number;
    perAddress: number;
    perAddressBurst: number;
    trustProxyHops: number;
  };
  overload: {
    readConcurrency: number;
    writeConcurrency: number;
    bulkConcurrency: number;
    adminConcurrency: number;
    bulkBodyBytes: number;
    maxEventLoopDelayMs: number;
    handlerTimeoutMs: number;
  };
  shutdown: { drainTimeoutMs: number };
  cors: { origins: string };
  keys: { refreshSeconds: number };
  metrics: { public: boolean };
  tracing: { otlpEndpoint: string; sampleRatio: number };
  training: {
    budgetSeconds: number;
    requestBudgetMs: number;
    everySeconds: number;
    everyEvents: number;
    onStart: boolean;
    minInteractions: number;
    threads: number;
    keepModels: number;
    pipeline: unknown;
  };
  recommend: { defaultK: number; maxK: number; trendingHalfLifeHours: number };
  serving: {
    maxCandidates: number;
    rankerMinImpressions: number;
    rankerMinClicks: number;
    rankerRows: number;
    rankerListsPerSecond: number;
    servedListCapacity: number;
    servedListTtlSeconds: number;
    impressionFlushMs: number;
    streamMaxConnections: number;
    streamHeartbeatMs: number;
    streamDebounceMs: number;
    annMinItems: number;
    materializedDepth: number;
    materializedUsers: number;
    categoryListDepth: number;
    categoryLists: number;
  };
  search: {
    weights: unknown;
    synonyms: unknown;
    facetAttributes: string;
    sortableAttributes: string;
    personalization: unknown;
  };
}

export type SettingKind =
  | { kind: 'string' }
  | { kind: 'integer'; min: number; max: number }
  | { kind: 'number'; min: number; max: number }
  | { kind: 'boolean' }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'json' };

export interface SettingDefinition {
  /** Dotted path in the config object and the config file. */
  readonly path: string;
  readonly env: string;
  readonly flag?: string;
  readonly type: SettingKind;
  readonly default: unknown;
  readonly doc: string;
  /** Printed as `***` by `kindred config` and never logged. */
  readonly secret?: boolean;
}

/** The single schema of every setting: defaults, env variables, flags and docs. */
export const SETTINGS: readonly SettingDefinition[] = [
  {
    path: 'data.dir',
    env: 'KINDRED_DATA_DIR',
    flag: '--data',
    type: { kind: 'string' },
    default: './data',
    doc: 'Directory of the embedded store (event log, snapshots, models).',
  },
  {
    path: 'server.host',
    env: 'KINDRED_HOST',
    flag: '--host',
    type: { kind: 'string' },
    default: '127.0.0.1',
    doc: 'Address to listen on. Without a master key the engine refuses anything but loopback.',
  },
  {
    path: 'server.port',
    env: 'KINDRED_PORT',
    flag: '--port',
    type: { kind: 'integer', min: 0, max: 65535 },
    default: 7878,
    doc: 'TCP port of the HTTP API (0 picks a free port).',
  },
  {
    path: 'server.bodyLimitBytes',
    env: 'KINDRED_BODY_LIMIT_BYTES',
    type: { kind: 'integer', min: 1024, max: 1024 * 1024 * 1024 },
    default: 32 * 1024 * 1024,
    doc: 'Largest accepted request body; larger ones get 413 PAYLOAD_TOO_LARGE.',
  },
  {
    path: 'server.requestTimeoutMs',
    env: 'KINDRED_REQUEST_TIMEOUT_MS',
    type: { kind: 'integer', min: 100, max: 3_600_000 },
    default: 30_000,
    doc: 'A request that has not completed by then is cut off.',
  },
  {
    path: 'auth.masterKey',
    env: 'KINDRED_MASTER_KEY',
    type: { kind: 'string' },
    default: '',
    secret: true,
    doc: 'Master API key. Empty: no authentication, and the server binds to loopback only.',
  },
  {
    path: 'storage.eventLog',
    env: 'KINDRED_EVENT_LOG',
    type: { kind: 'string' },
    default: '',
    doc: 'Event log URL, chosen by scheme (sqlite:PATH). Empty: events.db in the data directory.',
  },
  {
    path: 'storage.state',
    env: 'KINDRED_STATE_STORE',
    type: { kind: 'string' },
    default: '',
    doc: 'State store URL, chosen by scheme (sqlite:PATH). Empty: state.db in the data directory.',
  },
  {
    path: 'storage.synchronous',
    env: 'KINDRED_STORAGE_SYNCHRONOUS',
    type: { kind: 'enum', values: ['full', 'normal'] },
    default: 'full',
    doc: '`full` fsyncs every acknowledged batch (survives power loss); `normal` survives process crashes only.',
  },
  {
    path: 'events.maxBatch',
    env: 'KINDRED_EVENTS_MAX_BATCH',
    type: { kind: 'integer', min: 1, max: 100_000 },
    default: 10_000,
    doc: 'Most rows accepted in one batch request.',
  },
  {
    path: 'events.unknownEntities',
    env: 'KINDRED_UNKNOWN_ENTITIES',
    type: { kind: 'enum', values: ['create', 'reject'] },
    default: 'create',
    doc: 'An interaction naming an unknown user or item creates it, or is rejected (422).',
  },
  {
    path: 'events.futureToleranceMs',
    env: 'KINDRED_EVENTS_FUTURE_TOLERANCE_MS',
    type: { kind: 'integer', min: 0, max: 365 * 86_400_000 },
    default: 86_400_000,
    doc: 'How far in the future a timestamp may lie (clock skew) before it is rejected.',
  },
  {
    path: 'interactions.types',
    env: 'KINDRED_INTERACTION_TYPES',
    type: { kind: 'json' },
    default: DEFAULT_INTERACTION_TYPES,
    doc: 'Interaction types: `{ name: { weight, valueIsRating?, marksSeen? } }`. Negative weights push items away.',
  },
  {
    path: 'interactions.ratingMidpoint',
    env: 'KINDRED_RATING_MIDPOINT',
    type: { kind: 'number', min: -1e9, max: 1e9 },
    default: 2.5,
    doc: 'Ratings above this count as positive, below it as negative.',
  },
  {
    path: 'snapshots.everyEvents',
    env: 'KINDRED_SNAPSHOT_EVERY_EVENTS',
    type: { kind: 'integer', min: 1000, max: 1e9 },
    default: 500_000,
    doc: 'Write a read-model snapshot after this many new events (restarts replay only the rest).',
  },
  {
    path: 'snapshots.everySeconds',
    env: 'KINDRED_SNAPSHOT_EVERY_SECONDS',
    type: { kind: 'integer', min: 1, max: 86_400 },
    default: 300,
    doc: 'Write a snapshot at least this often while new events arrive.',
  },
  {
    path: 'log.level',
    env: 'KINDRED_LOG_LEVEL',
    flag: '--log-level',
    type: { kind: 'enum', values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
    default: 'info',
    doc: 'Least severe log level written.',
  },
  {
    path: 'rateLimit.perKey',
    env: 'KINDRED_RATE_LIMIT_PER_KEY',
    type: { kind: 'number', min: 0, max: 1e9 },
    default: 1000,
    doc: 'Requests per second each API key may make, sustained (token bucket; 0: no limit). Applies while authentication is on.',
  },
  {
    path: 'rateLimit.perKeyBurst',
    env: 'KINDRED_RATE_LIMIT_PER_KEY_BURST',
    type: { kind: 'integer', min: 1, max: 1e9 },
    default: 2000,
    doc: 'Requests an API key may make at once after a quiet spell (the bucket size).',
  },
  {
    path: 'rateLimit.perAddress',
    env: 'KINDRED_RATE_LIMIT_PER_ADDRESS',
    type: { kind: 'number', min: 0, max: 1e9 },
    default: 100,
    doc: 'Requests per second per client address for browser keys and failed authentications (0: no limit). Server keys are limited per key only.',
  },
  {
    path: 'rateLimit.perAddressBurst',
    env: 'KINDRED_RATE_LIMIT_PER_ADDRESS_BURST',
    type: { kind: 'integer', min: 1, max: 1e9 },
    default: 200,
    doc: 'Bucket size of the per-address limit.',
  },
  {
    path: 'rateLimit.trustProxyHops',
    env: 'KINDRED_TRUST_PROXY_HOPS',
    type: { kind: 'integer', min: 0, max: 10 },
    default: 0,
    doc: 'Proxies in front of the engine whose `X-Forwarded-For` entries are trusted to name the client address (0: use the socket address).',
  },
  {
    path: 'overload.readConcurrency',
    env: 'KINDRED_CONCURRENCY_READ',
    type: { kind: 'integer', min: 0, max: 1_000_000 },
    default: 512,
    doc: 'Reads (recommendations, search, GETs) in flight at once; more are shed with 503 OVERLOADED (0: no limit).',
  },
  {
    path: 'overload.writeConcurrency',
    env: 'KINDRED_CONCURRENCY_WRITE',
    type: { kind: 'integer', min: 0, max: 1_000_000 },
    default: 128,
    doc: 'Writes (events, single items and users) in flight at once (0: no limit).',
  },
  {
    path: 'overload.bulkConcurrency',
    env: 'KINDRED_CONCURRENCY_BULK',
    type: { kind: 'integer', min: 0, max: 1_000_000 },
    default: 4,
    doc: 'Bulk writes (batch routes, bodies over `overload.bulkBodyBytes`) in flight at once: a separate pool, so imports cannot take the slots of reads (0: no limit).',
  },
  {
    path: 'overload.adminConcurrency',
    env: 'KINDRED_CONCURRENCY_ADMIN',
    type: { kind: 'integer', min: 0, max: 1_000_000 },
    default: 16,
    doc: 'Administrative calls (status, keys) in flight at once (0: no limit).',
  },
  {
    path: 'overload.bulkBodyBytes',
    env: 'KINDRED_BULK_BODY_BYTES',
    type: { kind: 'integer', min: 1024, max: 1024 * 1024 * 1024 },
    default: 256 * 1024,
    doc: 'A write whose body is larger than this counts as bulk.',
  },
  {
    path: 'overload.maxEventLoopDelayMs',
    env: 'KINDRED_MAX_EVENT_LOOP_DELAY_MS',
    type: { kind: 'number', min: 0, max: 60_000 },
    default: 10,
    doc: 'Longest queueing delay of reads under sustained overload (the target adapts below it: twice what a read costs; writes get 10x this): late requests are shed with 503 OVERLOADED until the event loop is on time again. 0: off. See docs/operations.md.',
  },
  {
    path: 'overload.handlerTimeoutMs',
    env: 'KINDRED_HANDLER_TIMEOUT_MS',
    type: { kind: 'integer', min: 10, max: 3_600_000 },
    default: 15_000,
    doc: 'A request not answered by then gets 503 REQUEST_TIMEOUT (the work it started may still finish).',
  },
  {
    path: 'shutdown.drainTimeoutMs',
    env: 'KINDRED_DRAIN_TIMEOUT_MS',
    type: { kind: 'integer', min: 0, max: 600_000 },
    default: 10_000,
    doc: 'On SIGTERM, how long in-flight requests may take to finish before their connections are closed.',
  },
  {
    path: 'cors.origins',
    env: 'KINDRED_CORS_ORIGINS',
    type: { kind: 'string' },
    default: '',
    doc: 'Browser origins allowed to call the API, comma-separated (`*`: any). Origins of browser keys are allowed for those keys in addition.',
  },
  {
    path: 'keys.refreshSeconds',
    env: 'KINDRED_KEYS_REFRESH_SECONDS',
    type: { kind: 'integer', min: 1, max: 3600 },
    default: 5,
    doc: 'How often a server re-reads API keys changed by another process (the CLI, another node).',
  },
  {
    path: 'metrics.public',
    env: 'KINDRED_METRICS_PUBLIC',
    type: { kind: 'boolean' },
    default: false,
    doc: '`/metrics` without an API key (otherwise it needs the admin scope while authentication is on).',
  },
  {
    path: 'tracing.otlpEndpoint',
    env: 'KINDRED_OTLP_ENDPOINT',
    type: { kind: 'string' },
    default: '',
    doc: 'OTLP/HTTP endpoint for traces (e.g. http://collector:4318; `/v1/traces` is appended). Empty: tracing off.',
  },
  {
    path: 'tracing.sampleRatio',
    env: 'KINDRED_TRACE_SAMPLE_RATIO',
    type: { kind: 'number', min: 0, max: 1 },
    default: 0.1,
    doc: 'Share of requests traced when the caller sent no sampled `traceparent`.',
  },
  {
    path: 'training.budgetSeconds',
    env: 'KINDRED_TRAINING_BUDGET_SECONDS',
    type: { kind: 'integer', min: 1, max: 86_400 },
    default: 120,
    doc: 'Time budget of the automatic search that picks the models, their blend and their hyperparameters by validation nDCG.',
  },
  {
    path: 'training.requestBudgetMs',
    env: 'KINDRED_TRAINING_REQUEST_BUDGET_MS',
    type: { kind: 'number', min: 0.1, max: 60_000 },
    default: 10,
    doc: "Most a recommendation may cost the automatic search's choice when nothing is kept for the user (their history just changed: iALS folds them in again, every model scores the catalog), in ms, measured on this machine during the search (median history length): it caps iALS's factors and leaves out blend partners that would exceed it. Requests of users whose history is unchanged read lists ranked at training time and cost far less.",
  },
  {
    path: 'training.everySeconds',
    env: 'KINDRED_TRAINING_EVERY_SECONDS',
    type: { kind: 'integer', min: 0, max: 31_536_000 },
    default: 3600,
    doc: 'The server retrains this often when interactions arrived since the last model (0: no schedule).',
  },
  {
    path: 'training.everyEvents',
    env: 'KINDRED_TRAINING_EVERY_EVENTS',
    type: { kind: 'integer', min: 0, max: 1e9 },
    default: 100_000,
    doc: 'The server retrains after this many new interactions (0: never for that reason).',
  },
  {
    path: 'training.onStart',
    env: 'KINDRED_TRAINING_ON_START',
    type: { kind: 'boolean' },
    default: true,
    doc: 'At start, train when there are interactions but no model yet.',
  },
  {
    path: 'training.minInteractions',
    env: 'KINDRED_TRAINING_MIN_INTERACTIONS',
    type: { kind: 'integer', min: 1, max: 1e9 },
    default: 100,
    doc: 'Fewer interactions than this and training refuses (422 NOT_ENOUGH_DATA); recommendations stay trending.',
  },
  {
    path: 'training.threads',
    env: 'KINDRED_TRAINING_THREADS',
    type: { kind: 'integer', min: 1, max: 256 },
    default: 2,
    doc: 'Worker threads that fit iALS (training itself always runs off the event loop, in a worker thread).',
  },
  {
    path: 'training.keepModels',
    env: 'KINDRED_TRAINING_KEEP_MODELS',
    type: { kind: 'integer', min: 1, max: 10_000 },
    default: 10,
    doc: 'Model versions kept in the registry for rollback; older ones are deleted (the active one never).',
  },
  {
    path: 'training.pipeline',
    env: 'KINDRED_TRAINING_PIPELINE',
    type: { kind: 'json' },
    default: null,
    doc: 'A pinned pipeline `{ components: [{ kind, view, weight, params }], historyLimit }` to train instead of searching; null: automatic choice.',
  },
  {
    path: 'recommend.defaultK',
    env: 'KINDRED_RECOMMEND_DEFAULT_K',
    type: { kind: 'integer', min: 1, max: 10_000 },
    default: 10,
    doc: 'Items per recommendation response when the request gives no `k`.',
  },
  {
    path: 'recommend.maxK',
    env: 'KINDRED_RECOMMEND_MAX_K',
    type: { kind: 'integer', min: 1, max: 10_000 },
    default: 1000,
    doc: 'Largest `k` a recommendation request may ask for.',
  },
  {
    path: 'recommend.trendingHalfLifeHours',
    env: 'KINDRED_TRENDING_HALF_LIFE_HOURS',
    type: { kind: 'number', min: 0.01, max: 87_600 },
    default: 168,
    doc: 'Trending counts interactions with a weight that halves every this many hours.',
  },
  {
    path: 'serving.maxCandidates',
    env: 'KINDRED_SERVING_MAX_CANDIDATES',
    type: { kind: 'integer', min: 10, max: 100_000 },
    default: 2000,
    doc: 'Most candidates one recommendation request gathers over all its sources.',
  },
  {
    path: 'serving.rankerMinImpressions',
    env: 'KINDRED_SERVING_RANKER_MIN_IMPRESSIONS',
    type: { kind: 'integer', min: 1, max: 100_000_000 },
    default: 2000,
    doc: 'Logged item impressions needed before the learned ranker is trained and used (scenarios with `ranker: true`); until then the weighted blend scores.',
  },
  {
    path: 'serving.rankerMinClicks',
    env: 'KINDRED_SERVING_RANKER_MIN_CLICKS',
    type: { kind: 'integer', min: 1, max: 100_000_000 },
    default: 50,
    doc: 'Attributed clicks among the logged impressions needed before the learned ranker is trained.',
  },
  {
    path: 'serving.rankerRows',
    env: 'KINDRED_SERVING_RANKER_ROWS',
    type: { kind: 'integer', min: 100, max: 10_000_000 },
    default: 100_000,
    doc: 'Latest item impressions (with their features) kept to train the ranker on.',
  },
  {
    path: 'serving.rankerListsPerSecond',
    env: 'KINDRED_SERVING_RANKER_LISTS_PER_SECOND',
    type: { kind: 'integer', min: 1, max: 10_000_000 },
    default: 1000,
    doc: 'Served lists per second whose items get feature rows for the ranker to learn from; lists beyond it are served without (a busy engine would otherwise replace `rankerRows` within seconds, at the cost of computing every row).',
  },
  {
    path: 'serving.servedListCapacity',
    env: 'KINDRED_SERVING_SERVED_LIST_CAPACITY',
    type: { kind: 'integer', min: 1, max: 10_000_000 },
    default: 100_000,
    doc: 'Served lists remembered (about 160 bytes each), so `recommendationId` pages on without repeats and later events are attributed to their list; a list is forgotten when this many newer lists were served. At 1,000 lists a second the default keeps 100 s.',
  },
  {
    path: 'serving.servedListTtlSeconds',
    env: 'KINDRED_SERVING_SERVED_LIST_TTL_SECONDS',
    type: { kind: 'integer', min: 1, max: 604_800 },
    default: 1800,
    doc: 'How long a recommendation id can be paged on after its last page.',
  },
  {
    path: 'serving.impressionFlushMs',
    env: 'KINDRED_SERVING_IMPRESSION_FLUSH_MS',
    type: { kind: 'integer', min: 1, max: 60_000 },
    default: 250,
    doc: 'Impressions are written to the log in one batch at most this often.',
  },
  {
    path: 'serving.streamMaxConnections',
    env: 'KINDRED_SERVING_STREAM_MAX_CONNECTIONS',
    type: { kind: 'integer', min: 1, max: 1_000_000 },
    default: 10_000,
    doc: 'Most live recommendation streams (`GET /v1/users/{id}/recommendations/stream`) held open at once; one more answers 503 `TOO_MANY_STREAMS`.',
  },
  {
    path: 'serving.streamHeartbeatMs',
    env: 'KINDRED_SERVING_STREAM_HEARTBEAT_MS',
    type: { kind: 'integer', min: 100, max: 600_000 },
    default: 15_000,
    doc: 'A recommendation stream with nothing to say sends a comment this often, so proxies do not close it as idle.',
  },
  {
    path: 'serving.streamDebounceMs',
    env: 'KINDRED_SERVING_STREAM_DEBOUNCE_MS',
    type: { kind: 'integer', min: 0, max: 10_000 },
    default: 5,
    doc: "A user's changes within this many ms are pushed to their streams as one fresh list (a batch of events is one recompute).",
  },
  {
    path: 'serving.annMinItems',
    env: 'KINDRED_SERVING_ANN_MIN_ITEMS',
    type: { kind: 'integer', min: 0, max: 1_000_000_000 },
    default: 50_000,
    doc: 'Catalogs of more items than this serve an iALS-only pipeline from an approximate inner-product index (k-means clusters of item factors, built in slices beside serving after each model loads; a top 10 may then miss an item a full scan finds) instead of scoring every item. Other pipelines, and smaller catalogs, always score every item.',
  },
  {
    path: 'serving.materializedDepth',
    env: 'KINDRED_SERVING_MATERIALIZED_DEPTH',
    type: { kind: 'integer', min: 0, max: 100_000 },
    default: 200,
    doc: "Items of a user's collaborative ranking kept between requests (0: off). A user's next request walks the kept list instead of ranking the catalog again; the list is dropped when that user's history or the model changes. Requests that need more (deep pages, filters that keep few) rank afresh.",
  },
  {
    path: 'serving.materializedUsers',
    env: 'KINDRED_SERVING_MATERIALIZED_USERS',
    type: { kind: 'integer', min: 0, max: 100_000_000 },
    default: 50_000,
    doc: 'Users whose kept lists stay in memory (the least recently ranked are dropped first); each costs 8 bytes per kept item (80 MB at most with the defaults).',
  },
  {
    path: 'serving.categoryListDepth',
    env: 'KINDRED_SERVING_CATEGORY_LIST_DEPTH',
    type: { kind: 'integer', min: 1, max: 1000 },
    default: 16,
    doc: 'Items kept of a user\'s collaborative ranking within one category, for requests whose filter keeps a single category (`"Books" in categories and ...`). Requests for more, or whose excludes leave fewer than k of them, rank afresh.',
  },
  {
    path: 'serving.categoryLists',
    env: 'KINDRED_SERVING_CATEGORY_LISTS',
    type: { kind: 'integer', min: 0, max: 100_000_000 },
    default: 1_000_000,
    doc: "Per-user lists within one category kept in memory (0: off; the oldest are dropped first). After each model loads they are ranked ahead for users in index order, every category with an index, as far as this allows. Each costs about 8 bytes per kept item plus ~60 bytes (about 190 MB when full with the defaults); a list is dropped when its user's history or the model changes.",
  },
  {
    path: 'search.weights',
    env: 'KINDRED_SEARCH_WEIGHTS',
    type: { kind: 'json' },
    default: { title: 3, categories: 1.5, tags: 1, text: 1, textFields: {} },
    doc: 'BM25F weight of each searchable field: `title`, `categories`, `tags`, `text` (every `Item.text` entry) and `textFields` (`{ brand: 2 }` per text key); 0 leaves a field out of the index.',
  },
  {
    path: 'search.synonyms',
    env: 'KINDRED_SEARCH_SYNONYMS',
    type: { kind: 'json' },
    default: [],
    doc: 'Groups of interchangeable single words, e.g. `[["tv", "television"], ["sofa", "couch"]]`.',
  },
  {
    path: 'search.facetAttributes',
    env: 'KINDRED_SEARCH_FACETS',
    type: { kind: 'string' },
    default: '',
    doc: 'Comma-separated item attributes countable as facets, besides `categories` and `tags`.',
  },
  {
    path: 'search.sortableAttributes',
    env: 'KINDRED_SEARCH_SORTABLE',
    type: { kind: 'string' },
    default: '',
    doc: 'Comma-separated numeric item attributes search results can be sorted by.',
  },
  {
    path: 'search.personalization',
    env: 'KINDRED_SEARCH_PERSONALIZATION',
    type: { kind: 'json' },
    default: {
      popularity: 0.1,
      recency: 0.05,
      recencyHalfLifeDays: 30,
      affinity: 0.5,
      categories: 0.5,
      historyLimit: 200,
    },
    doc: "How search blends relevance with other signals: text × (1 + Σ weight × signal), each signal in [0, 1]. `popularity` and `recency` (half-life `recencyHalfLifeDays`) apply to everyone; `affinity` (user and item vectors of the trained model) and `categories` (share of the user's last `historyLimit` interactions) only when a user is named. Overridable per request.",
  },
];
