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
