import type { FastifyBaseLogger } from 'fastify';

type Bindings = Record<string, unknown>;
type LogMethod = (...args: unknown[]) => void;

/**
 * A request's logger that becomes a real child (with the request id bound) only when
 * something is logged: most requests log nothing, and a pino child per request was a
 * measurable share of a cheap request's time and garbage.
 */
class RequestLogger {
  private real: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: object,
  ) {}

  private get logger(): FastifyBaseLogger {
    this.real ??= this.parent.child(this.bindings, this.options);
    return this.real;
  }

  get level(): string {
    return this.real?.level ?? this.parent.level;
  }

  set level(level: string) {
    this.logger.level = level;
  }

  fatal(...args: unknown[]): void {
    (this.logger.fatal as LogMethod)(...args);
  }
  error(...args: unknown[]): void {
    (this.logger.error as LogMethod)(...args);
  }
  warn(...args: unknown[]): void {
    (this.logger.warn as LogMethod)(...args);
  }
  info(...args: unknown[]): void {
    (this.logger.info as LogMethod)(...args);
  }
  debug(...args: unknown[]): void {
    (this.logger.debug as LogMethod)(...args);
  }
  trace(...args: unknown[]): void {
    (this.logger.trace as LogMethod)(...args);
  }
  silent(): void {}

  child(bindings: Bindings, options?: object): FastifyBaseLogger {
    return this.logger.child(bindings, options);
  }
}

/** Fastify's `childLoggerFactory`: the per-request logger, made on first use. */
export function lazyRequestLogger(
  logger: FastifyBaseLogger,
  bindings: Bindings,
  options: object,
): FastifyBaseLogger {
  return new RequestLogger(logger, bindings, options) as unknown as FastifyBaseLogger;
}
