// zod/mini, as in the functions: the full zod sets its English messages globally, which would
// change the messages of the handlers the end-to-end test runs in the same process.
import * as z from 'zod/mini';
import { CHURN_DATASET, type DatasetSpec, type FeatureValues } from '../contracts/dataset';
// The functions' own wording of a schema issue ("text is required", "probability must be at most 1").
import { parseRequest } from '../lambda/shared/validation';

/**
 * The smoke check's pure core: which outputs of a deployed stack mean what, which requests to send
 * to the routes an API has, what a passing answer looks like, and the lines it prints. No AWS SDK,
 * no network, no environment: smoke/aws.ts resolves a deployed stack into the inputs here and sends
 * the requests planned here.
 */

/** A setup problem (no stack, no credentials, an output missing): the CLI prints the message alone and exits 2. */
export class SmokeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SmokeError';
  }
}

// --- Stack outputs -----------------------------------------------------------------------------

export interface StackOutput {
  readonly key: string;
  readonly value: string;
  readonly description?: string;
}

export interface TenantOutputs {
  readonly name: string;
  readonly apiKeyId: string;
  /** Ground 7: the tenant's Cognito machine client. */
  readonly machineClientId?: string;
}

export interface StackOutputs {
  /** Base URL of the stage, ending with `/` (`https://<id>.execute-api.<region>.amazonaws.com/v1/`). */
  readonly apiUrl: string;
  /** Ground 4+: one per tenant, in output order. */
  readonly tenants: readonly TenantOutputs[];
  /** Ground 7. */
  readonly userPoolId?: string;
  readonly tokenEndpoint?: string;
}

/**
 * CDK names an output `<the construct path without separators><8 hex digits hashing that path>`
 * (`Api/Url` → `ApiUrlDDEE0114`, `Gateway/TenantDemo/ApiKeyId` → `GatewayTenantDemoApiKeyIdC2579CB1`),
 * so keys are matched by the construct id they end with, followed by exactly that hash: the same
 * keys whatever scope a user put the blocks in. Tenant names are read from the description the
 * blocks write (`API key of tenant acme-corp: …`), which keeps the hyphens the key drops.
 */
const HASH = '[0-9A-F]{8}';
const endsWith = (id: string) => new RegExp(`^[A-Za-z0-9]*?${id}${HASH}$`);
const URL_KEY = endsWith('Url');
/** The `Endpoint` output a CDK RestApi writes by itself: the fallback for an API built without ModelApi. */
const ENDPOINT_KEY = endsWith('Endpoint');
const API_KEY_ID_KEY = new RegExp(`^[A-Za-z0-9]*?Tenant([A-Za-z0-9]+)ApiKeyId${HASH}$`);
const MACHINE_CLIENT_KEY = new RegExp(`^[A-Za-z0-9]*?MachineClient([A-Za-z0-9]+)ClientId${HASH}$`);
const USER_POOL_ID_KEY = endsWith('UserPoolId');
const TOKEN_ENDPOINT_KEY = endsWith('TokenEndpoint');
const API_KEY_TENANT = /^API key of tenant ([A-Za-z0-9-]+)\b/;
const MACHINE_CLIENT_TENANT = /^Machine client of tenant ([A-Za-z0-9-]+)\b/;

/** Tenant names compared as construct ids are built from them (`acme-corp` ~ `AcmeCorp`). */
const sameTenant = (a: string, b: string) => a.replace(/-/g, '').toLowerCase() === b.replace(/-/g, '').toLowerCase();

