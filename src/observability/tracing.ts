import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import {
  BatchSpanProcessor,
  NodeTracerProvider,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';

/**
 * Tracing: one server span per request, and child spans for the stages of a pipeline.
 *
 * The API is explicit: a route handler gets the request's `TraceHandle` (see
 * `requestTrace` in the gateway) and wraps each stage: `trace.stage('retrieve', () => ...)`.
 * No async-context propagation is needed, so nothing is paid for it per request, and
 * when tracing is off every handle is `NO_TRACE`, whose `stage(name, fn)` is `fn(NO_TRACE)`.
 */
export interface TraceHandle {
  /** True when spans are recorded (tracing on and this request sampled). */
  readonly recording: boolean;
  /** The W3C trace id, or '' when not recording. */
  readonly traceId: string;
  /**
   * Runs `fn` inside a child span named `name`; the span ends when `fn` returns, or when
   * the promise it returns settles. Errors are recorded on the span and rethrown.
   */
  stage<T>(name: string, fn: (child: TraceHandle) => T, attributes?: Attributes): T;
  setAttribute(key: string, value: string | number | boolean): void;
  /** A point-in-time annotation on the current span. */
  event(name: string, attributes?: Attributes): void;
}

export const NO_TRACE: TraceHandle = {
  recording: false,
  traceId: '',
  stage: (_name, fn) => fn(NO_TRACE),
  setAttribute: () => undefined,
  event: () => undefined,
};

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

function fail(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: (error as Error)?.message ?? String(error),
  });
}

/**
 * Runs `fn`; the span ends when it returns, or when the promise it returns settles.
 * Errors are recorded on the span and rethrown.
 */
function runInSpan<T>(span: Span, fn: () => T): T {
  let result: T;
  try {
    result = fn();
  } catch (error) {
    fail(span, error);
    span.end();
    throw error;
  }
  if (!isThenable(result)) {
    span.end();
    return result;
  }
  return result.then(
    (value) => {
      span.end();
      return value;
    },
    (error: unknown) => {
      fail(span, error);
      span.end();
      throw error;
    },
  ) as T;
}

/** A recording span and the stages under it. */
export class SpanHandle implements TraceHandle {
  readonly recording = true;
  private contextValue: Context | undefined;

  constructor(
    private readonly tracer: Tracer,
    readonly span: Span,
  ) {}

  get traceId(): string {
    return this.span.spanContext().traceId;
  }

  get spanId(): string {
    return this.span.spanContext().spanId;
  }

  private get context(): Context {
    this.contextValue ??= trace.setSpan(ROOT_CONTEXT, this.span);
    return this.contextValue;
  }

  stage<T>(name: string, fn: (child: TraceHandle) => T, attributes?: Attributes): T {
    const span = this.tracer.startSpan(name, { kind: SpanKind.INTERNAL, attributes }, this.context);
    const child: TraceHandle = span.isRecording() ? new SpanHandle(this.tracer, span) : NO_TRACE;
    return runInSpan(span, () => fn(child));
  }

  setAttribute(key: string, value: string | number | boolean): void {
    this.span.setAttribute(key, value);
  }

  event(name: string, attributes?: Attributes): void {
    this.span.addEvent(name, attributes);
  }
}

export interface TracingOptions {
  /** OTLP/HTTP endpoint: a base URL (`/v1/traces` is appended) or the full traces URL. Empty: off. */
  readonly otlpEndpoint?: string;
  /** Share of root traces recorded (a sampled parent is always followed). */
  readonly sampleRatio?: number;
  readonly serviceName?: string;
  readonly serviceVersion?: string;
  /** Tests: export here instead of OTLP, synchronously (one span at a time). */
  readonly exporter?: SpanExporter;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The caller's trace context from a W3C `traceparent` header, or ROOT_CONTEXT. */
export function contextFromTraceparent(header: string | undefined): Context {
  if (header === undefined || header.length !== 55) return ROOT_CONTEXT;
  const match = TRACEPARENT.exec(header);
  if (!match || match[1] === 'ff') return ROOT_CONTEXT;
  const traceId = match[2] as string;
  const spanId = match[3] as string;
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return ROOT_CONTEXT;
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId,
    spanId,
    traceFlags: parseInt(match[4] as string, 16) & TraceFlags.SAMPLED,
    isRemote: true,
  });
}

export function otlpTracesUrl(endpoint: string): string {
  const url = new URL(endpoint);
  if (!url.pathname.endsWith('/v1/traces'))
    url.pathname = `${url.pathname.replace(/\/$/, '')}/v1/traces`;
  return url.toString();
}

/**
 * The tracer of one app. Off (no endpoint, no exporter): `enabled` is false and the
 * gateway never calls it. The provider is not registered globally, so several apps (and
 * tests) in one process each keep their own.
 */
export class Tracing {
  readonly enabled: boolean;
  private readonly provider: NodeTracerProvider | undefined;
  private readonly tracer: Tracer | undefined;

  constructor(options: TracingOptions = {}) {
    let processor: SpanProcessor | undefined;
    if (options.exporter) processor = new SimpleSpanProcessor(options.exporter);
    else if (options.otlpEndpoint)
      processor = new BatchSpanProcessor(
        new OTLPTraceExporter({ url: otlpTracesUrl(options.otlpEndpoint) }),
        { maxQueueSize: 8192, scheduledDelayMillis: 1000 },
      );
    this.enabled = processor !== undefined;
    if (!processor) return;
    this.provider = new NodeTracerProvider({
      resource: resourceFromAttributes({
        [ATTR_SERVICE_NAME]: options.serviceName ?? 'kindred',
        [ATTR_SERVICE_VERSION]: options.serviceVersion ?? '0.1.0',
      }),
      sampler: new ParentBasedSampler({
        root: new TraceIdRatioBasedSampler(options.sampleRatio ?? 1),
      }),
      spanProcessors: [processor],
    });
    this.tracer = this.provider.getTracer('kindred', options.serviceVersion ?? '0.1.0');
  }

  /** Starts a server span (child of the caller's trace when a traceparent came along). */
  startServerSpan(
    name: string,
    attributes: Attributes,
    traceparent?: string,
  ): SpanHandle | undefined {
    if (!this.tracer) return undefined;
    const span = this.tracer.startSpan(
      name,
      { kind: SpanKind.SERVER, attributes },
      contextFromTraceparent(traceparent),
    );
    if (!span.isRecording()) return undefined;
    return new SpanHandle(this.tracer, span);
  }

  /** A root span for work outside a request (training, snapshots); NO_TRACE when off. */
  run<T>(name: string, fn: (handle: TraceHandle) => T, attributes?: Attributes): T {
    if (!this.tracer) return fn(NO_TRACE);
    const span = this.tracer.startSpan(name, { kind: SpanKind.INTERNAL, attributes });
    if (!span.isRecording()) return fn(NO_TRACE);
    const root = new SpanHandle(this.tracer, span);
    return runInSpan(span, () => fn(root));
  }

  async flush(): Promise<void> {
    await this.provider?.forceFlush();
  }

  /** Flushes what is buffered and stops exporting. */
  async shutdown(): Promise<void> {
    await this.provider?.shutdown();
  }
}

export { SpanStatusCode };
