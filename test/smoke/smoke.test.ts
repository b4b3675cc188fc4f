import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SignatureV4 } from '@smithy/signature-v4';
import { main } from '../../smoke/cli';
import { NodeSha256 } from '../../lambda/shared/sha256';
import { BedrockFake } from '../support/bedrock-fake';
import { installLocalStreamingRuntime } from '../support/local-streaming';
import { loadLambdaHandler, PROMPT_ENV } from '../support/prompt-handler';
import { PREDICT_ENDPOINT, type SageMakerFake, startPredictHandler } from '../support/sagemaker-fake';
import {
  ControlPlane,
  type JsonHandler,
  LoopbackApi,
  type LoopbackRoute,
  type LoopbackTenant,
  modelRouteHandlers,
  type StackDefinition,
  TEST_CREDENTIALS,
  TokenIssuer,
} from './loopback';

/**
 * `npm run smoke` end to end, offline: its main function against a loopback API that plays the
 * deployed stack (the real handlers behind it, the Bedrock and SageMaker fakes behind them), with
 * the stack's outputs, methods and API key read through the real SDK clients from a loopback
 * control plane. Grounds 0 (SigV4) and 6 (SigV4 + API key, four routes), and the PredictiveMl stack.
 */

const REGION = 'us-east-1';
const DEMO: LoopbackTenant = { name: 'demo', apiKeyId: 'k7demo0001', apiKeyValue: 'demo-api-key-value-0123456789abcdef' };
const TENANTS = JSON.stringify({ [DEMO.apiKeyId]: { tenant: 'demo', tier: 'standard' } });

let bedrock: BedrockFake;
let sagemaker: SageMakerFake;
let plane: ControlPlane;
const apis: LoopbackApi[] = [];
let ground0: LoopbackApi;
let ground6: LoopbackApi;
let ml: LoopbackApi;

/** The outputs a ground stack has, under the keys CDK gives them (test/grounds/__snapshots__). */
function groundOutputs(url: string, tenants: readonly LoopbackTenant[]): StackDefinition['outputs'] {
  return [
    { key: 'ApiEndpoint1541504C', value: url },
    { key: 'ApiUrlDDEE0114', value: url, description: 'Base URL of the API (requests must be SigV4-signed)' },
    ...tenants.map((t) => ({
      key: 'GatewayTenantDemoApiKeyIdC2579CB1',
      value: t.apiKeyId,
      description: `API key of tenant ${t.name}: aws apigateway get-api-key --include-value --api-key <this>`,
    })),
  ];
}

async function deploy(name: string, restApiId: string, routes: LoopbackRoute[], tenants: LoopbackTenant[]): Promise<LoopbackApi> {
  const api = await LoopbackApi.start({ routes, tenants, issuer: new TokenIssuer(), region: REGION });
  apis.push(api);
  plane.stacks.set(name, { name, status: 'UPDATE_COMPLETE', outputs: groundOutputs(api.url, tenants), restApiId, routes, tenants });
  return api;
}

beforeAll(async () => {
  bedrock = await BedrockFake.start();
  bedrock.exportEndpoints();
  installLocalStreamingRuntime();
  const model = { ...PROMPT_ENV, TENANTS };
  const prompt = loadLambdaHandler<JsonHandler>('prompt/handler', model);
  const { chatStream, openAi, agent } = modelRouteHandlers(model, TENANTS);
  const predict = await startPredictHandler();
  sagemaker = predict.fake;

  plane = await ControlPlane.start(new TokenIssuer());
  plane.exportEndpoints();
  const iam = (method: 'GET' | 'POST', p: string, handler: LoopbackRoute['handler'], apiKeyRequired = true): LoopbackRoute => ({
    method,
    path: p,
    authorization: 'AWS_IAM',
    apiKeyRequired,
    handler,
  });
  ground0 = await deploy('GenAiBlueprintG0', 'g0api00001', [iam('POST', '/prompt', { kind: 'json', fn: prompt }, false)], []);
  ground6 = await deploy(
    'GenAiBlueprint',
    'g6api00001',
    [
      iam('POST', '/agent', { kind: 'json', fn: agent }),
      iam('POST', '/chat/stream', { kind: 'stream', fn: chatStream }),
      iam('POST', '/prompt', { kind: 'json', fn: prompt }),
      iam('POST', '/v1/chat/completions', { kind: 'stream', fn: openAi }),
    ],
    [DEMO],
  );
  ml = await deploy('GenAiBlueprint-PredictiveMl', 'mlapi00001', [iam('POST', '/predict', { kind: 'json', fn: predict.handler })], [DEMO]);
});

