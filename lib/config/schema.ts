import { z } from 'zod';
import { INFERENCE_ROUTES, MODEL_CATALOG, TEXT_MODEL_ALIASES } from './models';

/**
 * The one configuration schema of the blueprint. Every key has a default; cdk.json context and
 * `-c key=value` only override. Keys are dotted paths (`-c model.alias=claude-haiku-4-5`).
 */

const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

/** API Gateway's default integration timeout for REST APIs; a synchronous function must answer within it. */
export const REST_INTEGRATION_TIMEOUT_SECONDS = 29;

const int = (min: number, max: number) => z.int().min(min).max(max);

export const configSchema = z
  .strictObject({
    /**
     * CloudFormation stack name shared by every ground, so `-c ground=N+1` updates the stack that
     * `-c ground=N` deployed instead of creating a second one.
     */
    stackName: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'must start with a letter and hold only letters, digits and hyphens (at most 128)')
      .default('GenAiBlueprint'),
    model: z
      .strictObject({
        /** Catalog alias of the model answering the prompt route. */
        alias: z.enum(TEXT_MODEL_ALIASES as [string, ...string[]]).default('nova-lite'),
        /** `in-region` calls the foundation model; a geography calls its cross-region inference profile. */
        inference: z.enum(INFERENCE_ROUTES).default('us'),
        /** Cap on generated tokens per call; a request may ask for fewer. */
        maxTokens: int(1, 64_000).default(1024),
        temperature: z.number().min(0).max(1).default(0.5),
        /** Attempts per model call, including the first (SDK standard retry mode with jittered backoff). */
        maxAttempts: int(1, 10).default(3),
        /** Socket timeout of one attempt. The whole call is also cut at the function's remaining time. */
        attemptTimeoutSeconds: int(1, 900).default(20),
      })
      .prefault({}),
    api: z
      .strictObject({
        stageName: z.string().regex(/^[A-Za-z0-9_]{1,64}$/, 'must be 1-64 letters, digits or underscores').default('v1'),
        /** Steady-state requests per second for the whole stage. */
        throttleRateLimit: int(1, 10_000).default(10),
        throttleBurstLimit: int(1, 5_000).default(20),
        /** Longest user query accepted, in characters (checked by API Gateway and again by the function). */
        maxQueryChars: int(1, 100_000).default(8_000),
      })
      .prefault({}),
    lambda: z
      .strictObject({
        memoryMb: int(128, 10_240).default(1024),
        /** Timeout of synchronous functions behind the REST API. */
        timeoutSeconds: int(3, REST_INTEGRATION_TIMEOUT_SECONDS).default(REST_INTEGRATION_TIMEOUT_SECONDS),
        logRetentionDays: z
          .int()
          .refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), `expected one of ${LOG_RETENTION_DAYS.join(', ')}`)
          .default(30),
        /** Reserved concurrency of each request-path function. @default unset (new accounts cannot reserve) */
        reservedConcurrency: int(1, 1_000).optional(),
      })
      .prefault({}),
  })
  .superRefine((cfg, ctx) => {
    const model = MODEL_CATALOG[cfg.model.alias as keyof typeof MODEL_CATALOG];
    if (model.kind !== 'text') return;
    if (cfg.model.maxTokens > model.maxOutputTokens) {
      ctx.addIssue({
        code: 'custom',
        path: ['model', 'maxTokens'],
        message: `must be at most ${model.maxOutputTokens} for ${cfg.model.alias}`,
      });
    }
    if (cfg.model.inference === 'in-region' && model.inferenceProfile === 'required') {
      ctx.addIssue({
        code: 'custom',
        path: ['model', 'inference'],
        message: `${cfg.model.alias} is only served through a cross-region inference profile; allowed: ${model.profileGeos.join(', ')}`,
      });
    } else if (cfg.model.inference !== 'in-region' && !(model.profileGeos as readonly string[]).includes(cfg.model.inference)) {
      ctx.addIssue({
        code: 'custom',
        path: ['model', 'inference'],
        message: `${cfg.model.alias} has no ${cfg.model.inference} inference profile; allowed: in-region, ${model.profileGeos.join(', ')}`,
      });
    }
    if (cfg.model.attemptTimeoutSeconds >= cfg.lambda.timeoutSeconds) {
      ctx.addIssue({
        code: 'custom',
        path: ['model', 'attemptTimeoutSeconds'],
        message: `must be below lambda.timeoutSeconds (${cfg.lambda.timeoutSeconds}) so the function answers before it is killed`,
      });
    }
  });

export type BlueprintConfig = z.output<typeof configSchema>;

/** Context keys that belong to the CDK or to ground selection, not to the blueprint's configuration. */
const NOT_CONFIG = new Set(['ground', 'cli-telemetry', 'acknowledged-issue-numbers']);
const isConfigKey = (key: string) => !NOT_CONFIG.has(key) && !key.includes(':') && !key.startsWith('@');

/**
 * Builds the configuration from CDK context (cdk.json `context`, cdk.context.json, `-c` flags).
 * Throws one Error listing every wrong key with its value and what is allowed.
 */
export function loadConfig(context: Record<string, unknown>): BlueprintConfig {
  const raw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(context)) {
    if (isConfigKey(key)) setPath(raw, key.split('.'), coerce(key, value));
  }
  const parsed = configSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const at = issue.path.join('.');
      const shape = at ? shapeAt(at) : configSchema.shape;
      return `  - unknown key ${issue.keys.map((k) => `'${[at, k].filter(Boolean).join('.')}'`).join(', ')}; allowed: ${Object.keys(shape ?? {}).join(', ')}`;
    }
    const key = issue.path.join('.');
    return `  - ${key} = ${JSON.stringify(getPath(raw, issue.path as string[]))}: ${issue.message}`;
  });
  throw new Error(`Invalid genai-blueprint configuration (cdk.json context or -c key=value):\n${lines.join('\n')}`);
}

function shapeAt(path: string): Record<string, unknown> | undefined {
  let schema: unknown = configSchema;
  for (const part of path.split('.')) {
    const shape = unwrap(schema)?.def?.shape as Record<string, unknown> | undefined;
    schema = shape?.[part];
  }
  return unwrap(schema)?.def?.shape as Record<string, unknown> | undefined;
}

function unwrap(schema: unknown): { def: { shape?: unknown } } | undefined {
  let s = schema as { def?: { innerType?: unknown; shape?: unknown } } | undefined;
  while (s?.def?.innerType) s = s.def.innerType as typeof s;
  return s as { def: { shape?: unknown } } | undefined;
}

/** `-c` values arrive as strings: read numbers, booleans and JSON the way a user means them. */
function coerce(key: string, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const text = value.trim();
  if (text === 'true' || text === 'false') return text === 'true';
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (text.startsWith('{') || text.startsWith('[')) {
    try {
      return JSON.parse(text);
    } catch {
      throw new Error(`Invalid genai-blueprint configuration: ${key} = ${JSON.stringify(value)} is not valid JSON`);
    }
  }
  return value;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  const [head, ...rest] = path;
  if (rest.length === 0) {
    const existing = target[head];
    target[head] = isPlainObject(existing) && isPlainObject(value) ? { ...existing, ...value } : value;
    return;
  }
  if (!isPlainObject(target[head])) target[head] = {};
  setPath(target[head] as Record<string, unknown>, rest, value);
}

function getPath(source: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((node, key) => (isPlainObject(node) ? node[key as string] : undefined), source);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
