import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { main } from '../../smoke/cli';
import { BedrockFake } from '../support/bedrock-fake';
import { type LocalDynamoDb, startLocalDynamoDb } from '../support/dynamodb-local';
import { installLocalStreamingRuntime } from '../support/local-streaming';
import { FEEDBACK_TABLE_DEFINITION, loadLambdaHandler, PROMPT_ENV, SESSIONS_TABLE_DEFINITION, STORE_ENV } from '../support/prompt-handler';
import { PREDICT_ENDPOINT, type SageMakerFake, startPredictHandler } from '../support/sagemaker-fake';
import { ControlPlane, type JsonHandler, LoopbackApi, type LoopbackRoute, type LoopbackTenant, modelRouteHandlers, TokenIssuer } from './loopback';

/**
 * `npm run smoke` against ground 7, offline: every route requires a Cognito access token with the
 * `genai/invoke` scope and the tenant's API key. The check reads the machine client's secret from
 * (fake) Cognito, gets a client-credentials token from the (fake) token endpoint, and calls the
 * real handlers behind the loopback API, with the session and feedback stores on a local DynamoDB:
 * `GET /sessions/{id}` reads the session and `POST /feedback` rates the answer of its `POST /prompt`.
 */

const REGION = 'us-east-1';
const STACK = 'GenAiBlueprint';
const USER_POOL_ID = 'us-east-1_FakePool1';
const DEMO: LoopbackTenant = {
  name: 'demo',
  apiKeyId: 'k7demo0001',
  apiKeyValue: 'demo-api-key-value-0123456789abcdef',
  clientId: '3n4b5c6d7e8f9g0h1i2j3k4l5m',
  clientSecret: 'fake-machine-client-secret',
};
const ENTRY = { tenant: 'demo', tier: 'standard' };
const TENANTS = JSON.stringify({ [DEMO.apiKeyId]: ENTRY, [DEMO.clientId!]: ENTRY });
// A generous DynamoDB attempt timeout: this test is about the check, not about a slow local table.
const STORES = { ...STORE_ENV, DYNAMODB_ATTEMPT_TIMEOUT_MS: '5000', SESSIONS_TABLE: 'sessions', FEEDBACK_TABLE: 'feedback' };

let db: LocalDynamoDb;
let bedrock: BedrockFake;
let sagemaker: SageMakerFake;
let plane: ControlPlane;
let api: LoopbackApi;
let routes: LoopbackRoute[];

beforeAll(async () => {
  db = await startLocalDynamoDb();
  db.exportEndpoint();
  await db.createTable({ TableName: STORES.SESSIONS_TABLE, ...SESSIONS_TABLE_DEFINITION });
  await db.createTable({ TableName: STORES.FEEDBACK_TABLE, ...FEEDBACK_TABLE_DEFINITION });
  bedrock = await BedrockFake.start();
  bedrock.exportEndpoints();
  installLocalStreamingRuntime();
  const model = { ...PROMPT_ENV, TENANTS };
  const prompt = loadLambdaHandler<JsonHandler>('prompt/handler', { ...model, ...STORES });
  const sessions = loadLambdaHandler<JsonHandler>('sessions/handler', { ...STORES, TENANTS });
  const feedback = loadLambdaHandler<JsonHandler>('feedback/handler', { ...STORES, TENANTS });
  const { chatStream, openAi, agent } = modelRouteHandlers(model, TENANTS);
  const predict = await startPredictHandler();
  sagemaker = predict.fake;

  const cognito = (method: 'GET' | 'POST', path: string, h: LoopbackRoute['handler']): LoopbackRoute => ({
    method,
    path,
    authorization: 'COGNITO_USER_POOLS',
    scopes: ['genai/invoke'],
    apiKeyRequired: true,
    handler: h,
  });
  routes = [
    cognito('POST', '/agent', { kind: 'json', fn: agent }),
    cognito('POST', '/chat/stream', { kind: 'stream', fn: chatStream }),
    cognito('POST', '/feedback', { kind: 'json', fn: feedback }),
    cognito('POST', '/predict', { kind: 'json', fn: predict.handler }),
    cognito('POST', '/prompt', { kind: 'json', fn: prompt }),
    cognito('GET', '/sessions/{id}', { kind: 'json', fn: sessions }),
    cognito('POST', '/v1/chat/completions', { kind: 'stream', fn: openAi }),
  ];
  const issuer = new TokenIssuer();
  plane = await ControlPlane.start(issuer);
  plane.exportEndpoints();
  api = await LoopbackApi.start({ routes, tenants: [DEMO], issuer, region: REGION });
  plane.stacks.set(STACK, {
    name: STACK,
    status: 'UPDATE_COMPLETE',
    restApiId: 'g7api00001',
    routes,
    tenants: [DEMO],
    userPoolId: USER_POOL_ID,
    // The keys and descriptions ground 7 synthesizes (test/grounds/__snapshots__).
    outputs: [
      { key: 'ApiEndpoint1541504C', value: api.url },
      { key: 'ApiUrlDDEE0114', value: api.url, description: 'Base URL of the API (requests need a Cognito access token)' },
      { key: 'AuthTokenEndpoint046BCCA2', value: plane.tokenEndpoint, description: 'Machine clients: client_credentials grant …' },
      { key: 'AuthUserClientId7EF7D2FD', value: 'peopleclient0001', description: 'Public client for people: authorization code with PKCE, scope genai/invoke' },
      { key: 'AuthUserPoolIdC0605E59', value: USER_POOL_ID, description: 'Users are created here (admin only) and added to a tenant-<name> group' },
      {
        key: 'AuthUserPoolMachineClientDemoClientId206137C7',
        value: DEMO.clientId!,
        description: 'Machine client of tenant demo (secret: aws cognito-idp describe-user-pool-client)',
      },
      { key: 'GatewayTenantDemoApiKeyIdC2579CB1', value: DEMO.apiKeyId, description: 'API key of tenant demo: aws apigateway get-api-key …' },
    ],
  });
});