afterAll(async () => {
  ControlPlane.clearEndpoints();
  await Promise.all([...apis.map((a) => a.stop()), plane?.stop(), bedrock?.stop(), sagemaker?.stop()]);
});

beforeEach(() => {
  bedrock.reset();
  sagemaker.reset();
  sagemaker.endpoints.set(PREDICT_ENDPOINT, { name: PREDICT_ENDPOINT, configName: 'churn-config-1', status: 'InService' });
  for (const api of apis) {
    api.repair();
    api.calls.length = 0;
  }
  plane.calls.length = 0;
});

async function smoke(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

const PASS_WITH_COST = (route: string) => new RegExp(`^PASS  ${route}\\s+200\\s+\\d+ ms  \\$0\\.\\d{6}  \\d+ in / \\d+ out tokens$`);
const PASS_WITH_TOKENS = (route: string) => new RegExp(`^PASS  ${route}\\s+200\\s+\\d+ ms  \\d+ in / \\d+ out tokens$`);
const PASS = (route: string) => new RegExp(`^PASS  ${route}\\s+200\\s+\\d+ ms$`);

describe('npm run smoke against a loopback deployment', () => {
  test('ground 6: every route passes, signed and with the tenant key, in order; exit 0', async () => {
    const { code, out, err } = await smoke('--stack', 'GenAiBlueprint', '--region', REGION);
    expect(err).toEqual([]);
    expect(out[0]).toBe(`Smoke check of stack GenAiBlueprint (UPDATE_COMPLETE, ${REGION}): 4 routes at ${ground6.url}, tenant demo`);
    expect(out.slice(1, -1)).toEqual([
      expect.stringMatching(PASS_WITH_COST('POST /prompt')),
      expect.stringMatching(PASS_WITH_TOKENS('POST /chat/stream')),
      expect.stringMatching(PASS_WITH_TOKENS('POST /v1/chat/completions')),
      expect.stringMatching(PASS('POST /agent')),
    ]);
    expect(out.at(-1)).toMatch(/^4 passed, 0 failed; model cost reported: \$0\.\d{6} /);
    expect(code).toBe(0);
    // Each route was called once, signed (the loopback API checked the signature) and with the tenant's key.
    expect(ground6.calls).toEqual(
      ['/v1/prompt', '/v1/chat/stream', '/v1/v1/chat/completions', '/v1/agent'].map((p) => ({
        method: 'POST',
        path: p,
        status: 200,
        auth: 'sigv4',
        apiKeyId: DEMO.apiKeyId,
      })),
    );
    // The stack was read as the adapter must read it: outputs, the API behind a non-execute-api URL, its methods, the key.
    expect(plane.calls).toEqual(['cloudformation:DescribeStacks', 'cloudformation:ListStackResources', 'apigateway:GetResources', 'apigateway:GetApiKey']);
    expect(bedrock.count('Converse')).toBe(1);
    expect(bedrock.count('ConverseStream')).toBe(2);
    expect(bedrock.count('InvokeAgent')).toBe(1);
  });

  test('ground 0: the prompt route with SigV4 alone (no tenant, no key)', async () => {
    const { code, out } = await smoke('--stack', 'GenAiBlueprintG0');
    expect(out[0]).toBe(`Smoke check of stack GenAiBlueprintG0 (UPDATE_COMPLETE, ${REGION}): 1 route at ${ground0.url}`);
    expect(out[1]).toMatch(PASS_WITH_COST('POST /prompt'));
    expect(code).toBe(0);
    expect(ground0.calls).toEqual([{ method: 'POST', path: '/v1/prompt', status: 200, auth: 'sigv4' }]);
    expect(plane.calls).not.toContain('apigateway:GetApiKey');
  });

  test('PredictiveMl stack: /predict with a valid row of the churn dataset', async () => {
    const { code, out } = await smoke('--stack', 'GenAiBlueprint-PredictiveMl', '--tenant', 'demo');
    expect(out.slice(1)).toEqual([expect.stringMatching(PASS('POST /predict')), '1 passed, 0 failed']);
    expect(code).toBe(0);
    expect(sagemaker.count('InvokeEndpoint')).toBe(1);
    expect(ml.calls).toEqual([{ method: 'POST', path: '/v1/predict', status: 200, auth: 'sigv4', apiKeyId: DEMO.apiKeyId }]);
  });

  test('the loopback API refuses what the deployed one would: unsigned, wrongly signed, no key', async () => {
    // Without these refusals a PASS would prove nothing about the signature or the key.
    const body = JSON.stringify({ query: 'hi' });
    const url = new URL('prompt', ground6.url);
    const unsigned = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': DEMO.apiKeyValue }, body });
    expect(unsigned.status).toBe(403);
    const signedWith = async (secretAccessKey: string, extra: Record<string, string>) => {
      const signer = new SignatureV4({ credentials: { ...TEST_CREDENTIALS, secretAccessKey }, region: REGION, service: 'execute-api', sha256: NodeSha256 });
      const signed = await signer.sign({
        method: 'POST',
        protocol: 'http:',
        hostname: url.hostname,
        port: Number(url.port),
        path: url.pathname,
        query: {},
        headers: { host: url.host, 'content-type': 'application/json', ...extra },
        body,
      });
      const { host: _host, ...headers } = signed.headers;
      return fetch(url, { method: 'POST', headers, body });
    };
    const wrongSecret = await signedWith('not-the-secret', { 'x-api-key': DEMO.apiKeyValue });
    expect(wrongSecret.status).toBe(403);
    expect(await wrongSecret.json()).toMatchObject({ error: expect.stringMatching(/^The request signature we calculated does not match/) });
    const noKey = await signedWith(TEST_CREDENTIALS.secretAccessKey, {});
    expect(noKey.status).toBe(403);
    expect(await noKey.json()).toMatchObject({ error: 'Forbidden' });
    const good = await signedWith(TEST_CREDENTIALS.secretAccessKey, { 'x-api-key': DEMO.apiKeyValue });
    expect(good.status).toBe(200);
  });
});

test('`npm run smoke` itself (a child process): its lines, and the exit code set on the process', async () => {
  const ROOT = path.join(__dirname, '..', '..');
  const run = (...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      // Asynchronous: the child calls the loopback servers of this process.
      execFile('npm', ['run', '--silent', 'smoke', '--', ...args], { cwd: ROOT, env: process.env }, (error, stdout, stderr) =>
        resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr }),
      );
    });
  ml.breakRoute('POST', '/predict', 500, 'Internal server error');
  const failed = await run('--stack', 'GenAiBlueprint-PredictiveMl');
  expect(failed.stdout.split('\n').slice(1)).toEqual([
    expect.stringMatching(/^FAIL {2}POST \/predict\s+500\s+\d+ ms {2}Internal server error$/),
    '0 passed, 1 failed',
    '',
  ]);
  expect(failed.code).toBe(1);
  const wrong = await run('--stack', 'NoSuchStack');
  expect(wrong.stderr).toBe(
    `smoke: stack NoSuchStack does not exist in ${REGION}: deploy it first (npx cdk deploy -c ground=N), or pass --stack <name> and --region <region>\n`,
  );
  expect(wrong.code).toBe(2);
});

