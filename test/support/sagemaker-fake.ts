import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CHURN_DATASET, type DatasetSpec } from '../../contracts/dataset';
import { churnProbability } from '../../lib/constructs/predictive-ml/dataset';
import * as z from 'zod/mini';
import { parseJson } from './json';
import { closeServer, readBody } from './http';

/**
 * A loopback fake of SageMaker: the runtime's InvokeEndpoint (REST JSON protocol) and the control
 * plane operations the gate and the teardown call (AWS JSON 1.1, `X-Amz-Target: SageMaker.<Op>`).
 * The real `@aws-sdk/client-sagemaker-runtime` and `@aws-sdk/client-sagemaker` clients reach it
 * through AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME and AWS_ENDPOINT_URL_SAGEMAKER (the variables the SDK
 * derives from the services' ids "SageMaker Runtime" and "SageMaker").
 *
 * The fake endpoint's "model" is the dataset's known signal, so a prediction depends on every
 * feature arriving in the right CSV column.
 */

export type Behaviour =
  { readonly kind: 'answer'; readonly body?: string } | { readonly kind: 'error'; readonly status: number; readonly type: string; readonly message?: string };

export interface FakeEndpoint {
  readonly name: string;
  readonly configName: string;
  status: string;
  /**
   * Set by SageMaker when the endpoint failed, and when an UpdateEndpoint failed: then the endpoint
   * rolls back to its previous config and reports `InService` with this reason.
   */
  failureReason?: string;
}

export interface RecordedCall {
  readonly operation: string;
  readonly body: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly endpointName?: string;
}

export class SageMakerFake {
  public readonly calls: RecordedCall[] = [];
  /** Endpoints that exist, by name; InvokeEndpoint on any other answers "not found". */
  public readonly endpoints = new Map<string, FakeEndpoint>();
  /** Endpoint configs with their tags, and models, by name. */
  public readonly endpointConfigs = new Map<string, Record<string, string>>();
  public readonly models = new Set<string>();
  private readonly queues = new Map<string, Behaviour[]>();

  private constructor(
    private readonly server: http.Server,
    private readonly dataset: DatasetSpec,
  ) {}

  static async start(dataset: DatasetSpec = CHURN_DATASET): Promise<SageMakerFake> {
    const server = http.createServer();
    const fake = new SageMakerFake(server, dataset);
    server.on('request', (req, res) => void fake.handle(req, res));
    server.keepAliveTimeout = 1_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  exportEndpoints(env: NodeJS.ProcessEnv = process.env): void {
    env.AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME = this.url;
    env.AWS_ENDPOINT_URL_SAGEMAKER = this.url;
  }

  /** Scripts the next answers of `operation` (`InvokeEndpoint`, `DescribeEndpoint`, ...), one per request. */
  enqueue(operation: string, ...behaviours: Behaviour[]): void {
    this.queues.set(operation, [...(this.queues.get(operation) ?? []), ...behaviours]);
  }

  count(operation: string): number {
    return this.calls.filter((c) => c.operation === operation).length;
  }

  reset(): void {
    this.calls.length = 0;
    this.endpoints.clear();
    this.endpointConfigs.clear();
    this.models.clear();
    this.queues.clear();
  }

  async stop(): Promise<void> {
    await closeServer(this.server);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await readBody(req);
    const invoke = /^\/endpoints\/([^/]+)\/invocations$/.exec(req.url ?? '');
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = invoke ? 'InvokeEndpoint' : target.startsWith('SageMaker.') ? target.slice('SageMaker.'.length) : '';
    const endpointName = invoke ? decodeURIComponent(invoke[1]) : undefined;
    this.calls.push({ operation, body, headers: req.headers, endpointName });

    const scripted = this.queues.get(operation)?.shift();
    if (scripted?.kind === 'error') return sendError(res, scripted.status, scripted.type, scripted.message ?? `fake ${scripted.type}`, !!invoke);
    if (invoke) return this.invokeEndpoint(res, endpointName!, body, scripted?.body);
    const input = body ? parseJson(z.record(z.string(), z.string()), body) : {};
    const answer = this.control(operation, input);
    if ('error' in answer) return sendError(res, 400, 'ValidationException', String(answer.error), false);
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(answer));
  }

