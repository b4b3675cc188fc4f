import type * as z from 'zod/mini';

/** Characters of a bad value shown in the error: enough to recognise what the stack wrote. */
const SHOWN_CHARS = 100;

/**
 * Reads the function's settings from its environment with its schema in contracts/env.ts. The
 * stack writes them from the validated configuration, so a failure here is a deployment bug and
 * fails the cold start loudly, naming each bad variable (the path inside a JSON one) and its value.
 */
export function readEnv<T extends z.ZodMiniType>(schema: T, env: NodeJS.ProcessEnv = process.env): z.infer<T> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const paths = new Map<string, string[]>();
    for (const issue of result.error.issues) {
      const name = String(issue.path[0]);
      paths.set(name, [...(paths.get(name) ?? []), issue.path.join('.')]);
    }
    const problems = [...paths].map(([name, bad]) => `${bad.join(', ')} (${shown(env[name])})`);
    throw new Error(`Function environment is invalid: ${problems.join(', ')}`);
  }
  return result.data;
}

function shown(value: string | undefined): string {
  if (value === undefined) return 'not set';
  return `got ${JSON.stringify(value.length > SHOWN_CHARS ? `${value.slice(0, SHOWN_CHARS)}…` : value)}`;
}
