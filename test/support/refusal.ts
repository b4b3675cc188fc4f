import type { z } from 'zod/mini';
import { HttpError } from '../../lambda/shared/http';
import { parseRequest } from '../../lambda/shared/validation';

/**
 * The message of the 400 that parseRequest answers `body` with, as the client reads it; fails the
 * test when the body is accepted or refused with anything but a 400.
 */
export function refusal(schema: z.ZodMiniType, body: unknown): string {
  try {
    parseRequest(schema, body);
  } catch (error) {
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).statusCode).toBe(400);
    return (error as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(body)} to be refused`);
}

/**
 * How `promise` fails, as the client would read it: "<status> <message>" and the Retry-After header
 * when there is one, or "no failure". An error that is not an HttpError fails the test.
 */
export async function httpFailure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'no failure';
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    const retryAfter = error.headers?.['Retry-After'];
    return `${error.statusCode} ${error.message}${retryAfter === undefined ? '' : ` (Retry-After ${retryAfter})`}`;
  }
}
