import type { OutgoingHttpHeaders } from 'node:http';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type {
  StreamSink,
  StreamSubscription,
  StreamTrigger,
} from '../../app/serving/recommendation-stream.js';
import type { RecommendationAnswer } from '../../app/serving/recommendation-service.js';
import { EntityId, ErrorBody } from '../../contracts/schemas.js';
import { KindredError } from '../../errors/catalog.js';
import { streamEstablished } from '../../gateway/gateway.js';
import type { HttpContext } from '../context.js';
import { paramsOf, querySchema, type RawParams } from './recommendations.js';

/** What an EventSource waits before reconnecting after the stream ends. */
export const STREAM_RETRY_MS = 2000;

const STREAM_POLICY = {
  policy: { scope: 'recommendations:read', pool: 'read', stream: true },
} as const;

const HEARTBEAT = ': keep-alive\n\n';

/**
 * One stream's server-sent events on the raw response. Nothing is written (so an error
 * still answers as JSON) until the first list is ready; then the reply is taken over:
 * headers (the gateway's included), `retry:`, and one `recommendations` event per list,
 * with the list's recommendation id as the event id.
 */
class ServerSentEvents implements StreamSink {
  private started = false;
  private waitingForDrain = false;
  subscription: StreamSubscription | undefined;

  constructor(
    private readonly request: FastifyRequest,
    private readonly reply: FastifyReply,
  ) {}

  send(answer: RecommendationAnswer, trigger: StreamTrigger): boolean {
    const raw = this.reply.raw;
    if (raw.destroyed || raw.writableEnded) return false;
    if (!this.started) this.start();
    else if (raw.writableNeedDrain) {
      // A slow reader gets the list current when it catches up, not a backlog.
      if (!this.waitingForDrain) {
        this.waitingForDrain = true;
        raw.once('drain', () => {
          this.waitingForDrain = false;
          this.subscription?.resume();
        });
      }
      return false;
    }
    raw.write(
      `id: ${answer.recommendationId}\nevent: recommendations\ndata: ${JSON.stringify({ ...answer, trigger })}\n\n`,
    );
    return true;
  }

  heartbeat(): void {
    const raw = this.reply.raw;
    if (this.started && !raw.destroyed && !raw.writableNeedDrain) raw.write(HEARTBEAT);
  }

  fail(error: KindredError): void {
    const raw = this.reply.raw;
    if (!this.started || raw.destroyed || raw.writableEnded) return;
    raw.end(`event: error\ndata: ${JSON.stringify(error.toBody())}\n\n`);
  }

  private start(): void {
    this.started = true;
    streamEstablished(this.request, this.reply);
    this.reply.hijack();
    const raw = this.reply.raw;
    raw.writeHead(200, {
      ...(this.reply.getHeaders() as OutgoingHttpHeaders),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      // nginx buffers proxied answers unless told not to.
      'x-accel-buffering': 'no',
      'x-request-id': this.request.id,
    });
    raw.write(`retry: ${STREAM_RETRY_MS}\n\n`);
  }
}

/** `GET /v1/users/{id}/recommendations/stream`: the user's list now and after every change. */
export function registerRecommendationStreamRoute(
  app: FastifyInstance,
  context: HttpContext,
): void {
  const { defaultK, maxK } = context.config.recommend;
  const query = querySchema(maxK, defaultK);
  const { recommendationId: _paging, ...properties } = query.properties;
  void _paging;
  const streams = () => {
    if (context.models === undefined)
      throw new KindredError('NOT_READY', 'recommendations are not available in this process');
    return context.models.streams;
  };
  app.addHook('preClose', (done) => {
    // Open streams would hold the server's close forever: they end, and clients reconnect.
    context.models?.streams.endAll();
    done();
  });

  app.get(
    '/v1/users/:id/recommendations/stream',
    {
      config: STREAM_POLICY,
      // A HEAD would open a stream that can never send anything.
      exposeHeadRoute: false,
      schema: {
        summary: 'Live recommendations for a user (server-sent events)',
        description:
          'The same list as `GET /v1/users/{id}/recommendations` with the same parameters (except `recommendationId`), ' +
          'sent at once and again whenever the user’s state changes (an acknowledged interaction of theirs, their ' +
          'attributes) or a new model starts serving. Each list is a `recommendations` event whose id is its ' +
          '`recommendationId` and whose data is the JSON answer plus `trigger` (`initial`, `interaction` or `model`). ' +
          `A user's changes within \`serving.streamDebounceMs\` make one list. Comments keep an idle stream open; ` +
          `\`retry: ${STREAM_RETRY_MS}\` sets the reconnect delay, and a reconnect (with or without \`Last-Event-ID\`) ` +
          'gets the current list. At most `serving.streamMaxConnections` streams are open at once (503 `TOO_MANY_STREAMS`). ' +
          'Errors before the stream starts answer as JSON; later ones (the scenario was deleted, the engine stops) ' +
          'are an `error` event, after which the stream ends.',
        tags: ['recommendations'],
        params: Type.Object({ id: EntityId }),
        querystring: Type.Object(properties, { additionalProperties: false }),
        response: {
          200: {
            description: 'A stream of server-sent events.',
            content: { 'text/event-stream': { schema: Type.String() } },
          },
          '4xx': ErrorBody,
          '5xx': ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const hub = streams();
      const params = paramsOf(request.query as RawParams, defaultK);
      const sink = new ServerSentEvents(request, reply);
      const subscription = hub.open((request.params as { id: string }).id, params, sink);
      sink.subscription = subscription;
      const raw = reply.raw;
      if (raw.destroyed) subscription.close();
      else raw.once('close', () => subscription.close());
      return reply;
    },
  );
}
