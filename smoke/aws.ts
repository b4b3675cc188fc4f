import { APIGatewayClient, GetApiKeyCommand, paginateGetResources, type Resource } from '@aws-sdk/client-api-gateway';
import { CloudFormationClient, DescribeStacksCommand, paginateListStackResources } from '@aws-sdk/client-cloudformation';
import { CognitoIdentityProviderClient, DescribeUserPoolClientCommand } from '@aws-sdk/client-cognito-identity-provider';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';
import * as z from 'zod/mini';
import {
  apiLocation,
  authOf,
  chooseTenant,
  type DeployedRoute,
  errorMessage,
  readOutputs,
  routesOf,
  type SendPort,
  SmokeError,
  type StackOutputs,
  type TenantOutputs,
} from './core';
import { NodeSha256 } from '../lambda/shared/sha256';

/**
 * The smoke check's AWS adapter: reads a deployed stack (CloudFormation outputs, the API's methods,
 * a tenant's API key, at ground 7 a Cognito machine token) and sends requests the way each method
 * requires them. Credentials and region come from the SDK's default chain; every client honours
 * the SDK's endpoint variables (AWS_ENDPOINT_URL_CLOUDFORMATION, AWS_ENDPOINT_URL_API_GATEWAY,
 * AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER), which is how the tests point them at a loopback fake.
 */

export interface SmokeOptions {
  readonly stack: string;
  /** @default the SDK's region (AWS_REGION, the profile's region) */
  readonly region?: string;
  /** @default the first tenant in the stack's outputs */
  readonly tenant?: string;
}

export interface SmokeTarget {
  readonly stack: string;
  readonly stackStatus: string;
  readonly region: string;
  readonly baseUrl: string;
  readonly routes: readonly DeployedRoute[];
  /** The tenant whose API key (and machine client) the requests use; unset below ground 4. */
  readonly tenant?: string;
  /** Sends one request with what its route requires: SigV4 or a Cognito token, and the API key. */
  readonly send: SendPort;
}

/** One answer may stream for a while (the streamed routes allow minutes); the sample questions are short. */
const REQUEST_TIMEOUT_MS = 120_000;
const TOKEN_TIMEOUT_MS = 30_000;

export async function resolveTarget(options: SmokeOptions): Promise<SmokeTarget> {
  const { stack } = options;
  const credentials = defaultProvider();
  await credentials().catch((error: unknown) => {
    throw new SmokeError(
      `no AWS credentials found by the default chain (environment, shared config and SSO profiles, container or instance role): ${firstLine(error)}. ` +
        'Sign in (aws sso login, aws configure) or export AWS_PROFILE, then run again',
    );
  });
  const common = { credentials, maxAttempts: 3, ...(options.region ? { region: options.region } : {}) };
  const cloudFormation = new CloudFormationClient(common);
  const region = await cloudFormation.config.region().catch(() => {
    throw new SmokeError('no AWS region: pass --region <region> or set AWS_REGION');
  });

  const described = await cloudFormation.send(new DescribeStacksCommand({ StackName: stack })).catch((error: unknown) => {
    const e = error as { name?: string; message?: string };
    if (e.name === 'ValidationError' && /does not exist/.test(e.message ?? '')) {
      throw new SmokeError(
        `stack ${stack} does not exist in ${region}: deploy it first (npx cdk deploy -c ground=N), or pass --stack <name> and --region <region>`,
      );
    }
    throw new SmokeError(`CloudFormation DescribeStacks ${stack} in ${region} failed: ${e.name ?? 'Error'}: ${firstLine(error)}`);
  });
  const found = described.Stacks?.[0];
  if (!found) throw new SmokeError(`stack ${stack} does not exist in ${region}`);
  const stackStatus = found.StackStatus ?? 'UNKNOWN';
  const outputs = readOutputs(
    `${stack} (${stackStatus})`,
    (found.Outputs ?? []).map((o) => ({ key: o.OutputKey ?? '', value: o.OutputValue ?? '', ...(o.Description ? { description: o.Description } : {}) })),
  );

  const location = apiLocation(outputs.apiUrl);
  const restApiId = location.restApiId ?? (await restApiOfStack(cloudFormation, stack));
  const apiGateway = new APIGatewayClient(common);
  const resources: Resource[] = [];
  try {
    for await (const page of paginateGetResources({ client: apiGateway }, { restApiId, embed: ['methods'], limit: 500 })) resources.push(...(page.items ?? []));
  } catch (error) {
    throw new SmokeError(`API Gateway GetResources of API ${restApiId} failed: ${(error as Error).name}: ${firstLine(error)}`);
  }
  const routes = routesOf(resources);
  if (routes.length === 0) throw new SmokeError(`API ${restApiId} of stack ${stack} has no methods`);

  const needsKey = routes.some((r) => r.apiKeyRequired);
  const cognitoRoutes = routes.filter((r) => authOf(r) === 'cognito');
  const tenant = needsKey || cognitoRoutes.length ? chooseTenant(stack, outputs.tenants, options.tenant) : undefined;
  const apiKey = needsKey ? await apiKeyValue(apiGateway, tenant!) : undefined;
  const token = cognitoRoutes.length ? await machineToken(new CognitoIdentityProviderClient(common), stack, outputs, tenant!, cognitoRoutes) : undefined;

  const signer = new SignatureV4({ credentials, region: location.region ?? region, service: 'execute-api', sha256: NodeSha256 });
  const send: SendPort = async (route, request) => {
    const url = new URL(request.path.slice(1), location.baseUrl);
    const headers: Record<string, string> = { host: url.host };
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    if (route.apiKeyRequired) headers['x-api-key'] = apiKey!;
    const auth = authOf(route);
    if (auth === 'cognito') headers.authorization = `Bearer ${token}`;
    const signed =
      auth === 'sigv4'
        ? (
            await signer.sign({
              method: request.method,
              protocol: url.protocol,
              hostname: url.hostname,
              ...(url.port ? { port: Number(url.port) } : {}),
              path: url.pathname,
              query: {},
              headers,
              body: request.body,
            })
          ).headers
        : headers;
    // fetch sends Host from the URL: the value signed above.
    const { host: _host, ...sent } = signed;
    const response = await fetch(url, { method: request.method, headers: sent, body: request.body, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) }).catch(
      (error: unknown) => {
        throw new Error(networkError(error, REQUEST_TIMEOUT_MS));
      },
    );
    return { status: response.status, contentType: response.headers.get('content-type') ?? '', body: await response.text() };
  };

  return { stack, stackStatus, region, baseUrl: location.baseUrl, routes, ...(tenant ? { tenant: tenant.name } : {}), send };
}

