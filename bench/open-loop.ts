// An open-loop HTTP/1.1 load generator on raw keep-alive sockets, for latency at a fixed
// rate. Request i is due at start + i / rate whatever the answers; it goes out on a free
// connection, or waits for one, and its latency counts from when it was due (as wrk2
// counts), so a stall of the server is charged to every request it held up, not hidden by
// sending fewer. node:http as a client costs tens of microseconds per request, which on a
// small machine shared with the server made the generator's own pauses, and the bursts it
// sent to catch up, part of what was measured; this one parses just the status line and
// Content-Length. Its timer ticks every millisecond or so, so latency from when a request
// was due includes up to a tick of the generator's own; `fromRelease` leaves that out.
import { connect, type Socket } from 'node:net';

export interface OpenLoopOptions {
  readonly url: string;
  readonly rate: number;
  readonly durationMs: number;
  /** Keep-alive connections opened ahead of the run. */
  readonly connections: number;
  readonly path: (index: number) => string;
}

export interface OpenLoopResult {
  /** Per answered request: ms from when it was due to its answer. */
  readonly latencies: Float64Array;
  /**
   * Per answered request: ms from when the generator released it (its timer tick, up to
   * a tick after it was due) to its answer: the timer's granularity left out, a wait for a
   * free connection kept in.
   */
  readonly fromRelease: Float64Array;
  readonly statuses: Uint16Array;
  /** Requests answered. */
  readonly answered: number;
  /** Requests never answered (connection closed or run over). */
  readonly lost: number;
  /** The longest a due request waited for a free connection, ms. */
  readonly maxQueueMs: number;
}

interface Connection {
  readonly socket: Socket;
  request: number;
  pending: Buffer | undefined;
}

const HEADER_END = Buffer.from('\r\n\r\n');
const LENGTH_HEADER = 'content-length:';

export async function openLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const { hostname, port } = new URL(options.url);
  const total = Math.floor((options.rate * options.durationMs) / 1000);
  const latencies = new Float64Array(total).fill(Number.NaN);
  const fromRelease = new Float64Array(total).fill(Number.NaN);
  const releasedAt = new Float64Array(total);
  const statuses = new Uint16Array(total);
  const free: Connection[] = [];
  const waiting: number[] = [];
  let answered = 0;
  let maxQueueMs = 0;
  let start = 0;
  const dueAt = (index: number): number => start + (index * 1000) / options.rate;

  const send = (connection: Connection, index: number): void => {
    connection.request = index;
    maxQueueMs = Math.max(maxQueueMs, performance.now() - dueAt(index));
    connection.socket.write(`GET ${options.path(index)} HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`);
  };
  const answer = (connection: Connection, status: number): void => {
    const index = connection.request;
    const now = performance.now();
    latencies[index] = now - dueAt(index);
    fromRelease[index] = now - (releasedAt[index] as number);
    statuses[index] = status;
    answered++;
    connection.request = -1;
    const next = waiting.shift();
    if (next === undefined) free.push(connection);
    else send(connection, next);
  };
  const onData = (connection: Connection, chunk: Buffer): void => {
    const data = connection.pending ? Buffer.concat([connection.pending, chunk]) : chunk;
    const headerEnd = data.indexOf(HEADER_END);
    if (headerEnd < 0) {
      connection.pending = data;
      return;
    }
    const head = data.toString('latin1', 0, headerEnd).toLowerCase();
    const at = head.indexOf(LENGTH_HEADER);
    const length = at < 0 ? 0 : Number.parseInt(head.slice(at + LENGTH_HEADER.length), 10);
    if (data.length < headerEnd + 4 + length) {
      connection.pending = data;
      return;
    }
    connection.pending = undefined;
    answer(connection, Number(head.slice(9, 12)));
  };

  const connections = await Promise.all(
    Array.from(
      { length: options.connections },
      () =>
        new Promise<Connection>((resolve, reject) => {
          const socket = connect({ host: hostname, port: Number(port), noDelay: true });
          const connection: Connection = { socket, request: -1, pending: undefined };
          socket.once('connect', () => resolve(connection));
          // After it connected, a failing connection only loses its request (counted).
          socket.on('error', reject);
          socket.on('data', (chunk: Buffer) => onData(connection, chunk));
        }),
    ),
  );
  free.push(...connections);

  start = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      const due = Math.min(total, Math.floor(((now - start) * options.rate) / 1000));
      while (sent < due) {
        const index = sent++;
        releasedAt[index] = now;
        const connection = free.pop();
        if (connection === undefined) waiting.push(index);
        else send(connection, index);
      }
      if (sent >= total) {
        clearInterval(timer);
        resolve();
      }
    };
    const timer = setInterval(tick, 1);
  });
  // Let the last requests finish (at most a few seconds).
  const deadline = performance.now() + 5000;
  while (answered < total && performance.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 10));
  for (const connection of connections) connection.socket.destroy();
  return { latencies, fromRelease, statuses, answered, lost: total - answered, maxQueueMs };
}
