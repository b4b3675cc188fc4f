import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  apiLocation,
  chooseTenant,
  type DeployedRoute,
  errorMessage,
  exitCode,
  formatResult,
  formatSummary,
  planProbes,
  type ProbeRequest,
  type ProbeResponse,
  readOutputs,
  routesOf,
  runProbes,
  sampleFeatures,
  SmokeError,
  type StackOutput,
} from '../../smoke/core';
import { CHURN_DATASET } from '../../contracts/dataset';
import { predictRequestSchema } from '../../lambda/predict/core';

/**
 * The smoke check's pure core: stack outputs under the keys CDK really gives them (read from the
 * ground snapshots), the route set of every ground (read from the generated review inventories, which
 * test/review keeps in step with the templates), planning, judging and printing.
 */

const ROOT = path.join(__dirname, '..', '..');
const STACKS = [
  'Ground0-ModelCall',
  'Ground1-PromptManagement',
  'Ground2-KnowledgeBase',
  'Ground3-Guardrails',
  'Ground4-Gateway',
  'Ground5-Caches',
  'Ground6-Agents',
  'Ground7-FullSystem',
  'PredictiveMl',
] as const;
const URL_VALUE = 'https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/v1/';

/** A stack's output keys and descriptions, from its snapshot (values are tokens there: replaced by stand-ins). */
function snapshotOutputs(stack: (typeof STACKS)[number]): StackOutput[] {
  const file = path.join(ROOT, 'test/grounds/__snapshots__', stack === 'PredictiveMl' ? 'predictive-ml-stack.test.ts.snap' : 'snapshot.test.ts.snap');
  const text = fs.readFileSync(file, 'utf8');
  const start = text.indexOf(stack === 'PredictiveMl' ? 'exports[`PredictiveMl stack matches' : `exports[\`${stack} matches`);
  const outputs = text.slice(text.indexOf('  "Outputs": {', start));
  const block = outputs.slice(0, outputs.search(/\n {2}"[A-Z]/));
  const keys = [...block.matchAll(/^ {4}"([A-Za-z0-9]+)": \{\n(?: {6}"Description": "(.*)",\n)?/gm)];
  if (keys.length === 0) throw new Error(`no outputs found in the snapshot of ${stack}`);
  return keys.map(([, key, description]) => ({
    key,
    value: /Url|Endpoint[0-9A-F]{8}$/.test(key) && !key.includes('Token') ? URL_VALUE : `value-of-${key}`,
    ...(description ? { description } : {}),
  }));
}

/** A stack's deployed methods, from the "Public entry points" table of its review inventory. */
function inventoryRoutes(stack: (typeof STACKS)[number]): DeployedRoute[] {
  const text = fs.readFileSync(path.join(ROOT, 'docs/review', stack, 'inventory.md'), 'utf8');
  const rows = [...text.matchAll(/^\| (\/\S*) \| (GET|POST|PUT|DELETE|PATCH) \| (\w+)[^|]* \| ([^|]+) \| (required|no) \|/gm)];
  if (rows.length === 0) throw new Error(`no routes found in docs/review/${stack}/inventory.md`);
  return rows.map(([, p, method, authorization, scopes, key]) => ({
    method,
    path: p,
    authorization,
    scopes: scopes.trim() === '—' ? [] : scopes.trim().split(/,\s*/),
    apiKeyRequired: key === 'required',
  }));
}

describe('stack outputs', () => {
  test.each(STACKS)('%s: the API URL and its tenants are found under the keys CDK gives them', (stack) => {
    const outputs = readOutputs(stack, snapshotOutputs(stack));
    expect(outputs.apiUrl).toBe(URL_VALUE);
    const gateway = stack === 'PredictiveMl' || Number(stack[6]) >= 4;
    expect(outputs.tenants).toEqual(gateway ? [expect.objectContaining({ name: 'demo', apiKeyId: 'value-of-GatewayTenantDemoApiKeyIdC2579CB1' })] : []);
  });

  test('ground 7: the user pool, token endpoint and the tenant machine client (not the user client)', () => {
    expect(readOutputs('Ground7', snapshotOutputs('Ground7-FullSystem'))).toEqual({
      apiUrl: URL_VALUE,
      tenants: [
        {
          name: 'demo',
          apiKeyId: 'value-of-GatewayTenantDemoApiKeyIdC2579CB1',
          machineClientId: 'value-of-AuthUserPoolMachineClientDemoClientId206137C7',
        },
      ],
      userPoolId: 'value-of-AuthUserPoolIdC0605E59',
      tokenEndpoint: 'value-of-AuthTokenEndpoint046BCCA2',
    });
  });

  test('tenant names keep their hyphens from the descriptions; without one, the construct id part is the name', () => {
    const outputs = readOutputs('S', [
      { key: 'ApiUrlDDEE0114', value: URL_VALUE },
      { key: 'GatewayTenantAcmeCorpApiKeyId0A1B2C3D', value: 'k1', description: 'API key of tenant acme-corp: aws apigateway get-api-key …' },
      { key: 'MyScopeGatewayTenantGlobexApiKeyIdFFFFFFFF', value: 'k2' },
      { key: 'AuthUserPoolMachineClientAcmeCorpClientId12345678', value: 'c1', description: 'Machine client of tenant acme-corp (secret: …)' },
      { key: 'AuthUserClientId7EF7D2FD', value: 'people' },
    ]);
    expect(outputs.tenants).toEqual([
      { name: 'acme-corp', apiKeyId: 'k1', machineClientId: 'c1' },
      { name: 'Globex', apiKeyId: 'k2' },
    ]);
    expect(chooseTenant('S', outputs.tenants, undefined).name).toBe('acme-corp');
    expect(chooseTenant('S', outputs.tenants, 'globex').apiKeyId).toBe('k2');
    expect(chooseTenant('S', outputs.tenants, 'AcmeCorp').apiKeyId).toBe('k1');
  });

  test("an API built without ModelApi: the RestApi's own Endpoint output", () => {
    expect(readOutputs('S', [{ key: 'MyApiEndpoint1541504C', value: 'https://x.example.com/prod' }]).apiUrl).toBe('https://x.example.com/prod/');
  });

  test('fails when the URL output is missing, not a URL, or not alone', () => {
    expect(() => readOutputs('S', [{ key: 'ApiUrlDDEE0114', value: 'not a url' }])).toThrow(
      new SmokeError('stack S has no API URL output (a key ending in Url<hash>, as ModelApi writes it); outputs: ApiUrlDDEE0114'),
    );
    // A key without the 8-digit hash is not a CDK output of that construct id.
    expect(() => readOutputs('S', [{ key: 'ApiUrl', value: URL_VALUE }])).toThrow(/has no API URL output/);
    expect(() =>
      readOutputs('S', [
        { key: 'ApiUrlDDEE0114', value: URL_VALUE },
        { key: 'OtherApiUrl12345678', value: URL_VALUE },
      ]),
    ).toThrow('stack S has 2 API URL outputs (ApiUrlDDEE0114, OtherApiUrl12345678); expected one');
  });

  test('fails when --tenant names no tenant, or the stack has none', () => {
    expect(() => chooseTenant('S', [{ name: 'demo', apiKeyId: 'k' }], 'acme')).toThrow('--tenant acme: stack S has no such tenant; its tenants are demo');
    expect(() => chooseTenant('S', [], undefined)).toThrow(/no tenant ApiKeyId output/);
  });
});

describe('API location', () => {
  test('the execute-api URL names the API, its region and stage', () => {
    expect(apiLocation('https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/v1/')).toEqual({
      baseUrl: 'https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/v1/',
      stage: 'v1',
      restApiId: 'a1b2c3d4e5',
      region: 'eu-west-1',
    });
  });

  test('another host (a custom domain, a loopback server) names only the stage', () => {
    expect(apiLocation('http://127.0.0.1:4000/v1/')).toEqual({ baseUrl: 'http://127.0.0.1:4000/v1/', stage: 'v1' });
  });

  test('fails when the URL is not one or has no stage', () => {
    expect(() => apiLocation('nope')).toThrow('the API URL output is not a URL: nope');
    expect(() => apiLocation('https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/')).toThrow(/names no stage/);
  });
});

describe('routes and probes', () => {
  test('GetResources items become routes; CORS preflights are left out', () => {
    expect(
      routesOf([
        { path: '/' },
        {
          path: '/prompt',
          resourceMethods: {
            OPTIONS: { authorizationType: 'NONE' },
            POST: { authorizationType: 'COGNITO_USER_POOLS', apiKeyRequired: true, authorizationScopes: ['genai/invoke'] },
          },
        },
        { path: '/agent', resourceMethods: { POST: {} } },
      ]),
    ).toEqual([
      { method: 'POST', path: '/agent', authorization: 'NONE', scopes: [], apiKeyRequired: false },
      { method: 'POST', path: '/prompt', authorization: 'COGNITO_USER_POOLS', scopes: ['genai/invoke'], apiKeyRequired: true },
    ]);
  });

  const EXPECTED_ORDER: Record<(typeof STACKS)[number], string[]> = {
    'Ground0-ModelCall': ['POST /prompt'],
    'Ground1-PromptManagement': ['POST /prompt'],
    'Ground2-KnowledgeBase': ['POST /prompt'],
    'Ground3-Guardrails': ['POST /prompt'],
    'Ground4-Gateway': ['POST /prompt', 'POST /chat/stream', 'POST /v1/chat/completions'],
    'Ground5-Caches': ['POST /prompt', 'POST /chat/stream', 'POST /v1/chat/completions'],
    'Ground6-Agents': ['POST /prompt', 'POST /chat/stream', 'POST /v1/chat/completions', 'POST /agent'],
    'Ground7-FullSystem': [
      'POST /prompt',
      'POST /chat/stream',
      'POST /v1/chat/completions',
      'POST /agent',
      'POST /predict',
      'GET /sessions/{id}',
      'POST /feedback',
    ],
    PredictiveMl: ['POST /predict'],
  };

  test.each(STACKS)('%s: every deployed route has a sample request, /prompt first and the routes needing its ids after it', (stack) => {
    const probes = planProbes(inventoryRoutes(stack));
    expect(probes.map((p) => p.name)).toEqual(EXPECTED_ORDER[stack]);
    expect(probes.filter((p) => p.notCalled)).toEqual([]);
  });

  const route = (method: string, p: string, authorization = 'AWS_IAM'): DeployedRoute => ({
    method,
    path: p,
    authorization,
    scopes: [],
    apiKeyRequired: false,
  });

  test("a route that is not the blueprint's is skipped, an open or custom-authorized one fails without being called", () => {
    const probes = planProbes([route('GET', '/health'), route('POST', '/prompt', 'NONE'), route('POST', '/agent', 'CUSTOM')]);
    expect(probes.map((p) => [p.name, p.notCalled])).toEqual([
      ['POST /prompt', { outcome: 'FAIL', reason: 'deployed without authorization: every blueprint route requires SigV4 or a Cognito token' }],
      ['POST /agent', { outcome: 'FAIL', reason: 'authorization CUSTOM is not one the smoke check can satisfy (AWS_IAM or COGNITO_USER_POOLS)' }],
      ['GET /health', { outcome: 'SKIP', reason: 'not a blueprint route: no sample request for it' }],
    ]);
  });

  test('fails /feedback and /sessions/{id} at planning when the API has no /prompt to get their ids from', () => {
    const probes = planProbes([route('POST', '/feedback'), route('GET', '/sessions/{id}')]);
    expect(probes.map((p) => p.notCalled?.reason)).toEqual([
      'needs the sessionId of a POST /prompt answer, and this API has no POST /prompt',
      'needs the requestId of a POST /prompt answer, and this API has no POST /prompt',
    ]);
  });

  test('the /predict sample is a valid row of the dataset the function checks', () => {
    expect(predictRequestSchema(CHURN_DATASET).safeParse({ features: sampleFeatures(CHURN_DATASET) }).success).toBe(true);
  });
});

const json = (status: number, body: unknown): ProbeResponse => ({ status, contentType: 'application/json', body: JSON.stringify(body) });
const sse = (...frames: string[]): ProbeResponse => ({ status: 200, contentType: 'text/event-stream; charset=utf-8', body: frames.join('') });
const PROMPT_ANSWER = {
  text: 'RAG is…',
  requestId: 'req-1',
  sessionId: 'JE_baYRIVtz5NJEkO0G_cpJgR6P0twd9',
  costUsd: 0.000051,
  usage: { inputTokens: 12, outputTokens: 187, totalTokens: 199 },
};
const GROUND7 = inventoryRoutes('Ground7-FullSystem');

/** Answers each request from `answers` by its path (the first path segment), recording what was sent. */
function fakeSend(answers: Record<string, ProbeResponse | Error>) {
  const sent: ProbeRequest[] = [];
  const send = async (_route: DeployedRoute, request: ProbeRequest) => {
    sent.push(request);
    const answer = answers[request.path.split('/')[1]];
    if (answer instanceof Error) throw answer;
    return answer ?? json(500, { error: `no answer scripted for ${request.path}` });
  };
  return { sent, send };
}

const ALL_PASS = {
  prompt: json(200, PROMPT_ANSWER),
  chat: sse(
    'data: {"delta":"RAG "}\n\n',
    'data: {"done":true,"modelId":"m","stopReason":"end_turn","usage":{"inputTokens":14,"outputTokens":41},"guardrail":null,"requestId":"r"}\n\n',
  ),
  v1: sse(
    'data: {"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"RAG"}}]}\n\n',
    'data: {"object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":12,"total_tokens":21}}\n\n',
    'data: [DONE]\n\n',
  ),
  agent: json(200, { sessionId: 'smoke-1', answer: '0.3', citations: [], actions: ['calculate'], blocked: false }),
  predict: json(200, { probability: 0.42, label: 'stay', latencyMs: 18 }),
  sessions: json(200, { sessionId: PROMPT_ANSWER.sessionId, turns: [{ requestId: 'req-1' }], truncated: false }),
  feedback: json(200, { outcome: 'recorded', feedback: {} }),
};

describe('running the probes', () => {
  test('every route passes; /sessions/{id} and /feedback use the ids the /prompt answer returned', async () => {
    const { sent, send } = fakeSend(ALL_PASS);
    let clock = 0;
    const results = await runProbes(planProbes(GROUND7), send, undefined, () => (clock += 5));
    expect(results.map(formatResult)).toEqual([
      'PASS  POST /prompt               200      5 ms  $0.000051  12 in / 187 out tokens',
      'PASS  POST /chat/stream          200      5 ms  14 in / 41 out tokens',
      'PASS  POST /v1/chat/completions  200      5 ms  9 in / 12 out tokens',
      'PASS  POST /agent                200      5 ms',
      'PASS  POST /predict              200      5 ms',
      'PASS  GET  /sessions/{id}        200      5 ms',
      'PASS  POST /feedback             200      5 ms',
    ]);
    expect(sent.find((r) => r.path.startsWith('/sessions/'))).toEqual({ method: 'GET', path: `/sessions/${PROMPT_ANSWER.sessionId}` });
    expect(JSON.parse(sent.find((r) => r.path === '/feedback')!.body!)).toEqual({ requestId: 'req-1', rating: 'up', comment: 'npm run smoke' });
    expect(formatSummary(results)).toBe('7 passed, 0 failed; model cost reported: $0.000051 (streamed and agent routes report tokens only, or nothing)');
    expect(exitCode(results)).toBe(0);
  });

  test("fails the routes that need /prompt's ids, without calling them, when /prompt fails", async () => {
    const { sent, send } = fakeSend({ ...ALL_PASS, prompt: json(503, { error: 'The model is unavailable; try again later', requestId: 'r' }) });
    const results = await runProbes(planProbes(GROUND7), send);
    expect(results.filter((r) => r.outcome === 'FAIL').map((r) => [r.name, r.status, r.reason])).toEqual([
      ['POST /prompt', 503, 'The model is unavailable; try again later'],
      ['GET /sessions/{id}', undefined, 'not called: it needs the sessionId of a POST /prompt answer, and POST /prompt failed'],
      ['POST /feedback', undefined, 'not called: it needs the requestId of a POST /prompt answer, and POST /prompt failed'],
    ]);
    expect(sent.map((r) => r.path)).toEqual(['/prompt', '/chat/stream', '/v1/chat/completions', '/agent', '/predict']);
    expect(exitCode(results)).toBe(1);
    expect(formatSummary(results)).toBe('4 passed, 3 failed');
  });

  test('fails /sessions/{id} when /prompt returned no session (the sessions table is not wired to the prompt route)', async () => {
    const { sessionId: _none, ...withoutSession } = PROMPT_ANSWER;
    const { send } = fakeSend({ ...ALL_PASS, prompt: json(200, withoutSession) });
    const results = await runProbes(planProbes(GROUND7), send);
    expect(results.find((r) => r.name === 'GET /sessions/{id}')!.reason).toBe(
      'not called: it needs the sessionId of a POST /prompt answer, and POST /prompt returned none',
    );
  });

  test('a /prompt answer served from the cache passes, and says no model was called', async () => {
    const { send } = fakeSend({ prompt: json(200, { ...PROMPT_ANSWER, costUsd: 0, cache: 'semantic' }) });
    const [result] = await runProbes(planProbes([GROUND7.find((r) => r.path === '/prompt')!]), send, undefined, () => 0);
    expect(formatResult(result)).toBe('PASS  POST /prompt               200      0 ms  $0.000000  12 in / 187 out tokens  (semantic cache hit: no model call)');
  });

  test('a request that got no answer fails with the network reason', async () => {
    const { send } = fakeSend({ prompt: new Error('fetch failed: ECONNREFUSED') });
    const [result] = await runProbes(planProbes([GROUND7.find((r) => r.path === '/prompt')!]), send, undefined, () => 0);
    expect(formatResult(result)).toBe('FAIL  POST /prompt                 -      0 ms  no answer: fetch failed: ECONNREFUSED');
  });

  test('results are reported one by one as they come', async () => {
    const seen: string[] = [];
    await runProbes(planProbes(GROUND7), fakeSend(ALL_PASS).send, (r) => seen.push(r.name));
    expect(seen).toHaveLength(7);
  });
});

describe('judging answers', () => {
  const verdictOf = async (p: string, response: ProbeResponse) => {
    const probe = planProbes(GROUND7).find((x) => x.route.path === p)!;
    const [result] = await runProbes([probe], async () => response);
    return result;
  };

  test.each([
    ['/prompt', json(422, { error: 'Sorry, I cannot help with that request.', requestId: 'r' }), 'Sorry, I cannot help with that request.'],
    ['/prompt', json(200, { requestId: 'r' }), 'unexpected answer: text is required'],
    ['/prompt', json(403, { message: 'Forbidden' }), 'Forbidden'],
    ['/prompt', { status: 502, contentType: 'text/html', body: '<html>\n  Bad   gateway\n</html>' }, '<html> Bad gateway </html>'],
    ['/prompt', { status: 500, contentType: '', body: '' }, '(empty body)'],
    [
      '/v1/chat/completions',
      json(429, { error: { message: 'The model is busy; retry after the delay in Retry-After', type: 'rate_limit_error' } }),
      'The model is busy; retry after the delay in Retry-After',
    ],
    ['/chat/stream', json(200, { done: true }), 'expected text/event-stream, got application/json'],
    ['/chat/stream', sse('data: {"delta":"R"}\n\n'), 'the stream ended without its done frame'],
    [
      '/chat/stream',
      sse('data: {"delta":"R"}\n\n', 'event: error\ndata: {"error":"The model failed to answer","status":502,"requestId":"r"}\n\n'),
      'error in the stream: The model failed to answer',
    ],
    ['/v1/chat/completions', sse('data: {"choices":[]}\n\n'), 'the stream ended without data: [DONE]'],
    [
      '/v1/chat/completions',
      sse('data: {"error":{"message":"The model did not answer in time","type":"server_error"}}\n\n', 'data: [DONE]\n\n'),
      'error in the stream: The model did not answer in time',
    ],
    ['/agent', json(200, { sessionId: 's', answer: 'Blocked.', blocked: true }), "the agent's guardrail blocked the sample question"],
    ['/predict', json(200, { probability: 1.5, label: 'churn' }), 'unexpected answer: probability must be at most 1'],
  ])('%s fails on %j', async (p, response, reason) => {
    const result = await verdictOf(p, response);
    expect(result.outcome).toBe('FAIL');
    expect(result.reason).toBe(reason);
  });

  test('/sessions/{id} and /feedback are judged on their own answers once /prompt passed', async () => {
    const { send } = fakeSend({
      ...ALL_PASS,
      sessions: json(200, { sessionId: 's', turns: [] }),
      feedback: json(200, { outcome: 'ignored' }),
    });
    const results = await runProbes(planProbes(GROUND7), send);
    expect(results.filter((r) => r.outcome === 'FAIL').map((r) => [r.name, r.reason])).toEqual([
      ['GET /sessions/{id}', 'the session holds no turn: the POST /prompt turn was not stored'],
      ['POST /feedback', 'unexpected answer: outcome must be one of "recorded", "unchanged", "changed"'],
    ]);
  });

  test('error messages: every envelope, else the start of the body', () => {
    expect(errorMessage('{"error":"Request body does not match the route schema","requestId":"r"}')).toBe('Request body does not match the route schema');
    expect(errorMessage('x'.repeat(300))).toBe(`${'x'.repeat(200)}…`);
  });

  test('a skipped route is not a failure', () => {
    const results = [{ name: 'GET /health', outcome: 'SKIP' as const, reason: 'not a blueprint route: no sample request for it' }];
    expect(formatResult(results[0])).toBe('SKIP  GET  /health                 -         -  not a blueprint route: no sample request for it');
    expect(formatSummary(results)).toBe('0 passed, 0 failed, 1 skipped');
    expect(exitCode(results)).toBe(0);
  });
});