/** The stack's REST API, when its URL does not name it (a host other than execute-api). */
async function restApiOfStack(cloudFormation: CloudFormationClient, stack: string): Promise<string> {
  const ids: string[] = [];
  for await (const page of paginateListStackResources({ client: cloudFormation }, { StackName: stack })) {
    for (const r of page.StackResourceSummaries ?? [])
      if (r.ResourceType === 'AWS::ApiGateway::RestApi' && r.PhysicalResourceId) ids.push(r.PhysicalResourceId);
  }
  if (ids.length !== 1) throw new SmokeError(`stack ${stack} has ${ids.length} REST APIs (AWS::ApiGateway::RestApi); expected one`);
  return ids[0];
}

async function apiKeyValue(apiGateway: APIGatewayClient, tenant: TenantOutputs): Promise<string> {
  const key = await apiGateway.send(new GetApiKeyCommand({ apiKey: tenant.apiKeyId, includeValue: true })).catch((error: unknown) => {
    throw new SmokeError(`API Gateway GetApiKey ${tenant.apiKeyId} (tenant ${tenant.name}) failed: ${(error as Error).name}: ${firstLine(error)}`);
  });
  if (!key.value) throw new SmokeError(`API key ${tenant.apiKeyId} of tenant ${tenant.name} came back without its value`);
  if (key.enabled === false) throw new SmokeError(`API key ${tenant.apiKeyId} of tenant ${tenant.name} is disabled`);
  return key.value;
}

const tokenAnswer = z.object({ access_token: z.string().check(z.minLength(1)) });

/**
 * Ground 7: an access token of the tenant's machine client (client-credentials grant), asking for
 * the scopes the deployed methods require. The client's secret is read from Cognito, never stored.
 */
async function machineToken(
  cognito: CognitoIdentityProviderClient,
  stack: string,
  outputs: StackOutputs,
  tenant: TenantOutputs,
  routes: readonly DeployedRoute[],
): Promise<string> {
  if (!outputs.userPoolId || !outputs.tokenEndpoint) {
    throw new SmokeError(
      `stack ${stack} has Cognito-authorized routes but no ${outputs.userPoolId ? 'TokenEndpoint' : 'UserPoolId'} output (UserAuth writes both)`,
    );
  }
  if (!tenant.machineClientId)
    throw new SmokeError(`stack ${stack} has no machine client output for tenant ${tenant.name} (MachineClient<Name>ClientId<hash>)`);
  const described = await cognito
    .send(new DescribeUserPoolClientCommand({ UserPoolId: outputs.userPoolId, ClientId: tenant.machineClientId }))
    .catch((error: unknown) => {
      throw new SmokeError(
        `Cognito DescribeUserPoolClient ${tenant.machineClientId} (tenant ${tenant.name}) failed: ${(error as Error).name}: ${firstLine(error)}`,
      );
    });
  const secret = described.UserPoolClient?.ClientSecret;
  if (!secret)
    throw new SmokeError(`machine client ${tenant.machineClientId} of tenant ${tenant.name} has no secret: it cannot use the client-credentials grant`);
  const scopes = [...new Set(routes.flatMap((r) => r.scopes))].sort();
  const response = await fetch(outputs.tokenEndpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${tenant.machineClientId}:${secret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', ...(scopes.length ? { scope: scopes.join(' ') } : {}) }).toString(),
    signal: AbortSignal.timeout(TOKEN_TIMEOUT_MS),
  }).catch((error: unknown) => {
    throw new SmokeError(`token endpoint ${outputs.tokenEndpoint} did not answer: ${networkError(error, TOKEN_TIMEOUT_MS)}`);
  });
  const text = await response.text();
  if (response.status !== 200) throw new SmokeError(`token endpoint ${outputs.tokenEndpoint} answered ${response.status}: ${errorMessage(text)}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const token = tokenAnswer.safeParse(parsed);
  if (!token.success) throw new SmokeError(`token endpoint ${outputs.tokenEndpoint} answered 200 without an access_token`);
  return token.data.access_token;
}

function firstLine(error: unknown): string {
  return String((error as Error)?.message ?? error).split('\n')[0];
}

/** fetch's `fetch failed` hides the reason in `cause` (ECONNREFUSED, a TLS or DNS error, the timeout). */
function networkError(error: unknown, timeoutMs: number): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return `no answer within ${timeoutMs / 1000} s`;
  return [e.message, e.cause?.code ?? e.cause?.message].filter(Boolean).join(': ');
}
