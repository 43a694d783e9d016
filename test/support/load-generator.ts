// Loopback load generators for the overload test and bench: open loop (a fixed arrival
// rate, whatever the answers; the way real traffic behaves when a server slows down) and
// closed loop (N clients, each sending its next request when the last one is answered;
// the way to measure capacity). Latency is measured from the moment a request is handed
// to the socket pool to the end of its answer.
import http from 'node:http';

export interface LoadRequest {
  readonly method: string;
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Buffer;
}

export interface Sample {
  /** ms since the run started, when the request was sent. */
  readonly at: number;
  /** ms; NaN when the request failed at the socket. */
  readonly latency: number;
  /** HTTP status, or 0 for a socket error. */
  readonly status: number;
}

export interface RunResult {
  readonly samples: Sample[];
  readonly durationMs: number;
  /** Requests the open loop could not send because every socket was busy. */
  readonly dropped: number;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export class LoadClient {
  private readonly agent: http.Agent;
  private readonly url: URL;

  constructor(baseUrl: string, maxSockets = 256) {
    this.url = new URL(baseUrl);
    this.agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  }

  /** One request; resolves with its status, latency and Retry-After (never rejects). */
  send(
    request: LoadRequest,
    timeoutMs = 30_000,
  ): Promise<{ status: number; latency: number; retryAfter: number }> {
    const started = performance.now();
    return new Promise((resolve) => {
      let done = false;
      let retryAfter = 0;
      const finish = (status: number): void => {
        if (done) return;
        done = true;
        resolve({ status, latency: status === 0 ? NaN : performance.now() - started, retryAfter });
      };
      const req = http.request(
        {
          hostname: this.url.hostname,
          port: this.url.port,
          method: request.method,
          path: request.path,
          agent: this.agent,
          headers: {
            ...(request.body
              ? {
                  'content-type': 'application/json',
                  'content-length': String(request.body.length),
                }
              : {}),
            ...request.headers,
          },
        },
        (response) => {
          retryAfter = Number(response.headers['retry-after'] ?? 0) || 0;
          response.on('data', () => undefined);
          response.on('end', () => finish(response.statusCode ?? 0));
          response.on('error', () => finish(0));
          response.on('aborted', () => finish(0));
        },
      );
      req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
      req.on('error', () => finish(0));
      req.end(request.body);
    });
  }

  /**
   * Opens `count` keep-alive connections ahead of a run (with concurrent requests to
   * `path`), as a pooled client or load balancer would hold: a run then measures the
   * server, not TCP handshakes against a busy accept queue.
   */
  async warm(count: number, path = '/health/live'): Promise<void> {
    await Promise.all(Array.from({ length: count }, () => this.send({ method: 'GET', path })));
  }

  /** Sockets busy now (requests in flight). */
  get busySockets(): number {
    let busy = 0;
    for (const list of Object.values(this.agent.sockets)) busy += list?.length ?? 0;
    let free = 0;
    for (const list of Object.values(this.agent.freeSockets)) free += list?.length ?? 0;
    return busy - free;
  }

  /**
   * Sends `rate` requests per second for `durationMs`, whatever the answers. A request
   * that would need more than `maxInFlight` outstanding requests is counted as dropped
   * (the client, not the server, is then the bottleneck; a run should drop none).
   */
  async openLoop(
    make: (index: number) => LoadRequest,
    rate: number,
    durationMs: number,
    maxInFlight = 512,
  ): Promise<RunResult> {
    const samples: Sample[] = [];
    const pending = new Set<Promise<void>>();
    let sent = 0;
    let dropped = 0;
    const started = performance.now();
    await new Promise<void>((resolve) => {
      const tick = (): void => {
        const elapsed = performance.now() - started;
        const due = Math.min(
          Math.floor((elapsed * rate) / 1000),
          Math.floor((durationMs * rate) / 1000),
        );
        while (sent < due) {
          const index = sent++;
          if (pending.size >= maxInFlight) {
            dropped++;
            continue;
          }
          const at = performance.now() - started;
          const promise = this.send(make(index)).then(({ status, latency }) => {
            samples.push({ at, latency, status });
            pending.delete(promise);
          });
          pending.add(promise);
        }
        if (elapsed >= durationMs) {
          clearInterval(timer);
          resolve();
        }
      };
      const timer = setInterval(tick, 1);
    });
    await Promise.all(pending);
    return { samples, durationMs: performance.now() - started, dropped };
  }

  /**
   * `clients` loops, each sending its next request when the previous one is answered
   * (after waiting Retry-After on a 429/503 when `politeness` is set, as a well-behaved
   * importer does).
   */
  async closedLoop(
    make: (index: number) => LoadRequest,
    clients: number,
    durationMs: number,
    politeness = false,
  ): Promise<RunResult> {
    const samples: Sample[] = [];
    let index = 0;
    const started = performance.now();
    const loop = async (): Promise<void> => {
      while (performance.now() - started < durationMs) {
        const at = performance.now() - started;
        const { status, latency, retryAfter } = await this.send(make(index++));
        samples.push({ at, latency, status });
        if (politeness && (status === 429 || status === 503)) {
          const wait = Math.min(retryAfter * 1000, durationMs - (performance.now() - started));
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        }
      }
    };
    await Promise.all(Array.from({ length: clients }, loop));
    return { samples, durationMs: performance.now() - started, dropped: 0 };
  }

  close(): void {
    this.agent.destroy();
  }
}

export interface Summary {
  readonly count: number;
  readonly ok: number;
  readonly shed: number;
  readonly other: number;
  readonly okPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** Counts and latency of the 2xx answers among `samples` (over `seconds`). */
export function summarize(samples: readonly Sample[], seconds: number): Summary {
  const ok = samples.filter((s) => s.status >= 200 && s.status < 300);
  const shed = samples.filter((s) => s.status === 429 || s.status === 503).length;
  const latencies = ok.map((s) => s.latency);
  return {
    count: samples.length,
    ok: ok.length,
    shed,
    other: samples.length - ok.length - shed,
    okPerSecond: ok.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.length ? Math.max(...latencies) : NaN,
  };
}