export function readOutputs(stack: string, outputs: readonly StackOutput[]): StackOutputs {
  const urls = outputs.filter((o) => URL_KEY.test(o.key) && /^https?:\/\//.test(o.value));
  const candidates = urls.length ? urls : outputs.filter((o) => ENDPOINT_KEY.test(o.key) && /^https?:\/\//.test(o.value));
  if (candidates.length === 0) {
    throw new SmokeError(
      `stack ${stack} has no API URL output (a key ending in Url<hash>, as ModelApi writes it); outputs: ${outputs.map((o) => o.key).join(', ') || 'none'}`,
    );
  }
  if (candidates.length > 1)
    throw new SmokeError(`stack ${stack} has ${candidates.length} API URL outputs (${candidates.map((o) => o.key).join(', ')}); expected one`);
  const apiUrl = candidates[0].value.endsWith('/') ? candidates[0].value : `${candidates[0].value}/`;

  const clients = outputs.flatMap((o) => {
    const m = MACHINE_CLIENT_KEY.exec(o.key);
    return m ? [{ name: MACHINE_CLIENT_TENANT.exec(o.description ?? '')?.[1] ?? m[1], clientId: o.value }] : [];
  });
  const tenants = outputs.flatMap((o) => {
    const m = API_KEY_ID_KEY.exec(o.key);
    if (!m) return [];
    const name = API_KEY_TENANT.exec(o.description ?? '')?.[1] ?? m[1];
    const client = clients.find((c) => sameTenant(c.name, name));
    return [{ name, apiKeyId: o.value, ...(client ? { machineClientId: client.clientId } : {}) }];
  });
  const one = (re: RegExp) => outputs.find((o) => re.test(o.key))?.value;
  const userPoolId = one(USER_POOL_ID_KEY);
  const tokenEndpoint = one(TOKEN_ENDPOINT_KEY);
  return { apiUrl, tenants, ...(userPoolId ? { userPoolId } : {}), ...(tokenEndpoint ? { tokenEndpoint } : {}) };
}

/** The tenant whose credentials the check uses: `--tenant`, or the first the stack has. */
export function chooseTenant(stack: string, tenants: readonly TenantOutputs[], wanted: string | undefined): TenantOutputs {
  if (tenants.length === 0)
    throw new SmokeError(`stack ${stack} has routes that require an API key, but no tenant ApiKeyId output (Tenant<Name>ApiKeyId<hash>)`);
  if (wanted === undefined) return tenants[0];
  const found = tenants.find((t) => t.name === wanted) ?? tenants.find((t) => sameTenant(t.name, wanted));
  if (!found) throw new SmokeError(`--tenant ${wanted}: stack ${stack} has no such tenant; its tenants are ${tenants.map((t) => t.name).join(', ')}`);
  return found;
}

export interface ApiLocation {
  /** The stage's base URL, ending with `/`. */
  readonly baseUrl: string;
  readonly stage: string;
  /** From an `execute-api` host; absent for any other host (a custom domain). */
  readonly restApiId?: string;
  readonly region?: string;
}

/** `https://<restApiId>.execute-api.<region>.amazonaws.com/<stage>/`, as API Gateway's default endpoint reads. */
export function apiLocation(url: string): ApiLocation {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SmokeError(`the API URL output is not a URL: ${url}`);
  }
  const stage = parsed.pathname.split('/').filter(Boolean)[0];
  if (!stage) throw new SmokeError(`the API URL output names no stage: ${url} (expected …/<stage>/)`);
  const host = /^([a-z0-9]+)\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(parsed.hostname);
  const baseUrl = `${parsed.origin}/${stage}/`;
  return { baseUrl, stage, ...(host ? { restApiId: host[1], region: host[2] } : {}) };
}

// --- Routes -------------------------------------------------------------------------------------

/** A method of the API as GetResources (embed=methods) reports it. */
export interface DeployedRoute {
  readonly method: string;
  /** The resource path, with its `{parameters}`: `/sessions/{id}`. */
  readonly path: string;
  /** `AWS_IAM`, `COGNITO_USER_POOLS`, `NONE` or `CUSTOM`. */
  readonly authorization: string;
  /** The OAuth scopes a Cognito-authorized method requires. */
  readonly scopes: readonly string[];
  readonly apiKeyRequired: boolean;
}

/** GetResources items, read field by field (the SDK's types make every field optional). */
export interface ResourceItem {
  readonly path?: string;
  readonly resourceMethods?: Record<string, { authorizationType?: string; apiKeyRequired?: boolean; authorizationScopes?: string[] } | undefined>;
}

export function routesOf(resources: readonly ResourceItem[]): DeployedRoute[] {
  return resources
    .flatMap((r) =>
      Object.entries(r.resourceMethods ?? {})
        // CORS preflights answer without authorization by design: nothing to smoke-test.
        .filter(([method]) => method !== 'OPTIONS')
        .map(([method, m]) => ({
          method,
          path: r.path ?? '/',
          authorization: m?.authorizationType ?? 'NONE',
          scopes: m?.authorizationScopes ?? [],
          apiKeyRequired: m?.apiKeyRequired === true,
        })),
    )
    .sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
}

export type AuthKind = 'sigv4' | 'cognito';

/** What a route needs from the caller; undefined for an authorization this check cannot satisfy. */
export function authOf(route: DeployedRoute): AuthKind | undefined {
  if (route.authorization === 'AWS_IAM') return 'sigv4';
  if (route.authorization === 'COGNITO_USER_POOLS') return 'cognito';
  return undefined;
}

// --- Probes -------------------------------------------------------------------------------------

/** Ids earlier answers returned, which later requests use. */
export interface EarlierAnswers {
  /** The `requestId` of a `POST /prompt` answer: the answer `POST /feedback` rates. */
  readonly requestId?: string;
  /** The `sessionId` of a `POST /prompt` answer (ground 7): the session `GET /sessions/{id}` reads. */
  readonly sessionId?: string;
}

export interface ProbeRequest {
  readonly method: string;
  /** The path under the stage, parameters filled in: `/sessions/JE_baYRIVtz5NJEkO0G_cpJgR6P0twd9`. */
  readonly path: string;
  /** JSON text; absent for GET. */
  readonly body?: string;
}

export interface ProbeResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

export interface Verdict {
  readonly pass: boolean;
  /** Why it failed: the error body's message, or what the answer lacked. */
  readonly reason?: string;
  readonly costUsd?: number;
  readonly tokens?: { readonly input: number; readonly output: number };
  /** Worth knowing about a pass (an answer served from the cache called no model). */
  readonly note?: string;
  /** Ids this answer returned, for the requests after it. */
  readonly ids?: EarlierAnswers;
}

/** A blueprint route: the request it is sent and how its answer is judged. */
interface RouteSample {
  readonly method: string;
  readonly path: string;
  /** An id of an earlier `POST /prompt` answer the request needs. */
  readonly needs?: keyof EarlierAnswers;
  request(earlier: EarlierAnswers): { path: string; body?: unknown };
  judge(response: ProbeResponse): Verdict;
}

export interface Probe {
  readonly route: DeployedRoute;
  /** `POST /prompt`: what the printed line names. */
  readonly name: string;
  /** Set when the route is not called: SKIP (not a blueprint route) or FAIL (it cannot be called as deployed). */
  readonly notCalled?: { readonly outcome: 'SKIP' | 'FAIL'; readonly reason: string };
  readonly sample?: RouteSample;
}

/** Kept small: every call is a model call someone pays for (docs/smoke.md). */
const MAX_TOKENS = 64;
const QUESTION = 'In one sentence: what is retrieval-augmented generation?';

/** A valid `/predict` row of any dataset spec: the middle of each range, the first choice, true. */
export function sampleFeatures(spec: DatasetSpec): FeatureValues {
  return Object.fromEntries(
    spec.features.map((f) => {
      switch (f.type) {
        case 'integer':
          return [f.name, Math.round((f.min + f.max) / 2)];
        case 'number':
          return [f.name, (f.min + f.max) / 2];
        case 'boolean':
          return [f.name, true];
        case 'choice':
          return [f.name, f.values[0]];
      }
    }),
  );
}

const tokenUsage = z.object({ inputTokens: z.number(), outputTokens: z.number() });
const promptAnswer = z.object({
  text: z.string(),
  requestId: z.string(),
  costUsd: z.optional(z.number()),
  usage: z.optional(tokenUsage),
  sessionId: z.optional(z.string()),
  cache: z.optional(z.string()),
});
const agentAnswer = z.object({ answer: z.string(), sessionId: z.string(), blocked: z.optional(z.boolean()) });
const sessionAnswer = z.object({ sessionId: z.string(), turns: z.array(z.unknown()) });
const feedbackAnswer = z.object({ outcome: z.enum(['recorded', 'unchanged', 'changed']) });
const predictAnswer = z.object({ probability: z.number().check(z.minimum(0), z.maximum(1)), label: z.string() });
const chatDone = z.object({ done: z.literal(true), usage: z.optional(z.nullable(tokenUsage)) });
const openAiUsage = z.object({ usage: z.object({ prompt_tokens: z.number(), completion_tokens: z.number() }) });

/** Every route the blueprint's grounds and the PredictiveMl stack deploy, in the order they are called. */
const SAMPLES: readonly RouteSample[] = [
  {
    method: 'POST',
    path: '/prompt',
    request: () => ({ path: '/prompt', body: { query: QUESTION, maxTokens: MAX_TOKENS } }),
    judge: (res) =>
      jsonVerdict(res, promptAnswer, (a) => ({
        pass: true,
        ...(a.costUsd !== undefined ? { costUsd: a.costUsd } : {}),
        ...(a.usage ? { tokens: { input: a.usage.inputTokens, output: a.usage.outputTokens } } : {}),
        // Ground 5: a second run finds the question in the cache; the model was not called.
        ...(a.cache && a.cache !== 'none' ? { note: `${a.cache} cache hit: no model call` } : {}),
        ids: { requestId: a.requestId, ...(a.sessionId ? { sessionId: a.sessionId } : {}) },
      })),
  },
  {
    method: 'POST',
    path: '/chat/stream',
    request: () => ({ path: '/chat/stream', body: { messages: [{ role: 'user', content: QUESTION }], maxTokens: MAX_TOKENS } }),
    judge: (res) =>
      streamVerdict(res, (frames) => {
        const done = frames.map((f) => chatDone.safeParse(f.json)).find((r) => r.success)?.data;
        if (!done) return { pass: false, reason: 'the stream ended without its done frame' };
        return { pass: true, ...(done.usage ? { tokens: { input: done.usage.inputTokens, output: done.usage.outputTokens } } : {}) };
      }),
  },
  {
    method: 'POST',
    path: '/v1/chat/completions',
    request: () => ({
      path: '/v1/chat/completions',
      body: { messages: [{ role: 'user', content: QUESTION }], max_tokens: MAX_TOKENS, stream: true, stream_options: { include_usage: true } },
    }),
    judge: (res) =>
      streamVerdict(res, (frames) => {
        if (frames.at(-1)?.data !== '[DONE]') return { pass: false, reason: 'the stream ended without data: [DONE]' };
        const usage = frames.map((f) => openAiUsage.safeParse(f.json)).find((r) => r.success)?.data.usage;
        return { pass: true, ...(usage ? { tokens: { input: usage.prompt_tokens, output: usage.completion_tokens } } : {}) };
      }),
  },
  {
    method: 'POST',
    path: '/agent',
    // A calculation: the agent answers it with its action group, without asking for confirmation.
    request: () => ({ path: '/agent', body: { input: 'What is 0.1 + 0.2?', sessionId: `smoke-${Date.now()}` } }),
    judge: (res) =>
      jsonVerdict(res, agentAnswer, (a) => (a.blocked ? { pass: false, reason: "the agent's guardrail blocked the sample question" } : { pass: true })),
  },
  {
    method: 'POST',
    path: '/predict',
    request: () => ({ path: '/predict', body: { features: sampleFeatures(CHURN_DATASET) } }),
    judge: (res) => jsonVerdict(res, predictAnswer, () => ({ pass: true })),
  },
  {
    method: 'GET',
    path: '/sessions/{id}',
    needs: 'sessionId',
    request: (earlier) => ({ path: `/sessions/${encodeURIComponent(earlier.sessionId!)}` }),
    judge: (res) =>
      jsonVerdict(res, sessionAnswer, (a) =>
        a.turns.length > 0 ? { pass: true } : { pass: false, reason: 'the session holds no turn: the POST /prompt turn was not stored' },
      ),
  },
  {
    method: 'POST',
    path: '/feedback',
    needs: 'requestId',
    request: (earlier) => ({ path: '/feedback', body: { requestId: earlier.requestId, rating: 'up', comment: 'npm run smoke' } }),
    judge: (res) => jsonVerdict(res, feedbackAnswer, () => ({ pass: true })),
  },
];

const nameOf = (route: Pick<DeployedRoute, 'method' | 'path'>) => `${route.method} ${route.path}`;

/**
 * One probe per deployed route, in SAMPLES order (so `/sessions/{id}` and `/feedback` come after
 * the `/prompt` answer whose ids they use), then the routes that are not the blueprint's (SKIP).
 */
export function planProbes(routes: readonly DeployedRoute[]): Probe[] {
  const byName = new Map(routes.map((r) => [nameOf(r), r]));
  const known = SAMPLES.flatMap((sample): Probe[] => {
    const route = byName.get(nameOf(sample));
    if (!route) return [];
    const name = nameOf(route);
    if (!authOf(route)) {
      const reason =
        route.authorization === 'NONE'
          ? 'deployed without authorization: every blueprint route requires SigV4 or a Cognito token'
          : `authorization ${route.authorization} is not one the smoke check can satisfy (AWS_IAM or COGNITO_USER_POOLS)`;
      return [{ route, name, notCalled: { outcome: 'FAIL', reason } }];
    }
    if (sample.needs && !byName.has('POST /prompt')) {
      return [{ route, name, notCalled: { outcome: 'FAIL', reason: `needs the ${sample.needs} of a POST /prompt answer, and this API has no POST /prompt` } }];
    }
    return [{ route, name, sample }];
  });
  const unknown: Probe[] = routes
    .filter((r) => !SAMPLES.some((s) => nameOf(s) === nameOf(r)))
    .map((route) => ({ route, name: nameOf(route), notCalled: { outcome: 'SKIP', reason: 'not a blueprint route: no sample request for it' } }));
  return [...known, ...unknown];
}

// --- Judging ------------------------------------------------------------------------------------

const errorBody = z.union([
  // The functions and the API's gateway responses: {"error": "...", "requestId": "..."}.
  z.object({ error: z.string() }),
  // OpenAI's envelope (/v1/chat/completions).
  z.object({ error: z.object({ message: z.string() }) }),
  // API Gateway answers without a gateway response template (and the Cognito token endpoint's own).
  z.object({ message: z.string() }),
]);

function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The message of an error body, whatever its envelope; else the start of the body. */
export function errorMessage(body: string): string {
  const parsed = errorBody.safeParse(parseJsonText(body));
  if (parsed.success) {
    const e = parsed.data;
    if ('error' in e) return typeof e.error === 'string' ? e.error : e.error.message;
    return e.message;
  }
  const text = body.replace(/\s+/g, ' ').trim();
  return text ? (text.length > 200 ? `${text.slice(0, 200)}…` : text) : '(empty body)';
}

function jsonVerdict<T extends z.ZodMiniType>(res: ProbeResponse, schema: T, then: (answer: z.output<T>) => Verdict): Verdict {
  if (res.status !== 200) return { pass: false, reason: errorMessage(res.body) };
  let answer: z.output<T>;
  try {
    answer = parseRequest(schema, parseJsonText(res.body));
  } catch (error) {
    return { pass: false, reason: `unexpected answer: ${(error as Error).message}` };
  }
  return then(answer);
}

export interface SseFrame {
  readonly event?: string;
  readonly data: string;
  /** `data` parsed, when it is JSON. */
  readonly json?: unknown;
}

/** Server-Sent Events: frames separated by a blank line, each with `event:` and `data:` lines. */
export function sseFrames(body: string): SseFrame[] {
  return body
    .split(/\r?\n\r?\n/)
    .filter((frame) => frame.trim() !== '')
    .map((frame) => {
      const lines = frame.split(/\r?\n/);
      const event = lines
        .find((l) => l.startsWith('event:'))
        ?.slice(6)
        .trim();
      const data = lines
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).trimStart())
        .join('\n');
      const json = parseJsonText(data);
      return { ...(event ? { event } : {}), data, ...(json !== undefined ? { json } : {}) };
    });
}

