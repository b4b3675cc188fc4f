import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { jsonResponse, parseJsonBody, toHttpError } from './http';
import { logger, metrics } from './observability';
import { REQUEST_ID_PATTERN } from '../../contracts/ids';

export interface ApiCall {
  /** The parsed JSON object body (not yet validated against the route's schema); undefined for `body: 'none'`. */
  readonly body: unknown;
  /** API Gateway's request id, echoed to the client so feedback and support can refer to it. */
  readonly requestId: string;
  /** Aborts when the function is about to run out of time, so the answer is a 504, not a kill. */
  readonly signal: AbortSignal;
  /** The raw event, for what API Gateway vouches for (the caller's API key id, identity). */
  readonly event: APIGatewayProxyEvent;
}

export interface ApiAnswer {
  readonly statusCode?: number;
  readonly body: Record<string, unknown>;
}

export interface RouteOptions {
  /**
   * 'json': the request must carry a JSON object body (POST routes); 'none': the body is not read
   * (GET routes, whose input is the path, validated by the route). @default 'json'
   */
  readonly body?: 'json' | 'none';
}

/** Time kept back from the function's own timeout to map a late model into a clean 504. */
const DEADLINE_MARGIN_MS = 1_000;

/**
 * The adapter every JSON route shares: body parsing, a deadline below the function timeout,
 * request ids, logging, metrics flushing, and the one error mapper.
 */
export function jsonRoute(route: (call: ApiCall) => Promise<ApiAnswer>, options: RouteOptions = {}) {
  return async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => {
    const requestId = requestIdOf(event, context);
    logger.addContext(context);
    logger.appendKeys({ apiRequestId: requestId });
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), Math.max(0, context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS));
    try {
      const body = options.body === 'none' ? undefined : parseJsonBody(event);
      const answer = await route({ body, requestId, signal: deadline.signal, event });
      return jsonResponse(answer.statusCode ?? 200, { ...answer.body, requestId }, { 'X-Request-Id': requestId });
    } catch (caught) {
      const { error, expected } = toHttpError(caught);
      if (expected) logger.warn('request failed', { statusCode: error.statusCode, reason: error.message });
      else logger.error('request failed unexpectedly', { statusCode: error.statusCode, error: caught as Error });
      return jsonResponse(error.statusCode, { error: error.message, requestId }, { ...error.headers, 'X-Request-Id': requestId });
    } finally {
      clearTimeout(timer);
      logger.resetKeys();
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    }
  };
}

/** API Gateway's request id when it is well formed, else the Lambda request id. */
export function requestIdOf(event: APIGatewayProxyEvent, context: Context): string {
  const id = event?.requestContext?.requestId;
  return typeof id === 'string' && REQUEST_ID_PATTERN.test(id) ? id : context.awsRequestId;
}
