import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { PROBE_ENV, type ProbeCheck } from '../../integ/probe/contract';

/**
 * The integration probe (integ/probe/handler.ts), offline: its real signer and SDK clients talk to
 * one loopback server that plays the API under test, X-Ray, API Gateway's key store and Cognito
 * (SDK endpoint overrides), so a check's facts come from the probe's own requests and parsing.
 * The same server can misbehave, to show each check can fail.
 */

const BLOCKED = 'Sorry, this request cannot be answered.';
const KEYS: Record<string, string> = { 'key-demo': 'value-demo', 'key-other': 'value-other' };
const CLIENTS: Record<string, { tenant: string; secret: string; token: string }> = {
  'client-demo': { tenant: 'demo', secret: 'secret-demo', token: 'token-demo' },
  'client-other': { tenant: 'other', secret: 'secret-other', token: 'token-other' },
};

/** How the fake API behaves; each field a fault a real deployment could have. */
interface Behaviour {
  /** The attack reaches the model (the guardrail runs after it, or not at all). */
  attackReachesModel?: boolean;
  /** API Gateway lets unsigned requests through. */
  acceptsUnsigned?: boolean;
  /** The cache never hits (the function cannot log in: it fails open). */
  cacheDown?: boolean;
}

interface Seen {
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
}

let behaviour: Behaviour = {};
/** How the API under test authorizes: IAM (SigV4) or a Cognito authorizer; the probe being run sets it. */
let apiAuth: 'sigv4' | 'cognito' = 'sigv4';
const seen: Seen[] = [];
const traces = new Map<string, string[]>();
const cached = new Set<string>();
let server: http.Server;
let base: string;

const savedEnv = { ...process.env };

beforeAll(async () => {
  // The probe logs every answer, as it would into CloudWatch.
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      seen.push({ path: url.pathname, headers: req.headers });
      const [status, answer] = route(req, url, body);
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  jest.restoreAllMocks();
  process.env = savedEnv;
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  behaviour = {};
  seen.length = 0;
  traces.clear();
  cached.clear();
});

function route(req: http.IncomingMessage, url: URL, body: string): [number, unknown] {
  const isJson = /json/.test(String(req.headers['content-type']));
  const json = body && isJson ? z.record(z.string(), z.unknown()).parse(JSON.parse(body)) : {};
  const auth = req.headers.authorization ?? '';
  if (url.pathname === '/Traces') {
    const ids = z.object({ TraceIds: z.array(z.string()) }).parse(json).TraceIds;
    const segment = (ops: string[]) => ({
      name: 'prompt',
      origin: 'AWS::Lambda::Function',
      subsegments: [{ name: 'Invocation', subsegments: ops.map((operation) => ({ name: 'BedrockRuntime', namespace: 'aws', aws: { operation } })) }],
    });
    return [
      200,
      { Traces: ids.filter((id) => traces.has(id)).map((Id) => ({ Id, Segments: [{ Id: 's', Document: JSON.stringify(segment(traces.get(Id)!)) }] })) },
    ];
  }
  if (url.pathname.startsWith('/apikeys/')) {
    const id = url.pathname.slice('/apikeys/'.length);
    return KEYS[id] && url.searchParams.get('includeValue') === 'true' ? [200, { id, value: KEYS[id] }] : [404, { message: 'not found' }];
  }
  if (req.headers['x-amz-target'] === 'AWSCognitoIdentityProviderService.DescribeUserPoolClient') {
    const id = String(json.ClientId);
    return [200, { UserPoolClient: { ClientId: id, ClientSecret: CLIENTS[id]?.secret } }];
  }
  if (url.pathname === '/oauth2/token') {
    const [id, secret] = Buffer.from(auth.replace(/^Basic /, ''), 'base64')
      .toString()
      .split(':');
    return CLIENTS[id]?.secret === secret && body.includes('grant_type=client_credentials') ? [200, { access_token: CLIENTS[id].token }] : [400, {}];
  }
  // The API under test: SigV4 (grounds 0-6) or a Cognito token (ground 7), and a tenant key.
  const signed = /^AWS4-HMAC-SHA256 Credential=\w+\/\d{8}\/[\w-]+\/execute-api\/aws4_request/.test(auth);
  const token = auth.replace(/^Bearer /, '');
  const tokenTenant = Object.values(CLIENTS).find((c) => c.token === token)?.tenant;
  const key = req.headers['x-api-key'];
  const keyTenant = Object.entries(KEYS)
    .find(([, value]) => value === key)?.[0]
    .replace('key-', '');
  if (!url.pathname.startsWith('/v1/')) return [404, { message: 'no such route' }];
  // API Gateway: IAM authorization answers 403 to an unsigned request; a Cognito authorizer 401 without a valid token.
  if (apiAuth === 'sigv4' && !signed && !behaviour.acceptsUnsigned) return [403, { message: 'Missing Authentication Token' }];
  if (apiAuth === 'cognito' && !tokenTenant) return [401, { message: 'Unauthorized' }];
  // The function: a token and an API key must name the same tenant.
  if (tokenTenant && keyTenant && tokenTenant !== keyTenant) return [403, { error: 'The API key belongs to another tenant' }];
  const root = /Root=([^;]+)/.exec(String(req.headers['x-amzn-trace-id'] ?? ''))?.[1];
  const ops: string[] = ['ApplyGuardrail'];
  if (root) traces.set(root, ops);
  if (url.pathname === '/v1/prompt') {
    const query = String(json.query);
    if (query.startsWith('Ignore all previous')) {
      if (behaviour.attackReachesModel) ops.push('Converse');
      return [422, { error: BLOCKED, requestId: 'r' }];
    }
    ops.push('Converse');
    const hit = !behaviour.cacheDown && cached.has(query);
    cached.add(query);
    return [
      200,
      {
        text: 'pong',
        modelId: keyTenant ? 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc' : 'us.amazon.nova-lite-v1:0',
        usage: { inputTokens: 12, outputTokens: 1 },
        costUsd: hit ? 0 : 0.0001,
        cache: hit ? 'exact' : 'none',
        requestId: 'r',
      },
    ];
  }
  return [404, { message: 'no such route' }];
}

