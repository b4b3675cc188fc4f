import { createHash, randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignatureV4 } from '@smithy/signature-v4';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { NodeSha256 } from '../../lambda/shared/sha256';
import type { StreamingHandler } from '../../lambda/shared/stream';
import { apiEvent, lambdaContext } from '../support/api-event';
import { jsonObject, parseJson } from '../support/json';
import { localContext, PreludeSplitter } from '../support/local-streaming';
import { closeServer, readBody } from '../support/http';
import { loadLambdaHandler } from '../support/prompt-handler';

/**
 * A deployed stack, played on 127.0.0.1 for `npm run smoke`'s end-to-end test:
 * - `LoopbackApi` is API Gateway in front of the real handlers: it checks a route's SigV4 signature
 *   (recomputed with @smithy/signature-v4 and the test credentials), Cognito access token and API
 *   key as the deployed method requires, maps the key to its id and the token to its claims in the
 *   event's requestContext, and answers its own rejections with ModelApi's gateway-response body.
 * - `ControlPlane` is what the smoke check reads the stack with: CloudFormation (query protocol,
 *   XML), API Gateway (REST JSON), Cognito (JSON 1.1) and the user pool's token endpoint. The real
 *   SDK clients reach it through the AWS_ENDPOINT_URL_<SERVICE> variables.
 */

export type JsonHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

export interface LoopbackRoute {
  readonly method: 'GET' | 'POST';
  /** The resource path, with `{parameters}`. */
  readonly path: string;
  readonly authorization: 'AWS_IAM' | 'COGNITO_USER_POOLS' | 'NONE';
  readonly scopes?: readonly string[];
  readonly apiKeyRequired: boolean;
  readonly handler: { readonly kind: 'json'; readonly fn: JsonHandler } | { readonly kind: 'stream'; readonly fn: StreamingHandler };
}

export interface LoopbackTenant {
  readonly name: string;
  readonly apiKeyId: string;
  readonly apiKeyValue: string;
  /** Ground 7: the tenant's machine client. */
  readonly clientId?: string;
  readonly clientSecret?: string;
}

export const TEST_CREDENTIALS = { accessKeyId: 'AKIAFAKEFAKEFAKEFAKE', secretAccessKey: 'fake-secret-for-loopback-tests-only' };
export const STAGE = 'v1';

/** Access tokens the token endpoint issued, as the Cognito authorizer would verify them. */
export class TokenIssuer {
  private readonly tokens = new Map<string, { clientId: string; scopes: string[] }>();

  issue(clientId: string, scopes: string[]): string {
    const token = `fake-access-token-${randomUUID()}`;
    this.tokens.set(token, { clientId, scopes });
    return token;
  }

  verify(token: string): { clientId: string; scopes: string[] } | undefined {
    return this.tokens.get(token);
  }
}

export interface ApiCall {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  /** How the caller was authenticated: `sigv4`, `cognito`, or `none` when refused before. */
  readonly auth: 'sigv4' | 'cognito' | 'none';
  readonly apiKeyId?: string;
}

export class LoopbackApi {
  public readonly calls: ApiCall[] = [];
  /** Routes whose integration fails, as API Gateway answers when the function crashes. */
  private readonly broken = new Map<string, { status: number; message: string }>();

  private constructor(
    private readonly server: http.Server,
    private readonly routes: readonly LoopbackRoute[],
    private readonly tenants: readonly LoopbackTenant[],
    private readonly issuer: TokenIssuer,
    private readonly region: string,
  ) {}