afterAll(async () => {
  ControlPlane.clearEndpoints();
  await Promise.all([api?.stop(), plane?.stop(), bedrock?.stop(), sagemaker?.stop(), db?.stop()]);
});

beforeEach(() => {
  bedrock.reset();
  sagemaker.reset();
  sagemaker.endpoints.set(PREDICT_ENDPOINT, { name: PREDICT_ENDPOINT, configName: 'churn-config-1', status: 'InService' });
  api.repair();
  api.calls.length = 0;
  plane.calls.length = 0;
  plane.tokenRequests.length = 0;
});

async function smoke(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

test('ground 7: a machine token of the tenant, every route passes; sessions and feedback use the /prompt answer', async () => {
  const { code, out, err } = await smoke('--stack', STACK, '--region', REGION);
  expect(err).toEqual([]);
  expect(out[0]).toBe(`Smoke check of stack ${STACK} (UPDATE_COMPLETE, ${REGION}): 7 routes at ${api.url}, tenant demo`);
  expect(out.slice(1, -1).map((l) => l.replace(/\s+\d+ ms.*$/, ''))).toEqual([
    'PASS  POST /prompt               200',
    'PASS  POST /chat/stream          200',
    'PASS  POST /v1/chat/completions  200',
    'PASS  POST /agent                200',
    'PASS  POST /predict              200',
    'PASS  GET  /sessions/{id}        200',
    'PASS  POST /feedback             200',
  ]);
  expect(out.at(-1)).toMatch(/^7 passed, 0 failed; model cost reported: \$0\.\d{6} /);
  expect(code).toBe(0);

  // The secret came from Cognito, the token from the user pool's endpoint, for the scope the methods require.
  expect(plane.calls).toEqual([
    'cloudformation:DescribeStacks',
    'cloudformation:ListStackResources',
    'apigateway:GetResources',
    'apigateway:GetApiKey',
    'cognito:DescribeUserPoolClient',
    'cognito:Token',
  ]);
  expect(plane.tokenRequests).toEqual([{ clientId: DEMO.clientId, scope: 'genai/invoke' }]);
  expect(api.calls.every((c) => c.auth === 'cognito' && c.apiKeyId === DEMO.apiKeyId && c.status === 200)).toBe(true);
  expect(api.calls.map((c) => `${c.method} ${c.path.replace(/\/sessions\/.+$/, '/sessions/<id>')}`)).toEqual([
    'POST /v1/prompt',
    'POST /v1/chat/stream',
    'POST /v1/v1/chat/completions',
    'POST /v1/agent',
    'POST /v1/predict',
    'GET /v1/sessions/<id>',
    'POST /v1/feedback',
  ]);
  // The rating landed on the answer /prompt recorded.
  const rated = await db.client().send(new ScanCommand({ TableName: STORES.FEEDBACK_TABLE }));
  expect(rated.Items).toContainEqual(expect.objectContaining({ rating: { S: 'up' }, comment: { S: 'npm run smoke' } }));
});

test('fails /sessions/{id} and /feedback without calling them when /prompt is broken; the other routes pass', async () => {
  api.breakRoute('POST', '/prompt', 502, 'Internal server error');
  const { code, out } = await smoke('--stack', STACK);
  expect(out.filter((l) => l.startsWith('FAIL'))).toEqual([
    expect.stringMatching(/^FAIL {2}POST \/prompt\s+502\s+\d+ ms {2}Internal server error$/),
    'FAIL  GET  /sessions/{id}          -         -  not called: it needs the sessionId of a POST /prompt answer, and POST /prompt failed',
    'FAIL  POST /feedback               -         -  not called: it needs the requestId of a POST /prompt answer, and POST /prompt failed',
  ]);
  expect(out.at(-1)).toBe('4 passed, 3 failed');
  expect(code).toBe(1);
  expect(api.calls.map((c) => c.path)).not.toContain('/v1/feedback');
});

test('fails to start, in one line, when the token endpoint refuses the scope the methods require', async () => {
  const stack = plane.stacks.get(STACK)!;
  plane.stacks.set('AdminScoped', { ...stack, name: 'AdminScoped', restApiId: 'g7api00002', routes: routes.map((r) => ({ ...r, scopes: ['genai/admin'] })) });
  const { code, out, err } = await smoke('--stack', 'AdminScoped');
  expect(err).toEqual([`smoke: token endpoint ${plane.tokenEndpoint} answered 400: invalid_scope`]);
  expect(plane.tokenRequests).toEqual([{ clientId: DEMO.clientId, scope: 'genai/admin' }]);
  expect(out).toEqual([]);
  expect(code).toBe(2);
});