  private invokeEndpoint(res: http.ServerResponse, name: string, body: string, scriptedBody: string | undefined): void {
    if (!this.endpoints.has(name)) return sendError(res, 400, 'ValidationError', `Endpoint ${name} of account 123456789012 not found.`, true);
    if (scriptedBody !== undefined) return void res.writeHead(200, { 'content-type': 'text/csv' }).end(scriptedBody);
    const values = body.trim().split(',').map(Number);
    if (values.length !== this.dataset.features.length || values.some((v) => !Number.isFinite(v))) {
      return sendError(res, 424, 'ModelError', 'fake: the model could not parse the CSV row', true);
    }
    const features = Object.fromEntries(this.dataset.features.map((f, i) => [f.name, f.type === 'boolean' ? values[i] === 1 : values[i]]));
    res.writeHead(200, { 'content-type': 'text/csv' }).end(`${churnProbability(features).toFixed(6)}\n`);
  }

  private control(operation: string, input: Record<string, string>): Record<string, unknown> | { error: string } {
    const arn = (type: string, name: string) => `arn:aws:sagemaker:us-east-1:123456789012:${type}/${name.toLowerCase()}`;
    const contains = (names: Iterable<string>) => [...names].filter((n) => !input.NameContains || n.includes(input.NameContains));
    switch (operation) {
      case 'DescribeEndpoint': {
        const e = this.endpoints.get(input.EndpointName);
        if (!e) return { error: `Could not find endpoint "${input.EndpointName}".` };
        return {
          EndpointName: e.name,
          EndpointArn: arn('endpoint', e.name),
          EndpointConfigName: e.configName,
          EndpointStatus: e.status,
          ...(e.failureReason === undefined ? {} : { FailureReason: e.failureReason }),
          CreationTime: 1,
          LastModifiedTime: 1,
        };
      }
      case 'DescribeEndpointConfig':
        if (!this.endpointConfigs.has(input.EndpointConfigName)) return { error: `Could not find endpoint configuration "${input.EndpointConfigName}".` };
        return {
          EndpointConfigName: input.EndpointConfigName,
          EndpointConfigArn: arn('endpoint-config', input.EndpointConfigName),
          ProductionVariants: [],
          CreationTime: 1,
        };
      case 'ListTags': {
        const name = [...this.endpointConfigs.keys()].find((n) => arn('endpoint-config', n) === input.ResourceArn);
        return { Tags: Object.entries(name ? this.endpointConfigs.get(name)! : {}).map(([Key, Value]) => ({ Key, Value })) };
      }
      case 'DeleteEndpoint':
        if (!this.endpoints.delete(input.EndpointName)) return { error: `Could not find endpoint "${input.EndpointName}".` };
        return {};
      case 'ListEndpointConfigs':
        return {
          EndpointConfigs: contains(this.endpointConfigs.keys()).map((n) => ({
            EndpointConfigName: n,
            EndpointConfigArn: arn('endpoint-config', n),
            CreationTime: 1,
          })),
        };
      case 'DeleteEndpointConfig':
        if (!this.endpointConfigs.delete(input.EndpointConfigName)) return { error: `Could not find endpoint configuration "${input.EndpointConfigName}".` };
        return {};
      case 'ListModels':
        return { Models: contains(this.models).map((n) => ({ ModelName: n, ModelArn: arn('model', n), CreationTime: 1 })) };
      case 'DeleteModel':
        if (!this.models.delete(input.ModelName)) return { error: `Could not find model "${input.ModelName}".` };
        return {};
      default:
        return { error: `fake: unknown operation ${operation}` };
    }
  }
}

function sendError(res: http.ServerResponse, status: number, type: string, message: string, rest: boolean): void {
  // REST JSON names the error in a header; AWS JSON 1.1 in `__type`.
  res.writeHead(status, rest ? { 'content-type': 'application/json', 'x-amzn-errortype': type } : { 'content-type': 'application/x-amz-json-1.1' });
  res.end(JSON.stringify(rest ? { message } : { __type: type, message }));
}

export const throttle = (): Behaviour => ({ kind: 'error', status: 429, type: 'ThrottlingException', message: 'fake Throttling: rate exceeded' });

export const PREDICT_ENDPOINT = 'churn-endpoint';

export type PredictHandler = typeof import('../../lambda/predict/handler').handler;

/** Starts the fake, points the SDK at it, and loads the /predict handler with its environment. */
export async function startPredictHandler(env: Record<string, string> = {}): Promise<{ fake: SageMakerFake; handler: PredictHandler }> {
  const fake = await SageMakerFake.start();
  fake.exportEndpoints();
  Object.assign(process.env, {
    ENDPOINT_NAME: PREDICT_ENDPOINT,
    DATASET: JSON.stringify(CHURN_DATASET),
    SAGEMAKER_MAX_ATTEMPTS: '3',
    SAGEMAKER_ATTEMPT_TIMEOUT_MS: '2000',
    ...env,
  });
  const { handler } = await import('../../lambda/predict/handler');
  return { fake, handler };
}