  static async start(opts: {
    routes: readonly LoopbackRoute[];
    tenants: readonly LoopbackTenant[];
    issuer: TokenIssuer;
    region: string;
  }): Promise<LoopbackApi> {
    const server = http.createServer();
    const api = new LoopbackApi(server, opts.routes, opts.tenants, opts.issuer, opts.region);
    server.on('request', (req, res) => void api.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return api;
  }

  /** The stage's base URL, as the stack's Url output holds it. */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/${STAGE}/`;
  }

  /** `POST /predict` answers `status` with `message` until `repair`. */
  breakRoute(method: string, path: string, status: number, message: string): void {
    this.broken.set(`${method} ${path}`, { status, message });
  }

  repair(): void {
    this.broken.clear();
  }

  async stop(): Promise<void> {
    await closeServer(this.server);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const requestId = randomUUID();
    const record = (status: number, auth: ApiCall['auth'], apiKeyId?: string) =>
      this.calls.push({ method: req.method ?? '', path: url.pathname, status, auth, ...(apiKeyId ? { apiKeyId } : {}) });
    // API Gateway's own rejections, in the JSON shape of ModelApi's gateway responses.
    const reject = (status: number, message: string, auth: ApiCall['auth'] = 'none') => {
      record(status, auth);
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: message, requestId }));
    };

    const match = this.match(req.method ?? '', url.pathname);
    if (!match) return reject(403, 'Missing Authentication Token');
    const { route, resourcePath, pathParameters } = match;

    let claims: Record<string, string> | undefined;
    let auth: ApiCall['auth'] = 'none';
    if (route.authorization === 'AWS_IAM') {
      const refused = await verifySigV4(req, url, body, this.region);
      if (refused) return reject(403, refused);
      auth = 'sigv4';
    } else if (route.authorization === 'COGNITO_USER_POOLS') {
      const token = /^Bearer (\S+)$/.exec(String(req.headers.authorization ?? ''))?.[1] ?? String(req.headers.authorization ?? '');
      const issued = token ? this.issuer.verify(token) : undefined;
      if (!issued) return reject(401, 'Unauthorized');
      if (!(route.scopes ?? []).every((s) => issued.scopes.includes(s))) return reject(401, 'Unauthorized');
      // What the authorizer passes on from a client-credentials access token.
      claims = { sub: issued.clientId, client_id: issued.clientId, scope: issued.scopes.join(' '), token_use: 'access' };
      auth = 'cognito';
    }
    let apiKeyId: string | undefined;
    if (route.apiKeyRequired) {
      apiKeyId = this.tenants.find((t) => t.apiKeyValue === req.headers['x-api-key'])?.apiKeyId;
      if (!apiKeyId) return reject(403, 'Forbidden', auth);
    }

    const broken = this.broken.get(`${route.method} ${route.path}`);
    if (broken) {
      record(broken.status, auth, apiKeyId);
      res.writeHead(broken.status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: broken.message, requestId }));
      return;
    }

    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]));
    const base = apiEvent(resourcePath.slice(1), body);
    const event: APIGatewayProxyEvent = {
      ...base,
      httpMethod: route.method,
      resource: resourcePath,
      path: url.pathname.slice(STAGE.length + 1),
      headers,
      pathParameters: Object.keys(pathParameters).length ? pathParameters : null,
      body: body === '' ? null : body,
      requestContext: {
        ...base.requestContext,
        httpMethod: route.method,
        resourcePath,
        path: url.pathname,
        requestId,
        authorizer: claims ? { claims } : null,
        identity: {
          ...base.requestContext.identity,
          ...(apiKeyId ? { apiKeyId } : {}),
          ...(auth === 'sigv4' ? { userArn: 'arn:aws:iam::123456789012:user/smoke' } : {}),
        },
      },
    };

    if (route.handler.kind === 'json') {
      const result = await route.handler.fn(event, lambdaContext());
      record(result.statusCode, auth, apiKeyId);
      res.writeHead(result.statusCode, result.headers as http.OutgoingHttpHeaders).end(result.body);
      return;
    }
    let status = 0;
    const stream = new PreludeSplitter(
      (statusCode, h) => {
        status = statusCode;
        res.writeHead(statusCode, h);
      },
      (chunk) => res.write(chunk),
    );
    stream.on('finish', () => {
      record(status, auth, apiKeyId);
      res.end();
    });
    await Promise.resolve(route.handler.fn(event, stream, localContext())).catch(() => {
      // The runtime answers 502 when a streaming handler throws before writing.
      record(502, auth, apiKeyId);
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'Internal server error', requestId }));
    });
  }

  private match(method: string, pathname: string): { route: LoopbackRoute; resourcePath: string; pathParameters: Record<string, string> } | undefined {
    if (!pathname.startsWith(`/${STAGE}/`)) return undefined;
    const parts = pathname
      .slice(STAGE.length + 1)
      .split('/')
      .filter(Boolean);
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const template = route.path.split('/').filter(Boolean);
      if (template.length !== parts.length) continue;
      const params: Record<string, string> = {};
      if (template.every((t, i) => (/^\{\w+\}$/.test(t) ? ((params[t.slice(1, -1)] = decodeURIComponent(parts[i])), true) : t === parts[i]))) {
        return { route, resourcePath: route.path, pathParameters: params };
      }
    }
    return undefined;
  }
}

const AUTHORIZATION = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/;

/**
 * Checks a request's SigV4 signature as API Gateway does for AWS_IAM methods: the credential scope
 * (key, region, service), the time, the payload hash, and the signature recomputed over exactly
 * the headers it says it signed. Returns API Gateway's message when the request is refused.
 */
export async function verifySigV4(req: http.IncomingMessage, url: URL, body: string, region: string): Promise<string | undefined> {
  const header = String(req.headers.authorization ?? '');
  const m = AUTHORIZATION.exec(header);
  if (!m) return 'Missing Authentication Token';
  const [, accessKeyId, , scopeRegion, service, signedHeaders] = m;
  if (accessKeyId !== TEST_CREDENTIALS.accessKeyId) return 'The security token included in the request is invalid.';
  if (scopeRegion !== region || service !== 'execute-api')
    return `Credential should be scoped to a valid region and service execute-api, got ${scopeRegion}/${service}`;
  const amzDate = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(String(req.headers['x-amz-date'] ?? ''));
  if (!amzDate) return 'Authorization header requires existence of either a X-Amz-Date or a Date header.';
  const signingDate = new Date(Date.UTC(+amzDate[1], +amzDate[2] - 1, +amzDate[3], +amzDate[4], +amzDate[5], +amzDate[6]));
  if (Math.abs(Date.now() - signingDate.getTime()) > 5 * 60_000) return 'Signature expired';
  const names = signedHeaders.split(';');
  if (!names.includes('host')) return "'Host' must be a signed header.";
  const contentHash = req.headers['x-amz-content-sha256'];
  if (contentHash !== undefined && contentHash !== createHash('sha256').update(body).digest('hex')) return 'The request body does not match its signed hash.';
  const headers = Object.fromEntries(names.map((n) => [n, String(req.headers[n] ?? '')]));
  const signer = new SignatureV4({ credentials: TEST_CREDENTIALS, region, service: 'execute-api', sha256: NodeSha256 });
  const expected = await signer.sign(
    {
      method: req.method ?? 'GET',
      protocol: 'http:',
      hostname: url.hostname,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers,
      ...(body ? { body } : {}),
    },
    { signingDate },
  );
  if (expected.headers.authorization !== header) {
    return 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.';
  }
  return undefined;
}

export interface StackDefinition {
  readonly name: string;
  readonly status: string;
  readonly outputs: readonly { readonly key: string; readonly value: string; readonly description?: string }[];
  /** Physical ids by resource type, for ListStackResources. */
  readonly restApiId: string;
  readonly routes: readonly LoopbackRoute[];
  readonly tenants: readonly LoopbackTenant[];
  readonly userPoolId?: string;
}

/** CloudFormation, API Gateway and Cognito (control plane and token endpoint) for the stacks it holds. */
export class ControlPlane {
  /** `<service>:<operation>` of every request, in order. */
  public readonly calls: string[] = [];
  public readonly stacks = new Map<string, StackDefinition>();
  /** What the token endpoint was asked for: the client and the scope parameter. */
  public readonly tokenRequests: { clientId: string; scope: string | null }[] = [];

  private constructor(
    private readonly server: http.Server,
    private readonly issuer: TokenIssuer,
  ) {}

  static async start(issuer: TokenIssuer): Promise<ControlPlane> {
    const server = http.createServer();
    const plane = new ControlPlane(server, issuer);
    server.on('request', (req, res) => void plane.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return plane;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The token endpoint, as UserAuth's TokenEndpoint output holds it. */
  get tokenEndpoint(): string {
    return `${this.url}/oauth2/token`;
  }

  /** Points the SDK clients of this process at this server (the variables the SDK derives from each service id). */
  exportEndpoints(env: NodeJS.ProcessEnv = process.env): void {
    env.AWS_ENDPOINT_URL_CLOUDFORMATION = this.url;
    env.AWS_ENDPOINT_URL_API_GATEWAY = this.url;
    env.AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER = this.url;
  }

  static clearEndpoints(env: NodeJS.ProcessEnv = process.env): void {
    delete env.AWS_ENDPOINT_URL_CLOUDFORMATION;
    delete env.AWS_ENDPOINT_URL_API_GATEWAY;
    delete env.AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER;
  }

  async stop(): Promise<void> {
    await closeServer(this.server);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const target = String(req.headers['x-amz-target'] ?? '');
    if (url.pathname === '/oauth2/token') return this.token(req, body, res);
    if (target.startsWith('AWSCognitoIdentityProviderService.')) return this.cognito(target.split('.')[1], body, res);
    if (url.pathname.startsWith('/restapis/') || url.pathname.startsWith('/apikeys/')) return this.apiGateway(url, res);
    return this.cloudFormation(new URLSearchParams(body), res);
  }

  private cloudFormation(params: URLSearchParams, res: http.ServerResponse): void {
    const action = params.get('Action') ?? '';
    this.calls.push(`cloudformation:${action}`);
    const stack = this.stacks.get(params.get('StackName') ?? '');
    const xml = (status: number, text: string): void => void res.writeHead(status, { 'content-type': 'text/xml' }).end(text);
    if (!stack) {
      return xml(
        400,
        `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type><Code>ValidationError</Code>` +
          `<Message>Stack with id ${escapeXml(params.get('StackName') ?? '')} does not exist</Message></Error>` +
          `<RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
      );
    }
    if (action === 'DescribeStacks') {
      const outputs = stack.outputs
        .map(
          (o) =>
            `<member><OutputKey>${escapeXml(o.key)}</OutputKey><OutputValue>${escapeXml(o.value)}</OutputValue>` +
            `${o.description ? `<Description>${escapeXml(o.description)}</Description>` : ''}</member>`,
        )
        .join('');
      return xml(
        200,
        `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member>` +
          `<StackName>${stack.name}</StackName><StackId>arn:aws:cloudformation:us-east-1:123456789012:stack/${stack.name}/1</StackId>` +
          `<CreationTime>2025-01-01T00:00:00Z</CreationTime><StackStatus>${stack.status}</StackStatus><Outputs>${outputs}</Outputs>` +
          `</member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></DescribeStacksResponse>`,
      );
    }
    if (action === 'ListStackResources') {
      return xml(
        200,
        `<ListStackResourcesResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><ListStackResourcesResult><StackResourceSummaries>` +
          `<member><LogicalResourceId>ApiCD79AAA0</LogicalResourceId><PhysicalResourceId>${stack.restApiId}</PhysicalResourceId>` +
          `<ResourceType>AWS::ApiGateway::RestApi</ResourceType><LastUpdatedTimestamp>2025-01-01T00:00:00Z</LastUpdatedTimestamp>` +
          `<ResourceStatus>CREATE_COMPLETE</ResourceStatus></member>` +
          `<member><LogicalResourceId>ApiAccessLogs50B185DB</LogicalResourceId><PhysicalResourceId>logs</PhysicalResourceId>` +
          `<ResourceType>AWS::Logs::LogGroup</ResourceType><LastUpdatedTimestamp>2025-01-01T00:00:00Z</LastUpdatedTimestamp>` +
          `<ResourceStatus>CREATE_COMPLETE</ResourceStatus></member>` +
          `</StackResourceSummaries></ListStackResourcesResult>` +
          `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></ListStackResourcesResponse>`,
      );
    }
    return xml(400, `<ErrorResponse><Error><Code>InvalidAction</Code><Message>fake: ${escapeXml(action)}</Message></Error></ErrorResponse>`);
  }

  private apiGateway(url: URL, res: http.ServerResponse): void {
    const json = (status: number, body: unknown, errorType?: string): void =>
      void res.writeHead(status, { 'content-type': 'application/json', ...(errorType ? { 'x-amzn-errortype': errorType } : {}) }).end(JSON.stringify(body));
    const resources = /^\/restapis\/([^/]+)\/resources$/.exec(url.pathname);
    if (resources) {
      this.calls.push('apigateway:GetResources');
      const stack = [...this.stacks.values()].find((s) => s.restApiId === resources[1]);
      if (!stack) return json(404, { message: 'Invalid API identifier specified' }, 'NotFoundException');
      const withMethods = url.searchParams.getAll('embed').includes('methods');
      const paths = [...new Set(['/', ...stack.routes.map((r) => r.path)])];
      return json(200, {
        item: paths.map((path, i) => ({
          id: `res${i}`,
          path,
          ...(withMethods && stack.routes.some((r) => r.path === path)
            ? {
                resourceMethods: Object.fromEntries(
                  stack.routes
                    .filter((r) => r.path === path)
                    .map((r) => [
                      r.method,
                      {
                        httpMethod: r.method,
                        authorizationType: r.authorization,
                        apiKeyRequired: r.apiKeyRequired,
                        ...(r.scopes ? { authorizationScopes: r.scopes } : {}),
                      },
                    ]),
                ),
              }
            : {}),
        })),
      });
    }
    const key = /^\/apikeys\/([^/]+)$/.exec(url.pathname);
    if (key) {
      this.calls.push('apigateway:GetApiKey');
      const tenant = [...this.stacks.values()].flatMap((s) => s.tenants).find((t) => t.apiKeyId === key[1]);
      if (!tenant) return json(404, { message: 'Invalid API Key identifier specified' }, 'NotFoundException');
      const withValue = url.searchParams.get('includeValue') === 'true';
      return json(200, { id: tenant.apiKeyId, name: tenant.name, enabled: true, ...(withValue ? { value: tenant.apiKeyValue } : {}) });
    }
    return json(404, { message: `fake: no operation for ${url.pathname}` }, 'NotFoundException');
  }

  private cognito(operation: string, body: string, res: http.ServerResponse): void {
    this.calls.push(`cognito:${operation}`);
    const json = (status: number, answer: unknown): void =>
      void res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(answer));
    const input = new Map(Object.entries(parseJson(jsonObject, body || '{}')));
    const stack = [...this.stacks.values()].find((s) => s.userPoolId === input.get('UserPoolId'));
    const tenant = stack?.tenants.find((t) => t.clientId === input.get('ClientId'));
    if (operation !== 'DescribeUserPoolClient' || !stack || !tenant) {
      return json(400, { __type: 'ResourceNotFoundException', message: `fake: no ${operation} for ${body}` });
    }
    return json(200, {
      UserPoolClient: {
        UserPoolId: stack.userPoolId,
        ClientId: tenant.clientId,
        ClientName: `MachineClient-${tenant.name}`,
        ClientSecret: tenant.clientSecret,
      },
    });
  }

  /** The user pool's OAuth token endpoint: client-credentials grant, client authenticated with HTTP Basic. */
  private token(req: http.IncomingMessage, body: string, res: http.ServerResponse): void {
    this.calls.push('cognito:Token');
    const json = (status: number, answer: unknown): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    const basic = /^Basic (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
    const [clientId, secret] = basic ? Buffer.from(basic, 'base64').toString('utf8').split(':') : [];
    const form = new URLSearchParams(body);
    this.tokenRequests.push({ clientId: clientId ?? '', scope: form.get('scope') });
    const tenant = [...this.stacks.values()].flatMap((s) => s.tenants).find((t) => t.clientId === clientId && t.clientSecret === secret);
    if (!tenant) return json(400, { error: 'invalid_client' });
    if (form.get('grant_type') !== 'client_credentials') return json(400, { error: 'unsupported_grant_type' });
    const scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
    if (scopes.some((s) => s !== 'genai/invoke')) return json(400, { error: 'invalid_scope' });
    return json(200, { access_token: this.issuer.issue(tenant.clientId!, scopes), expires_in: 3600, token_type: 'Bearer' });
  }
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * The handlers of the streamed model routes and the agent route, as the smoke tests deploy them
 * behind the loopback API: `model` is the prompt function's model environment (with TENANTS).
 */
export function modelRouteHandlers(model: Record<string, string>, tenants: string) {
  return {
    chatStream: loadLambdaHandler<StreamingHandler>('chat-stream/handler', {
      ...model,
      MODEL_ID: 'us.amazon.nova-lite-v1:0',
      MODEL_ALIAS: 'nova-lite',
      MODEL_PRICE: JSON.stringify({ inputPerMTok: 0.06, outputPerMTok: 0.24 }),
    }),
    openAi: loadLambdaHandler<StreamingHandler>('openai/handler', model),
    agent: loadLambdaHandler<JsonHandler>('agent/handler', {
      AGENT_ID: 'AGENT12345',
      AGENT_ALIAS_ID: 'ALIAS12345',
      MAX_INPUT_CHARS: '4000',
      BEDROCK_MAX_ATTEMPTS: '2',
      BEDROCK_ATTEMPT_TIMEOUT_MS: '2000',
      TENANTS: tenants,
    }),
  };
}