function streamVerdict(res: ProbeResponse, then: (frames: SseFrame[]) => Verdict): Verdict {
  if (res.status !== 200) return { pass: false, reason: errorMessage(res.body) };
  if (!/^text\/event-stream\b/i.test(res.contentType))
    return { pass: false, reason: `expected text/event-stream, got ${res.contentType || 'no Content-Type'}` };
  const frames = sseFrames(res.body);
  // A failure after the first token: `event: error` (/chat/stream) or an OpenAI error envelope.
  const failed = frames.find((f) => f.event === 'error' || errorBody.safeParse(f.json).success);
  if (failed) return { pass: false, reason: `error in the stream: ${errorMessage(failed.data)}` };
  return then(frames);
}

// --- Running ------------------------------------------------------------------------------------

export type Outcome = 'PASS' | 'FAIL' | 'SKIP';

export interface ProbeResult {
  readonly name: string;
  readonly outcome: Outcome;
  readonly status?: number;
  readonly latencyMs?: number;
  readonly costUsd?: number;
  readonly tokens?: { readonly input: number; readonly output: number };
  readonly note?: string;
  readonly reason?: string;
}

/** Sends one request to a route with the authentication it needs (smoke/aws.ts). Throws when no answer came. */
export type SendPort = (route: DeployedRoute, request: ProbeRequest) => Promise<ProbeResponse>;

