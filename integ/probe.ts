import * as path from 'node:path';
import { ActualResult, EqualsAssertion, ExpectedResult, type IApiCall, type IntegTest } from '@aws-cdk/integ-tests-alpha';
import { ArnFormat, AssetHashType, DockerImage, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { ModelApi } from '../lib/constructs/api/model-api';
import type { UserAuth } from '../lib/constructs/auth/user-auth';
import type { ModelGateway } from '../lib/constructs/gateway/model-gateway';
import { LATEST_NODE_RUNTIME } from '../lib/constructs/shared/blueprint-function';
import { bundle } from '../lib/constructs/shared/bundling';
import { type Fact, PROBE_ENV, type ProbeCheck } from './probe/contract';

export interface ProbeProps {
  /** The API under test. */
  readonly api: ModelApi;
  /** The ground's gateway: the probe reads its tenants' API keys. @default no API key is sent */
  readonly gateway?: ModelGateway;
  /** Ground 7: the probe gets tokens from the tenants' machine clients instead of signing. @default SigV4 */
  readonly auth?: UserAuth;
  /** Ground 3: the message a blocked request answers. @default not checked */
  readonly blockedInputMessage?: string;
}

/**
 * A function in the assertion stack that calls the deployed API as a client would (SigV4, API
 * keys, Cognito machine tokens: what integ-tests' `httpApiCall` cannot do) and answers facts
 * (integ/probe/contract.ts). Its code is bundled here by esbuild, like the blueprint's functions.
 */
export class Probe extends Construct {
  public readonly function: lambda.Function;

  constructor(scope: Construct, id: string, props: ProbeProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const keyIds = Object.fromEntries(Object.entries(props.gateway?.apiKeys ?? {}).map(([tenant, key]) => [tenant, key.keyId]));
    const clientIds = Object.fromEntries(Object.entries(props.auth?.machineClients ?? {}).map(([tenant, c]) => [tenant, c.userPoolClientId]));
    const environment: Record<string, string> = {
      [PROBE_ENV.apiUrl]: props.api.restApi.url,
      [PROBE_ENV.auth]: props.auth ? 'cognito' : 'sigv4',
      ...(props.gateway ? { [PROBE_ENV.apiKeyIds]: stack.toJsonString(keyIds) } : {}),
      ...(props.auth
        ? {
            [PROBE_ENV.userPoolId]: props.auth.userPool.userPoolId,
            [PROBE_ENV.machineClientIds]: stack.toJsonString(clientIds),
            [PROBE_ENV.tokenEndpoint]: `${props.auth.domain.baseUrl()}/oauth2/token`,
            [PROBE_ENV.scope]: props.auth.invokeScope,
          }
        : {}),
      ...(props.blockedInputMessage ? { [PROBE_ENV.blockedInputMessage]: props.blockedInputMessage } : {}),
    };
    const entry = path.join(__dirname, 'probe', 'handler.ts');
    this.function = new lambda.Function(this, 'Function', {
      description: 'genai-blueprint integration test probe: calls the API under test as a client would',
      runtime: LATEST_NODE_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(path.dirname(entry), {
        assetHashType: AssetHashType.OUTPUT,
        bundling: {
          // Only used if local bundling declines, which it never does: it builds or throws.
          image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:24-alpine'),
          local: {
            tryBundle(outputDir: string): boolean {
              // The SDK clients it uses (API Gateway, Cognito) and @smithy/signature-v4 are bundled: nothing depends on the runtime's copy.
              bundle(entry, outputDir, { bundleSdk: true });
              return true;
            },
          },
        },
      }),
      memorySize: 256,
      // Within the assertion provider's own two minutes (the probe's checks end within 90 s).
      timeout: Duration.seconds(110),
      environment,
      logGroup: new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_WEEK, removalPolicy: RemovalPolicy.DESTROY }),
    });
    if (props.auth) {
      props.auth.userPool.grant(this.function, 'cognito-idp:DescribeUserPoolClient');
    } else {
      props.api.grantInvoke(this.function);
    }
    if (props.gateway) {
      this.function.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['apigateway:GET'],
          resources: Object.values(keyIds).map((keyId) =>
            stack.formatArn({ service: 'apigateway', account: '', resource: '/apikeys', resourceName: keyId, arnFormat: ArnFormat.SLASH_RESOURCE_NAME }),
          ),
        }),
      );
    }
    // BatchGetTraces has no resource-level permission (X-Ray reads traces of the whole account).
    this.function.addToRolePolicy(new iam.PolicyStatement({ actions: ['xray:BatchGetTraces'], resources: ['*'] }));
  }

  /**
   * Runs `check` once and fails the deployment unless its answer holds `facts` (other facts it
   * answers are not compared). The assertion's id is the check's, in PascalCase.
   */
  public expect(integ: IntegTest, check: ProbeCheck, facts: Readonly<Record<string, Fact>>): IApiCall {
    const call = integ.assertions.invokeFunction({ functionName: this.function.functionName, payload: JSON.stringify({ check }) });
    new EqualsAssertion(Stack.of(this), pascal(check), {
      actual: ActualResult.fromAwsApiCall(call, 'Payload'),
      expected: ExpectedResult.objectLike(facts),
      failDeployment: true,
    });
    return call;
  }
}

/**
 * Exactly `value`, as the assertion handler matches it. Not `ExpectedResult.exact`: it wraps the
 * value in `{"$Exact": …}`, which the handler of integ-tests-alpha 2.245.0-alpha.0 does not unwrap,
 * so it compares the wrapper and fails every time (measured: test/integ/integ.test.ts runs that
 * handler); a bare JSON value is matched exactly. An attribute comes back as text and is read as
 * JSON where it parses: `"1"` is the number 1, `"true"` the boolean.
 */
export function exactly(value: Fact): ExpectedResult {
  return { result: JSON.stringify(value) };
}

/** Fails the deployment unless the answer of `call` holds `expected` at `at` (a dotted path of the response). */
export function expectAt(scope: Construct, id: string, call: IApiCall, at: string, expected: ExpectedResult): void {
  new EqualsAssertion(Stack.of(scope), id, { actual: ActualResult.fromAwsApiCall(call, at), expected, failDeployment: true });
}

function pascal(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_m, _dash, c: string) => c.toUpperCase());
}
