// A server-sent events reader on node:http, for the live recommendation stream tests. One
// connection per stream, closed with it (fetch's pool may open a spare connection after
// an abort, which would hold a closing server open until its keep-alive timeout).
import http from 'node:http';

export interface ServerSentEvent {
  readonly id: string | undefined;
  readonly event: string;
  readonly data: string;
  /** performance.now() when the event's last line arrived. */
  readonly at: number;
}

export interface SseStream {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  /** The body of a refused stream (an error answer), or '' for an open one. */
  readonly errorBody: string;
  /** Events received so far and not taken by `next`. */
  readonly pending: ServerSentEvent[];
  /** Comment lines seen (heartbeats). */
  comments: number;
  /** The last `retry:` value, in ms. */
  retry: number | undefined;
  /** Resolves when the server ended the stream (or it failed). */
  readonly ended: Promise<void>;
  /** The next event, or rejects after `timeoutMs`. */
  next(timeoutMs?: number): Promise<ServerSentEvent>;
  /** Waits `ms` and returns the events that arrived meanwhile (taking them). */
  collect(ms: number): Promise<ServerSentEvent[]>;
  close(): void;
}

/** Opens `url` as an event stream; an answer that is not 200 is read whole as `errorBody`. */
export async function openEventStream(
  url: string,
  headers: Record<string, string> = {},
): Promise<SseStream> {
  const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
    http
      .get(url, { agent: false, headers: { accept: 'text/event-stream', ...headers } }, resolve)
      .on('error', reject);
  });
  const pending: ServerSentEvent[] = [];
  let wake: (() => void) | undefined;
  const stream: SseStream = {
    status: response.statusCode ?? 0,
    headers: response.headers,
    errorBody: '',
    pending,
    comments: 0,
    retry: undefined,
    ended: Promise.resolve(),
    async next(timeoutMs = 2000) {
      const deadline = performance.now() + timeoutMs;
      while (pending.length === 0) {
        const left = deadline - performance.now();
        if (left <= 0) throw new Error(`no event within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      return pending.shift()!;
    },
    async collect(ms) {
      await new Promise((resolve) => setTimeout(resolve, ms));
      return pending.splice(0, pending.length);
    },
    close: () => response.destroy(),
  };
  response.setEncoding('utf8');
  if (response.statusCode !== 200) {
    let text = '';
    for await (const chunk of response) text += chunk as string;
    return { ...stream, errorBody: text };
  }
  let buffer = '';
  const parseBlock = (block: string): void => {
    let id: string | undefined;
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) stream.comments++;
      else if (line.startsWith('retry:')) stream.retry = Number(line.slice(6).trim());
      else if (line.startsWith('id:')) id = line.slice(3).trim();
      else if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
    }
    if (data.length > 0) {
      pending.push({ id, event, data: data.join('\n'), at: performance.now() });
      wake?.();
    }
  };
  (stream as { ended: Promise<void> }).ended = new Promise<void>((resolve) => {
    response.on('data', (chunk: string) => {
      buffer += chunk;
      let split: number;
      while ((split = buffer.indexOf('\n\n')) >= 0) {
        parseBlock(buffer.slice(0, split));
        buffer = buffer.slice(split + 2);
      }
    });
    response.once('close', () => {
      wake?.();
      resolve();
    });
  });
  return stream;
}
