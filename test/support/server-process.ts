// Test and benchmark support: the Kindred server as a real child process (so it can be
// SIGKILLed like a crashed production process), the `kindred` CLI as a one-shot command,
// and a small keep-alive HTTP JSON client on node:http.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * bin/kindred.js of this checkout, found from wherever this module was compiled to: the
 * server under test is the shipped build (dist/), as `npm start` and the package run it.
 */
export const KINDRED_BIN = findKindredBin();

function findKindredBin(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(directory, 'bin', 'kindred.js');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(directory);
    if (parent === directory) throw new Error('bin/kindred.js not found above ' + import.meta.url);
    directory = parent;
  }
}

/** One parsed line of the server's stderr (pino JSON), or `{ msg: <raw text> }`. */
export type LogLine = Record<string, unknown> & { msg?: string };

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface StartServerOptions {
  readonly dataDir: string;
  /** Extra KINDRED_* (or other) variables; inherited KINDRED_* variables are dropped. */
  readonly env?: Readonly<Record<string, string>>;
  /** Options for node itself, e.g. ['--cpu-prof', '--cpu-prof-dir=/tmp/x']. */
  readonly nodeArgs?: readonly string[];
  /** Extra `kindred serve` arguments. */
  readonly args?: readonly string[];
  /** How long to wait for "kindred is serving" (default 30 s). */
  readonly startTimeoutMs?: number;
}

/** Every child this process started and that has not exited yet. */
const liveChildren = new Set<ChildProcess>();
process.once('exit', () => {
  // Last resort: a failed test must never leave a server running.
  for (const child of liveChildren) child.kill('SIGKILL');
});

function childEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('KINDRED_')) env[key] = value;
  }
  return { ...env, ...extra };
}

function track(child: ChildProcess): Promise<ExitStatus> {
  liveChildren.add(child);
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      liveChildren.delete(child);
      resolve({ code, signal });
    });
  });
}

/** `kindred serve` in a child process on a free port. */
export class ServerProcess {
  /** Every stderr line so far, parsed. */
  readonly logs: LogLine[] = [];
  /** Base URL from the "kindred is serving" line, e.g. http://127.0.0.1:40123. */
  url = '';
  private readonly exitPromise: Promise<ExitStatus>;
  private exitStatus: ExitStatus | undefined;
  private logWaiters: Array<() => void> = [];

