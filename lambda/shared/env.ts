import * as z from 'zod/mini';

/**
 * Reads the function's settings from its environment. The stack writes them from the validated
 * configuration, so a failure here is a deployment bug and fails the cold start loudly.
 */
export function readEnv<T extends z.ZodMiniType>(schema: T, env: NodeJS.ProcessEnv = process.env): z.infer<T> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const keys = result.error.issues.map((i) => i.path.join('.')).join(', ');
    throw new Error(`Function environment is invalid: ${keys}`);
  }
  return result.data;
}

export const intFromEnv = () =>
  z
    .pipe(
      z.string(),
      z.transform((s) => Number(s)),
    )
    .check(z.refine(Number.isInteger));
export const numberFromEnv = () =>
  z
    .pipe(
      z.string(),
      z.transform((s) => Number(s)),
    )
    .check(z.refine(Number.isFinite));

/** Settings every function that calls a model reads (the stack writes them from the configuration). */
export const modelCallEnv = () => ({
  MAX_TOKENS: intFromEnv(),
  TEMPERATURE: numberFromEnv(),
  MAX_QUERY_CHARS: intFromEnv(),
  BEDROCK_MAX_ATTEMPTS: intFromEnv(),
  BEDROCK_ATTEMPT_TIMEOUT_MS: intFromEnv(),
  // Ground 3.
  GUARDRAIL_ID: z.optional(z.string().check(z.minLength(1))),
  GUARDRAIL_VERSION: z.optional(z.string().check(z.minLength(1))),
});

/** A JSON value in a variable, checked by `schema`; unparsable JSON is reported like any other bad value. */
export const jsonFromEnv = <T extends z.ZodMiniType>(schema: T) =>
  z.pipe(
    z.pipe(
      z.string(),
      z.transform((s) => {
        try {
          return JSON.parse(s) as unknown;
        } catch {
          return undefined; // reported by the schema under the variable's name
        }
      }),
    ),
    schema,
  );

/** A model's catalog price, JSON {inputPerMTok, outputPerMTok} in USD per million tokens (the usage record's CostUsd). */
export const priceFromEnv = () => jsonFromEnv(z.object({ inputPerMTok: z.number().check(z.nonnegative()), outputPerMTok: z.number().check(z.nonnegative()) }));
