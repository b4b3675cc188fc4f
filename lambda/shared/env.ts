import type * as z from 'zod/mini';

/**
 * Reads the function's settings from its environment with its schema in contracts/env.ts. The
 * stack writes them from the validated configuration, so a failure here is a deployment bug and
 * fails the cold start loudly, naming the bad variables.
 */
export function readEnv<T extends z.ZodMiniType>(schema: T, env: NodeJS.ProcessEnv = process.env): z.infer<T> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const keys = result.error.issues.map((i) => i.path.join('.')).join(', ');
    throw new Error(`Function environment is invalid: ${keys}`);
  }
  return result.data;
}