/** Calls each probe in order, one at a time, passing the ids of earlier answers on; `report` sees each result as it comes. */
export async function runProbes(
  probes: readonly Probe[],
  send: SendPort,
  report: (result: ProbeResult) => void = () => undefined,
  now: () => number = () => performance.now(),
): Promise<ProbeResult[]> {
  const results: ProbeResult[] = [];
  let earlier: EarlierAnswers = {};
  const done = (result: ProbeResult) => {
    results.push(result);
    report(result);
  };
  for (const probe of probes) {
    if (probe.notCalled || !probe.sample) {
      done({ name: probe.name, outcome: probe.notCalled?.outcome ?? 'SKIP', reason: probe.notCalled?.reason ?? 'no sample request' });
      continue;
    }
    const { sample } = probe;
    if (sample.needs && earlier[sample.needs] === undefined) {
      const prompt = results.find((r) => r.name === 'POST /prompt');
      const why = prompt?.outcome === 'FAIL' ? 'POST /prompt failed' : 'POST /prompt returned none';
      done({ name: probe.name, outcome: 'FAIL', reason: `not called: it needs the ${sample.needs} of a POST /prompt answer, and ${why}` });
      continue;
    }
    const { path, body } = sample.request(earlier);
    const started = now();
    let response: ProbeResponse;
    try {
      response = await send(probe.route, { method: probe.route.method, path, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    } catch (error) {
      done({ name: probe.name, outcome: 'FAIL', latencyMs: Math.round(now() - started), reason: `no answer: ${(error as Error).message}` });
      continue;
    }
    const latencyMs = Math.round(now() - started);
    const verdict = sample.judge(response);
    earlier = { ...earlier, ...verdict.ids };
    done({
      name: probe.name,
      outcome: verdict.pass ? 'PASS' : 'FAIL',
      status: response.status,
      latencyMs,
      ...(verdict.costUsd !== undefined ? { costUsd: verdict.costUsd } : {}),
      ...(verdict.tokens ? { tokens: verdict.tokens } : {}),
      ...(verdict.note ? { note: verdict.note } : {}),
      ...(verdict.reason ? { reason: verdict.reason } : {}),
    });
  }
  return results;
}

// --- Printing -----------------------------------------------------------------------------------

const usd = (value: number) => `$${value.toFixed(6)}`;

/** `PASS  POST /prompt   200   1830 ms  $0.000051  12 in / 187 out tokens` */
export function formatResult(result: ProbeResult): string {
  const [method, path] = [result.name.slice(0, result.name.indexOf(' ')), result.name.slice(result.name.indexOf(' ') + 1)];
  const status = result.status === undefined ? '-' : String(result.status);
  const latency = result.latencyMs === undefined ? '-' : `${result.latencyMs} ms`;
  const detail =
    result.outcome === 'PASS'
      ? [
          result.costUsd !== undefined ? usd(result.costUsd) : undefined,
          result.tokens ? `${result.tokens.input} in / ${result.tokens.output} out tokens` : undefined,
          result.note ? `(${result.note})` : undefined,
        ].filter(Boolean)
      : [result.reason];
  return `${result.outcome}  ${method.padEnd(4)} ${path.padEnd(21)} ${status.padStart(3)} ${latency.padStart(9)}  ${detail.join('  ')}`.trimEnd();
}

/** The last line: counts, and the model cost the answers reported. */
export function formatSummary(results: readonly ProbeResult[]): string {
  const count = (o: Outcome) => results.filter((r) => r.outcome === o).length;
  const costs = results.filter((r) => r.costUsd !== undefined);
  const cost = costs.length
    ? `; model cost reported: ${usd(costs.reduce((sum, r) => sum + r.costUsd!, 0))} (streamed and agent routes report tokens only, or nothing)`
    : '';
  const skipped = count('SKIP') ? `, ${count('SKIP')} skipped` : '';
  return `${count('PASS')} passed, ${count('FAIL')} failed${skipped}${cost}`;
}

/** 0 when no route failed, 1 otherwise (setup errors exit 2, in the CLI). */
export function exitCode(results: readonly ProbeResult[]): number {
  return results.some((r) => r.outcome === 'FAIL') ? 1 : 0;
}