describe('npm run smoke fails naming the route', () => {
  test('fails when one route answers 502 (its function crashed): that route FAILs, the others pass, exit 1', async () => {
    ground6.breakRoute('POST', '/agent', 502, 'Internal server error');
    const { code, out } = await smoke('--stack', 'GenAiBlueprint');
    expect(out.filter((l) => l.startsWith('FAIL'))).toEqual([expect.stringMatching(/^FAIL {2}POST \/agent\s+502\s+\d+ ms {2}Internal server error$/)]);
    expect(out.filter((l) => l.startsWith('PASS'))).toHaveLength(3);
    expect(out.at(-1)).toMatch(/^3 passed, 1 failed/);
    expect(code).toBe(1);
  });

  test('fails when the model breaks off a stream after its first tokens (status 200, then an error event)', async () => {
    // One ConverseStream answer: /chat/stream's (it is called before /v1/chat/completions).
    bedrock.enqueue('ConverseStream', { kind: 'stream-error', afterChunks: 2, type: 'modelStreamErrorException' });
    const { code, out } = await smoke('--stack', 'GenAiBlueprint');
    expect(out.filter((l) => l.startsWith('FAIL'))).toEqual([
      expect.stringMatching(/^FAIL {2}POST \/chat\/stream\s+200\s+\d+ ms {2}error in the stream: The model failed to answer$/),
    ]);
    expect(out).toContainEqual(expect.stringMatching(PASS_WITH_TOKENS('POST /v1/chat/completions')));
    expect(code).toBe(1);
  });

  test("fails when /predict has no model deployed yet: the handler's 503 and its message", async () => {
    sagemaker.endpoints.clear();
    const { code, out } = await smoke('--stack', 'GenAiBlueprint-PredictiveMl');
    expect(out[1]).toMatch(/^FAIL {2}POST \/predict\s+503\s+\d+ ms {2}No model has been deployed yet; run the training pipeline \(see README\)$/);
    expect(out.at(-1)).toBe('0 passed, 1 failed');
    expect(code).toBe(1);
  });
});