/**
 * The probe's handler with the settings of `auth`, loaded afresh at its first call (after the
 * server is up: it reads its settings once, as in Lambda).
 */
function loadProbe(auth: 'sigv4' | 'cognito', unset: string[] = []): (check: ProbeCheck) => Promise<Record<string, unknown>> {
  let handler: ((event: unknown) => Promise<string>) | undefined;
  return async (check) => {
    apiAuth = auth;
    Object.assign(process.env, {
      [PROBE_ENV.apiUrl]: `${base}/v1/`,
      [PROBE_ENV.auth]: auth,
      [PROBE_ENV.apiKeyIds]: JSON.stringify({ demo: 'key-demo', other: 'key-other' }),
      [PROBE_ENV.userPoolId]: 'us-east-1_pool',
      [PROBE_ENV.machineClientIds]: JSON.stringify({ demo: 'client-demo', other: 'client-other' }),
      [PROBE_ENV.tokenEndpoint]: `${base}/oauth2/token`,
      [PROBE_ENV.scope]: 'genai/invoke',
      [PROBE_ENV.blockedInputMessage]: BLOCKED,
      AWS_ENDPOINT_URL_XRAY: base,
      AWS_ENDPOINT_URL_API_GATEWAY: base,
      AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: base,
    });
    for (const name of unset) delete process.env[name];
    if (!handler) jest.isolateModules(() => (handler = require('../../integ/probe/handler').handler));
    return z.record(z.string(), z.unknown()).parse(JSON.parse(await handler!({ check })));
  };
}

describe('with SigV4 (grounds 0-6)', () => {
  const probe = loadProbe('sigv4');

  test('model-call: a signed request is answered with usage, an unsigned one refused; fails when the API lets both through', async () => {
    expect(await probe('model-call')).toEqual({ 'signed.status': 200, 'signed.answered': true, 'signed.usage': true, 'unsigned.status': 403 });
    const prompts = seen.filter((s) => s.path === '/v1/prompt');
    expect(prompts.map((s) => /^AWS4-HMAC-SHA256 .*execute-api\/aws4_request/.test(String(s.headers.authorization)))).toEqual([true, false]);
    behaviour = { acceptsUnsigned: true };
    expect(await probe('model-call')).toMatchObject({ 'unsigned.status': 200 });
  });

  test('guardrail-block: the traces show the guardrail and no model call for the attack; fails when the attack reaches the model', async () => {
    expect(await probe('guardrail-block')).toEqual({
      'control.status': 200,
      'control.modelCalled': true,
      'attack.status': 422,
      'attack.policyMessage': true,
      'attack.guardrailCalled': true,
      'attack.modelCalled': false,
    });
    // Its own sampled trace header on each request, and the traces read back from X-Ray, signed.
    expect(
      seen.filter((s) => s.path === '/v1/prompt').every((s) => /^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Sampled=1$/.test(String(s.headers['x-amzn-trace-id']))),
    ).toBe(true);
    expect(seen.find((s) => s.path === '/Traces')?.headers.authorization).toMatch(/\/xray\/aws4_request/);
    behaviour = { attackReachesModel: true };
    expect(await probe('guardrail-block')).toMatchObject({ 'attack.modelCalled': true });
  });

  test("cache-hit: the tenant's key (read from API Gateway) is sent; the second answer is an exact hit at no cost; fails when the cache is down", async () => {
    expect(await probe('cache-hit')).toEqual({
      'first.status': 200,
      'first.cache': 'none',
      'first.tenantProfile': true,
      'second.status': 200,
      'second.cache': 'exact',
      'second.cheaper': true,
    });
    expect(seen.filter((s) => s.path === '/v1/prompt').map((s) => s.headers['x-api-key'])).toEqual(['value-demo', 'value-demo']);
    behaviour = { cacheDown: true };
    cached.clear();
    expect(await probe('cache-hit')).toMatchObject({ 'second.cache': 'none', 'second.cheaper': false });
  });

  test('a check that cannot run answers the error, which fails its assertion with the reason', async () => {
    const unconfigured = loadProbe('sigv4', [PROBE_ENV.tokenEndpoint]);
    expect(await unconfigured('session-history')).toEqual({
      error: expect.stringMatching(/^Error: machine client of tenant demo: .*TOKEN_ENDPOINT must be set$/),
    });
    expect(await unconfigured('nope' as ProbeCheck)).toEqual({
      error: expect.stringMatching(/^invalid settings or event: check: must be one of model-call, guardrail-block, /),
    });
  });
});

describe('with Cognito (ground 7)', () => {
  const probe = loadProbe('cognito');

  test("cognito-access: a machine token passes with or without Bearer; another tenant's key and no token are refused", async () => {
    expect(await probe('cognito-access')).toEqual({
      'bearer.status': 200,
      'bearer.answered': true,
      'bare.status': 200,
      'crossTenant.status': 403,
      'anonymous.status': 401,
    });
    const prompts = seen.filter((s) => s.path === '/v1/prompt');
    expect(prompts.map((s) => [s.headers.authorization, s.headers['x-api-key']])).toEqual([
      ['Bearer token-demo', 'value-demo'],
      ['token-demo', 'value-demo'],
      ['Bearer token-demo', 'value-other'],
      [undefined, 'value-demo'],
    ]);
  });
});
