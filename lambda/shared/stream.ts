import { type BedrockRuntimeClient, ConverseStreamCommand } from '@aws-sdk/client-bedrock-runtime';
import type { APIGatewayProxyEvent, StreamifyHandler } from 'aws-lambda';
import type { Writable } from 'node:stream';
import { type ApiCall, requestIdOf } from './api';
import { converseInput } from './bedrock';
import { HttpError, parseJsonBody, toHttpError } from './http';
import type { ModelRequest, TokenUsage } from './model';
import { logger, metrics } from './observability';

/** What a streamed model answer is made of: text deltas, then one end. */
export type StreamChunk =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'end'; readonly stopReason: string; readonly usage: TokenUsage; readonly latencyMs: number };

export interface ModelStreamPort {
  /**
   * Resolves once the model accepted the request (its HTTP answer started), so errors that come
   * before the first token (throttling, validation, access) can still become an HTTP status.
   * Errors after that surface from the iterator.
   */
  open(request: ModelRequest, signal?: AbortSignal): Promise<AsyncIterable<StreamChunk>>;
}

/** Adapts ConverseStream to the model stream port. Bedrock's exception events are thrown by the SDK as named errors. */
export function converseStreamModel(client: BedrockRuntimeClient): ModelStreamPort {
  return {
    async open(request, signal) {
      const started = performance.now();
      const out = await client.send(new ConverseStreamCommand(converseInput(request)), { abortSignal: signal });
      const events = out.stream;
      if (!events) throw new HttpError(502, 'The model returned a malformed answer');
      return (async function* () {
        let stopReason: string | undefined;
        let usage: TokenUsage | undefined;
        let latencyMs: number | undefined;
        for await (const event of events) {
          const text: unknown = event.contentBlockDelta?.delta?.text;
          if (typeof text === 'string' && text.length > 0) yield { kind: 'text', text } as const;
          if (typeof event.messageStop?.stopReason === 'string') stopReason = event.messageStop.stopReason;
          const u = event.metadata?.usage;
          if (u && Number.isInteger(u.inputTokens) && Number.isInteger(u.outputTokens)) {
            usage = { inputTokens: u.inputTokens!, outputTokens: u.outputTokens!, totalTokens: u.inputTokens! + u.outputTokens! };
            latencyMs = event.metadata?.metrics?.latencyMs;
          }
        }
        // A stream cut short without messageStop/metadata is an upstream failure, not an answer.
        if (stopReason === undefined || usage === undefined) throw new HttpError(502, 'The model returned a malformed answer');
        yield { kind: 'end', stopReason, usage, latencyMs: latencyMs ?? Math.round(performance.now() - started) } as const;
      })();
    },
  };
}

/*
 * Lambda response streaming: the Node.js managed runtime provides the `awslambda` global
 * (`streamifyResponse`, `HttpResponseStream`); its types come from @types/aws-lambda.
 */

export type ResponseStream = awslambda.HttpResponseStream;
export type StreamingHandler = StreamifyHandler<APIGatewayProxyEvent, void>;

/** A route's answer: one JSON document, or a stream of already-formatted text frames. */
export type StreamingAnswer =
  | { readonly kind: 'json'; readonly statusCode?: number; readonly body: unknown }
  | { readonly kind: 'stream'; readonly contentType: string; readonly frames: AsyncIterable<string> };

/** How a route shows errors: as a JSON body before the stream starts, as a frame once it has. */
export interface ErrorFormat {
  json(error: HttpError, requestId: string): unknown;
  frame(error: HttpError, requestId: string): string;
}

const JSON_HEADERS = { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' };
/** Time kept back from the function's own timeout to end a late stream with an error frame, not a kill. */
const DEADLINE_MARGIN_MS = 1_000;

/**
 * The streaming twin of `jsonRoute`: body parsing, deadline, request ids, logging and metrics, and
 * the one error mapper. The status line is committed only when the route returns its answer, so
 * bad input and failures before the first token are real 4xx/5xx JSON answers; a failure after
 * that can only be a last frame in the route's own format.
 */
export function streamingRoute(route: (call: ApiCall) => Promise<StreamingAnswer>, errors: ErrorFormat): StreamingHandler {
  return awslambda.streamifyResponse(async (event, responseStream, context) => {
    const requestId = requestIdOf(event, context);
    logger.addContext(context);
    logger.appendKeys({ apiRequestId: requestId });
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), Math.max(0, context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS));
    let out: ResponseStream | undefined;
    try {
      const answer = await route({ body: parseJsonBody(event), requestId, signal: deadline.signal, event });
      if (answer.kind === 'json') {
        out = awslambda.HttpResponseStream.from(responseStream, {
          statusCode: answer.statusCode ?? 200,
          headers: { ...JSON_HEADERS, 'X-Request-Id': requestId },
        });
        await write(out, JSON.stringify(answer.body));
        return;
      }
      out = awslambda.HttpResponseStream.from(responseStream, {
        statusCode: 200,
        // no-transform keeps proxies from buffering or compressing the event stream.
        headers: {
          'Content-Type': answer.contentType,
          'Cache-Control': 'no-store, no-transform',
          'X-Content-Type-Options': 'nosniff',
          'X-Request-Id': requestId,
        },
      });
      for await (const frame of answer.frames) await write(out, frame);
    } catch (caught) {
      const { error, expected } = toHttpError(caught);
      if (expected) logger.warn('request failed', { statusCode: error.statusCode, reason: error.message, streaming: out !== undefined });
      else logger.error('request failed unexpectedly', { statusCode: error.statusCode, error: caught as Error, streaming: out !== undefined });
      if (out) {
        await write(out, errors.frame(error, requestId)).catch(() => undefined);
      } else {
        out = awslambda.HttpResponseStream.from(responseStream, {
          statusCode: error.statusCode,
          headers: { ...JSON_HEADERS, ...error.headers, 'X-Request-Id': requestId },
        });
        await write(out, JSON.stringify(errors.json(error, requestId)));
      }
    } finally {
      clearTimeout(timer);
      (out ?? responseStream).end();
      logger.resetKeys();
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    }
  });
}

/**
 * Writes with backpressure: a slow client slows the model read instead of filling memory. A
 * destroyed stream (a failed write, a client gone) emits neither 'drain' nor 'error' again, so
 * writing to it, or its closing while a write waits, fails at once instead of waiting forever.
 */
function write(stream: Writable, text: string): Promise<void> {
  if (stream.destroyed) return Promise.reject(new Error('The response stream is closed'));
  if (stream.write(text)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (error?: Error) => {
      stream.off('drain', done).off('error', done).off('close', closed);
      if (error) reject(error);
      else resolve();
    };
    const closed = () => done(new Error('The response stream is closed'));
    stream.on('drain', done).on('error', done).on('close', closed);
  });
}