describe('npm run smoke cannot start: one line, no stack trace, exit 2', () => {
  const oneLine = (err: string[]) => {
    expect(err).toHaveLength(1);
    expect(err[0]).not.toMatch(/\n|\s+at /);
    return err[0];
  };

  test('fails when the stack does not exist', async () => {
    const { code, out, err } = await smoke('--stack', 'NoSuchStack');
    expect(oneLine(err)).toBe(
      `smoke: stack NoSuchStack does not exist in ${REGION}: deploy it first (npx cdk deploy -c ground=N), or pass --stack <name> and --region <region>`,
    );
    expect(out).toEqual([]);
    expect(code).toBe(2);
  });

  test('fails when the API URL output is missing', async () => {
    const stack = plane.stacks.get('GenAiBlueprint')!;
    plane.stacks.set('Broken', { ...stack, name: 'Broken', status: 'ROLLBACK_COMPLETE', outputs: stack.outputs.filter((o) => !/^Api/.test(o.key)) });
    const { code, err } = await smoke('--stack', 'Broken');
    expect(oneLine(err)).toBe(
      'smoke: stack Broken (ROLLBACK_COMPLETE) has no API URL output (a key ending in Url<hash>, as ModelApi writes it); ' +
        'outputs: GatewayTenantDemoApiKeyIdC2579CB1',
    );
    expect(code).toBe(2);
  });

  test('fails when --tenant names no tenant of the stack', async () => {
    const { code, err } = await smoke('--stack', 'GenAiBlueprint', '--tenant', 'globex');
    expect(oneLine(err)).toBe('smoke: --tenant globex: stack GenAiBlueprint has no such tenant; its tenants are demo');
    expect(code).toBe(2);
  });

  test('fails when a flag is unknown or malformed, naming it', async () => {
    expect(oneLine((await smoke('--stak', 'GenAiBlueprint')).err)).toBe("smoke: Unknown option '--stak'; allowed flags: --stack, --region, --tenant, --help");
    expect(oneLine((await smoke('--region', 'moon-1')).err)).toBe('smoke: --region "moon-1": expected an AWS region such as us-east-1');
    expect((await smoke('--stack', 'x y')).code).toBe(2);
  });

  /**
   * Runs `body` with an AWS setup emptied the way a fresh machine has it: no shared config or
   * credentials files, never the instance metadata service (the test stays offline), minus `unset`.
   */
  async function withoutAwsSetup(unset: readonly string[], body: () => Promise<void>): Promise<void> {
    const saved = { ...process.env };
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'smoke-aws-setup-'));
    try {
      for (const key of unset) delete process.env[key];
      for (const key of Object.keys(process.env)) if (key.startsWith('AWS_CONTAINER_')) delete process.env[key];
      process.env.AWS_SHARED_CREDENTIALS_FILE = path.join(empty, 'credentials');
      process.env.AWS_CONFIG_FILE = path.join(empty, 'config');
      process.env.AWS_EC2_METADATA_DISABLED = 'true';
      await body();
    } finally {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
      fs.rmSync(empty, { recursive: true, force: true });
    }
  }

  test('fails when no region is given or configured', async () => {
    await withoutAwsSetup(['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE'], async () => {
      const { code, err } = await smoke('--stack', 'GenAiBlueprint');
      expect(oneLine(err)).toBe('smoke: no AWS region: pass --region <region> or set AWS_REGION');
      expect(code).toBe(2);
      expect(plane.calls).toEqual([]);
    });
  });

  test('fails when the default credential chain finds no credentials', async () => {
    const credentials = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_ROLE_ARN'];
    await withoutAwsSetup(credentials, async () => {
      const { code, err } = await smoke('--stack', 'GenAiBlueprint');
      expect(oneLine(err)).toMatch(
        /^smoke: no AWS credentials found by the default chain .*Sign in \(aws sso login, aws configure\) or export AWS_PROFILE, then run again$/,
      );
      expect(code).toBe(2);
      expect(plane.calls).toEqual([]);
    });
  });
});
