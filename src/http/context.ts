import type { Engine } from '../app/engine.js';
import type { KindredConfig } from '../config/settings.js';
import type { ModelServices } from '../app/training/model-services.js';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { GatewayParts } from '../gateway/gateway.js';

/** What route modules get: the engine and the config, nothing global. */
export interface HttpContext {
  readonly engine: Engine;
  readonly config: KindredConfig;
  /** True once the read models have caught up with the log at start. */
  ready(): boolean;
  /** Models: recommendations, training, the registry (absent: those routes answer NOT_READY). */
  readonly models?: ModelServices;
  /** Tests: spans go here (synchronously) instead of OTLP. */
  readonly spanExporter?: SpanExporter;
  /**
   * The gateway's parts (key store, shedder, rate limiter, metrics, tracing), built by the
   * role, which picks their adapters; absent: built from the config, in-process.
   */
  readonly gateway?: GatewayParts;
}

/** Bodies whose rows are validated one by one (to report every bad row) carry this mark. */
export const ROW_VALIDATED = 'x-kindred-row-validated';
