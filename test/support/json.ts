// zod/mini, as in the functions: the full zod sets its English messages globally, which would
// change the messages of the handlers a test loads.
import * as z from 'zod/mini';

/**
 * JSON text read with a schema: a test that reads a response, a record or a tool's output fails
 * naming the field that is not what it expects, instead of trusting a cast.
 */
export function parseJson<T extends z.ZodMiniType>(schema: T, text: string): z.output<T> {
  return schema.parse(JSON.parse(text));
}

/** Any JSON object, its fields left to the test's assertions. */
export const jsonObject = z.record(z.string(), z.unknown());
