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
];