  private constructor(
    readonly child: ChildProcess,
    readonly dataDir: string,
  ) {
    this.exitPromise = track(child).then((status) => {
      this.exitStatus = status;
      this.wakeLogWaiters();
      return status;
    });
    let pending = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      pending += chunk;
      let newline: number;
      while ((newline = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        if (line.trim() !== '') this.logs.push(parseLogLine(line));
      }
      this.wakeLogWaiters();
    });
    child.stdout?.resume();
  }

  /** Starts the server and resolves once it logs "kindred is serving". */
  static async start(options: StartServerOptions): Promise<ServerProcess> {
    const child = spawn(
      process.execPath,
      [
        ...(options.nodeArgs ?? []),
        KINDRED_BIN,
        'serve',
        '--data',
        options.dataDir,
        '--port',
        '0',
        '--host',
        '127.0.0.1',
        ...(options.args ?? []),
      ],
      { env: childEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const server = new ServerProcess(child, options.dataDir);
    try {
      const serving = await server.waitForLog(
        (line) => line.msg === 'kindred is serving',
        options.startTimeoutMs ?? 30_000,
      );
      server.url = String(serving['url']);
    } catch (error) {
      server.kill('SIGKILL');
      await server.waitForExit(5_000).catch(() => undefined);
      throw new Error(`${(error as Error).message}\n--- server log ---\n${server.logText(30)}`);
    }
    return server;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get exited(): ExitStatus | undefined {
    return this.exitStatus;
  }

  /** Sends a signal (SIGKILL by default); false if the process has already exited. */
  kill(signal: NodeJS.Signals = 'SIGKILL'): boolean {
    if (this.exitStatus) return false;
    return this.child.kill(signal);
  }

  /** Resolves when the process has exited; rejects after `timeoutMs`. */
  waitForExit(timeoutMs = 15_000): Promise<ExitStatus> {
    return withTimeout(this.exitPromise, timeoutMs, `server ${this.pid} did not exit`);
  }

  /** Graceful stop (SIGTERM: drain, snapshot, close); SIGKILL if it takes too long. */
  async stop(timeoutMs = 15_000): Promise<ExitStatus> {
    if (this.exitStatus) return this.exitStatus;
    this.kill('SIGTERM');
    try {
      return await this.waitForExit(timeoutMs);
    } catch (error) {
      this.kill('SIGKILL');
      await this.waitForExit(5_000);
      throw error;
    }
  }

  /** Resolves with the first log line (seen so far or later) that matches. */
  async waitForLog(match: (line: LogLine) => boolean, timeoutMs = 10_000): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.logs.find(match);
      if (found) return found;
      if (this.exitStatus)
        throw new Error(
          `server ${this.pid} exited (${JSON.stringify(this.exitStatus)}) before the awaited log line`,
        );
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`server ${this.pid}: awaited log line not seen within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.logWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  logText(lastLines = 50): string {
    return this.logs
      .slice(-lastLines)
      .map((line) => JSON.stringify(line))
      .join('\n');
  }

  private wakeLogWaiters(): void {
    const waiters = this.logWaiters;
    this.logWaiters = [];
    for (const wake of waiters) wake();
  }
}

function parseLogLine(line: string): LogLine {
  try {
    const parsed = JSON.parse(line) as unknown;
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed))
      return parsed as LogLine;
  } catch {
    // Not JSON: a stack trace or a warning from node itself.
  }
  return { msg: line };
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export interface CommandResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `kindred ARGS...` to completion. */
export async function runKindred(
  args: readonly string[],
  options: { env?: Readonly<Record<string, string>>; timeoutMs?: number } = {},
): Promise<CommandResult> {
  const child = spawn(process.execPath, [KINDRED_BIN, ...args], {
    env: childEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = track(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const streamsDone = Promise.all([
    new Promise((resolve) => child.stdout.once('close', resolve)),
    new Promise((resolve) => child.stderr.once('close', resolve)),
  ]);
  try {
    const status = await withTimeout(
      exited,
      options.timeoutMs ?? 60_000,
      `kindred ${args.join(' ')} did not finish`,
    );
    await streamsDone;
    return { ...status, stdout, stderr };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}

export interface ReplaySummary {
  readonly events: number;
  readonly seconds: number;
  readonly items: number;
  readonly users: number;
  readonly interactions: number;
  readonly checksum: string;
}

/** `kindred replay --dry-run --data DIR`: the checksum of a from-scratch replay of the log. */
export async function replayDryRun(dataDir: string): Promise<ReplaySummary> {
  const result = await runKindred(['replay', '--dry-run', '--data', dataDir]);
  const last = result.stdout.trim().split('\n').at(-1) ?? '';
  if (result.code !== 0 || !last.startsWith('{'))
    throw new Error(
      `kindred replay failed (${result.code ?? result.signal}):\n${result.stdout}\n${result.stderr}`,
    );
  return JSON.parse(last) as ReplaySummary;
}

/** A fresh directory under the OS temp dir and a synchronous remover. */
export function makeDataDir(prefix = 'kindred-test-'): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export interface JsonResponse<T = unknown> {
  readonly status: number;
  readonly body: T;
  /** The raw body text (always set, also when the body was parsed). */
  readonly text: string;
}

export interface RequestOptions {
  /** Skip JSON.parse of the answer (`body` is then undefined); `text` is still set. */
  readonly parse?: boolean;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * A keep-alive HTTP client for one server. Bodies may be objects (serialized here) or
 * pre-serialized strings/Buffers, which benchmarks use so the client stays cheap.
 * Network failures (the server was killed) reject with the socket error.
 */
export class JsonClient {
  private readonly agent: http.Agent;
  private readonly base: URL;
  private readonly timeoutMs: number;

  constructor(baseUrl: string, options: { maxSockets?: number; timeoutMs?: number } = {}) {
    this.base = new URL(baseUrl);
    this.agent = new http.Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 16 });
    this.timeoutMs = options.timeoutMs ?? 60_000;
  }

  request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    options: RequestOptions = {},
  ): Promise<JsonResponse<T>> {
    const payload =
      body === undefined
        ? undefined
        : Buffer.isBuffer(body)
          ? body
          : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    return new Promise<JsonResponse<T>>((resolve, reject) => {
      const request = http.request(
        {
          protocol: this.base.protocol,
          hostname: this.base.hostname,
          port: this.base.port,
          method,
          path,
          agent: this.agent,
          headers: {
            accept: 'application/json',
            ...(payload
              ? { 'content-type': 'application/json', 'content-length': String(payload.length) }
              : {}),
            ...options.headers,
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('aborted', () => reject(new Error('response aborted')));
          response.on('end', () => {
            if (!response.complete) {
              reject(new Error('response incomplete (connection closed)'));
              return;
            }
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = undefined;
            if (options.parse !== false && text !== '') {
              try {
                parsed = JSON.parse(text);
              } catch (error) {
                reject(
                  new Error(
                    `${method} ${path}: answer is not JSON (${(error as Error).message}): ${text.slice(0, 200)}`,
                  ),
                );
                return;
              }
            }
            resolve({ status: response.statusCode ?? 0, body: parsed as T, text });
          });
        },
      );
      request.setTimeout(this.timeoutMs, () =>
        request.destroy(new Error(`${method} ${path} timed out`)),
      );
      request.on('error', reject);
      request.end(payload);
    });
  }

  get<T = unknown>(path: string, options?: RequestOptions): Promise<JsonResponse<T>> {
    return this.request<T>('GET', path, undefined, options);
  }

  post<T = unknown>(
    path: string,
    body: unknown,
    options?: RequestOptions,
  ): Promise<JsonResponse<T>> {
    return this.request<T>('POST', path, body, options);
  }

  put<T = unknown>(
    path: string,
    body: unknown,
    options?: RequestOptions,
  ): Promise<JsonResponse<T>> {
    return this.request<T>('PUT', path, body, options);
  }

  patch<T = unknown>(
    path: string,
    body: unknown,
    options?: RequestOptions,
  ): Promise<JsonResponse<T>> {
    return this.request<T>('PATCH', path, body, options);
  }

  delete<T = unknown>(path: string, options?: RequestOptions): Promise<JsonResponse<T>> {
    return this.request<T>('DELETE', path, undefined, options);
  }

  /** Closes the kept-alive sockets. */
  close(): void {
    this.agent.destroy();
  }
}

/** True for the errors a request gets when the server dies or is gone. */
export function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (
    typeof code === 'string' &&
    /^(ECONNRESET|ECONNREFUSED|EPIPE|ECONNABORTED|UND_ERR_SOCKET)$/.test(code)
  )
    return true;
  const message = error instanceof Error ? error.message : '';
  return /socket hang up|response aborted|response incomplete|ECONNRESET|ECONNREFUSED|EPIPE/.test(
    message,
  );
}

/** Status fields of GET /v1/admin/status?checksum=true. */
export interface AdminStatus {
  readonly checkpoint: number;
  readonly lastOffset: number;
  readonly events: number;
  readonly lag: number;
  readonly items: number;
  readonly users: number;
  readonly interactions: number;
  readonly checksum?: string;
}
