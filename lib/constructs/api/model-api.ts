import { type CfnElement, CfnOutput, Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface ModelApiProps {
  /** @default 'v1' */
  readonly stageName?: string;
  /** Steady-state requests per second across the stage. @default 10 */
  readonly throttleRateLimit?: number;
  /** @default 20 */
  readonly throttleBurstLimit?: number;
  /** Retention of the access log group. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Ground 7: every route requires an access token from this Cognito authorizer carrying these
   * OAuth scopes, instead of a SigV4 signature. @default IAM (SigV4) authorization
   */
  readonly cognito?: { readonly authorizer: apigateway.IAuthorizer; readonly scopes: readonly string[] };
}

export interface JsonRouteOptions {
  /** JSON schema of the body; API Gateway rejects what does not match before the function runs. */
  readonly bodySchema: apigateway.JsonSchema;
  /** PascalCase name of the body model. */
  readonly modelName: string;
  /**
   * Stream the function's answer to the client as it is written (a Lambda that streams its
   * response); the integration may then run up to 15 minutes. @default false (buffered, 29 s)
   */
  readonly responseStreaming?: boolean;
  /** Integration timeout. @default 29 s buffered; 5 minutes streamed */
  readonly timeout?: Duration;
}

/**
 * An API other blocks add their routes to: the `ModelApi` construct, or an existing REST API
 * wrapped by `ModelApi.fromModelApiAttributes`.
 */
export interface IModelApi {
  readonly restApi: apigateway.IRestApi;
  /** Adds `POST /<path>` proxied to `fn` (buffered or streamed), with the body validated against `options.bodySchema`. */
  addJsonRoute(path: string, fn: lambda.IFunction, options: JsonRouteOptions): apigateway.Method;
  /** Adds `GET /<path>` proxied to `fn`; the `{parameters}` of `path` are required. */
  addGetRoute(path: string, fn: lambda.IFunction): apigateway.Method;
  /** Lets `grantee` call every route of this API's stage. */
  grantInvoke(grantee: iam.IGrantable): iam.Grant;
}

export interface ModelApiAttributes {
  /**
   * An existing REST API (`RestApi.fromRestApiAttributes`, or one of this app). Routes added to an
   * imported API reach callers only after its owner deploys a stage again.
   */
  readonly restApi: apigateway.IRestApi;
  /** The stage `grantInvoke` covers. @default the API's `deploymentStage` */
  readonly stageName?: string;
  /**
   * What the routes added through this wrapper require, set on each method (an imported API brings
   * no default method options). @default IAM (SigV4) authorization, as on a `ModelApi`
   */
  readonly cognito?: ModelApiProps['cognito'];
}

/**
 * The front door: a regional REST API whose every method requires SigV4 (IAM) authorization,
 * with access logs, execution logs at ERROR, X-Ray tracing, stage-wide throttling, request body
 * validation and JSON error bodies for API Gateway's own rejections.
 */
export class ModelApi extends Construct implements IModelApi {
  /**
   * Wraps an existing REST API so blocks can add their routes to it, each body validated by a
   * request validator this wrapper adds to that API. Its stage, logging, throttling and gateway
   * responses stay as its owner set them.
   */
  public static fromModelApiAttributes(scope: Construct, id: string, attrs: ModelApiAttributes): IModelApi {
    if (attrs.stageName !== undefined && !Token.isUnresolved(attrs.stageName) && !/^[A-Za-z0-9_]{1,128}$/.test(attrs.stageName)) {
      throw new Error(`stageName must be 1-128 letters, digits or underscores, got "${attrs.stageName}"`);
    }
    const authorization = routeAuthorization(attrs.cognito);
    class Import extends Construct implements IModelApi {
      public readonly restApi = attrs.restApi;
      private readonly validator = new apigateway.RequestValidator(this, 'BodyValidator', {
        restApi: attrs.restApi,
        validateRequestBody: true,
        validateRequestParameters: true,
      });
      public addJsonRoute(path: string, fn: lambda.IFunction, options: JsonRouteOptions): apigateway.Method {
        return addJsonRoute(
          this.restApi,
          this.validator,
          (modelId, props) => new apigateway.Model(this, modelId, { ...props, restApi: this.restApi }),
          path,
          fn,
          options,
          authorization,
        );
      }
      public addGetRoute(path: string, fn: lambda.IFunction): apigateway.Method {
        return addGetRoute(this.restApi, this.validator, path, fn, authorization);
      }
      public grantInvoke(grantee: iam.IGrantable): iam.Grant {
        return grantInvoke(grantee, this.restApi, attrs.stageName ?? this.restApi.deploymentStage.stageName);
      }
    }
    return new Import(scope, id);
  }

  public readonly restApi: apigateway.RestApi;
  public readonly accessLogs: logs.LogGroup;
  private readonly bodyValidator: apigateway.RequestValidator;
  private readonly cognito: boolean;
  private privateEndpoint?: ec2.IVpcEndpoint;

  constructor(scope: Construct, id: string, props: ModelApiProps = {}) {
    super(scope, id);
    const stageName = props.stageName ?? 'v1';
    const throttlingRateLimit = props.throttleRateLimit ?? 10;
    const throttlingBurstLimit = props.throttleBurstLimit ?? 20;
    for (const [key, value] of Object.entries({ throttleRateLimit: throttlingRateLimit, throttleBurstLimit: throttlingBurstLimit })) {
      if (!Token.isUnresolved(value) && (!Number.isInteger(value) || value < 1)) {
        throw new Error(`${key} must be a positive integer, got ${value}`);
      }
    }

    this.cognito = props.cognito !== undefined;
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH });
    this.restApi = new apigateway.RestApi(this, 'Api', {
      description: props.cognito ? 'genai-blueprint model API (Cognito access tokens only)' : 'genai-blueprint model API (SigV4-signed requests only)',
      endpointTypes: [apigateway.EndpointType.REGIONAL],
      // Execution logs need the account-level API Gateway CloudWatch role; CDK sets it and keeps it on delete.
      cloudWatchRole: true,
      defaultMethodOptions: routeAuthorization(props.cognito),
      deployOptions: {
        stageName,
        tracingEnabled: true,
        metricsEnabled: true,
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        // Request and response bodies hold prompts and answers: never in execution logs.
        dataTraceEnabled: false,
        throttlingRateLimit,
        throttlingBurstLimit,
        accessLogDestination: new apigateway.LogGroupLogDestination(this.accessLogs),
        accessLogFormat: apigateway.AccessLogFormat.jsonWithStandardFields(),
      },
    });
    // Checks bodies against the route's model and required parameters (path, query, headers).
    this.bodyValidator = this.restApi.addRequestValidator('BodyValidator', { validateRequestBody: true, validateRequestParameters: true });

    // API Gateway's own 4xx/5xx answers get the same JSON shape as the functions' errors.
    const errorBody = { 'application/json': '{"error":$context.error.messageString,"requestId":"$context.requestId"}' };
    this.restApi.addGatewayResponse('Default4xx', { type: apigateway.ResponseType.DEFAULT_4XX, templates: errorBody });
    this.restApi.addGatewayResponse('Default5xx', { type: apigateway.ResponseType.DEFAULT_5XX, templates: errorBody });
    this.restApi.addGatewayResponse('BadRequestBody', {
      type: apigateway.ResponseType.BAD_REQUEST_BODY,
      templates: {
        'application/json': '{"error":"Request body does not match the route schema; see the README for the fields","requestId":"$context.requestId"}',
      },
    });
    this.restApi.addGatewayResponse('Throttled', {
      type: apigateway.ResponseType.THROTTLED,
      responseHeaders: { 'Retry-After': "'1'" },
      templates: errorBody,
    });

    if (!props.cognito) {
      Validations.of(this.restApi).acknowledge({
        id: 'AwsSolutions-COG4',
        reason: 'Every method of this API authorizes with AWS_IAM (SigV4-signed requests of AWS principals) instead of a Cognito user pool authorizer',
      });
    }
    Validations.of(this.restApi.node.findChild('CloudWatchRole')).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason: 'AWS-managed policy made for exactly this role: API Gateway pushing execution logs to CloudWatch Logs',
    });

    new CfnOutput(this, 'Url', {
      value: this.restApi.url,
      description: props.cognito ? 'Base URL of the API (requests need a Cognito access token)' : 'Base URL of the API (requests must be SigV4-signed)',
    });
  }

  /**
   * Says why this stage has no WAF web ACL (cdk-nag AwsSolutions-APIG3). Call it only where that
   * holds: a stage with a web ACL (ModelGateway) must not carry the acknowledgement.
   */
  public acknowledgeNoWebAcl(reason: string): void {
    Validations.of(this.restApi).acknowledge({ id: 'AwsSolutions-APIG3', reason });
  }

  /**
   * Makes the API PRIVATE: reachable only through `endpoint`, an `execute-api` interface endpoint
   * (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-private-apis.html).
   * The endpoint is associated with the API (an alias hostname that works without private DNS), and
   * the resource policy denies every request that does not come through it (`aws:SourceVpce`,
   * https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-resource-policies-examples.html)
   * and allows the rest to the callers the routes already admit: this account's IAM principals
   * (SigV4, which still need an identity policy, as `grantInvoke` gives), or anyone holding a Cognito
   * token the authorizer accepts. The stage is deployed again, since API Gateway applies a changed
   * resource policy only with a new deployment.
   */
  public makePrivate(endpoint: ec2.IVpcEndpoint): void {
    if (this.privateEndpoint) throw new Error(`${this.node.path} is already private through ${this.privateEndpoint.node.path}; makePrivate takes one endpoint`);
    this.privateEndpoint = endpoint;
    const api = this.restApi.node.defaultChild as apigateway.CfnRestApi;
    // Private APIs take only the dualstack IP address type; API Gateway also sets it when a regional API turns private
    // (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-ip-address-type.html). Said here so the
    // template matches what API Gateway holds.
    api.endpointConfiguration = {
      types: [apigateway.EndpointType.PRIVATE],
      vpcEndpointIds: [endpoint.vpcEndpointId],
      ipAddressType: apigateway.IpAddressType.DUAL_STACK,
    };
    // Not RestApi.grantInvokeFromVpcEndpointsOnly: its Allow names any principal, so on SigV4 routes every principal
    // of this account would pass without an identity policy, and other accounts' principals with one of their own.
    // And set here, not in the RestApi's props: the stack builds the API before the network whose endpoint it admits.
    // `execute-api:/*` is this API's own ARN, expanded by API Gateway (its id would be a circular reference).
    const resources = ['execute-api:/*'];
    const actions = ['execute-api:Invoke'];
    this.restApi.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyOutsideTheVpcEndpoint',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions,
        resources,
        conditions: { StringNotEquals: { 'aws:SourceVpce': endpoint.vpcEndpointId } },
      }),
    );
    this.restApi.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: this.cognito ? 'AllowCognitoCallers' : 'AllowThisAccount',
        effect: iam.Effect.ALLOW,
        principals: [this.cognito ? new iam.AnyPrincipal() : new iam.AccountRootPrincipal()],
        actions,
        resources,
      }),
    );
    this.restApi.latestDeployment?.addToLogicalId({ privateThrough: endpoint.vpcEndpointId });
    const url = this.node.findChild('Url') as CfnOutput;
    // A literal: CloudFormation takes no intrinsic in an output's description.
    url.description = `${url.description}; PRIVATE: reachable only through the VPC's execute-api endpoint`;
  }

  /** Adds `POST /<path>` proxied to `fn` (buffered or streamed), with the body validated against `options.bodySchema`. */
  public addJsonRoute(path: string, fn: lambda.IFunction, options: JsonRouteOptions): apigateway.Method {
    return addJsonRoute(this.restApi, this.bodyValidator, (modelId, props) => this.restApi.addModel(modelId, props), path, fn, options);
  }

  /**
   * Adds `GET /<path>` proxied to `fn`, where `path` holds `{parameters}` API Gateway must see
   * before the function runs (the same validator as the JSON routes checks them).
   */
  public addGetRoute(path: string, fn: lambda.IFunction): apigateway.Method {
    return addGetRoute(this.restApi, this.bodyValidator, path, fn);
  }

  /** Lets `grantee` (a user, role or CI principal) call every route of this API. */
  public grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return grantInvoke(grantee, this.restApi, this.restApi.deploymentStage.stageName);
  }
}

/** What every route requires: an access token of the Cognito authorizer with its scopes, or a SigV4 signature. */
function routeAuthorization(cognito: ModelApiProps['cognito']): apigateway.MethodOptions {
  return cognito
    ? { authorizationType: apigateway.AuthorizationType.COGNITO, authorizer: cognito.authorizer, authorizationScopes: [...cognito.scopes] }
    : { authorizationType: apigateway.AuthorizationType.IAM };
}

/** `authorization`: set on the method itself, where the API has no default method options (an imported API). */
function addJsonRoute(
  restApi: apigateway.IRestApi,
  validator: apigateway.IRequestValidator,
  addModel: (id: string, props: apigateway.ModelOptions) => apigateway.IModel,
  path: string,
  fn: lambda.IFunction,
  options: JsonRouteOptions,
  authorization?: apigateway.MethodOptions,
): apigateway.Method {
  const streaming = options.responseStreaming ?? false;
  const timeout = options.timeout ?? (streaming ? Duration.minutes(5) : Duration.seconds(29));
  const maxSeconds = streaming ? 900 : 29;
  if (!Token.isUnresolved(timeout.toSeconds()) && (timeout.toMilliseconds() < 50 || timeout.toSeconds() > maxSeconds)) {
    throw new Error(
      `timeout of ${path} must be between 50 ms and ${maxSeconds} s for a ${streaming ? 'streamed' : 'buffered'} route, got ${timeout.toSeconds()} s`,
    );
  }
  const resource = restApi.root.resourceForPath(path);
  const model = addModel(`${options.modelName}Model`, {
    contentType: 'application/json',
    modelName: options.modelName,
    schema: options.bodySchema,
  });
  const integration = new apigateway.LambdaIntegration(fn, {
    timeout,
    ...(streaming ? { responseTransferMode: apigateway.ResponseTransferMode.STREAM } : {}),
  });
  return stablePermissionIds(
    resource.addMethod('POST', integration, {
      ...authorization,
      requestValidator: validator,
      requestModels: { 'application/json': model },
    }),
  );
}

function addGetRoute(
  restApi: apigateway.IRestApi,
  validator: apigateway.IRequestValidator,
  path: string,
  fn: lambda.IFunction,
  authorization?: apigateway.MethodOptions,
): apigateway.Method {
  const parameters = [...path.matchAll(/\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]);
  return stablePermissionIds(
    restApi.root.resourceForPath(path).addMethod('GET', new apigateway.LambdaIntegration(fn, { timeout: Duration.seconds(29) }), {
      ...authorization,
      requestValidator: validator,
      requestParameters: Object.fromEntries(parameters.map((name) => [`method.request.path.${name}`, true])),
    }),
  );
}

function grantInvoke(grantee: iam.IGrantable, restApi: apigateway.IRestApi, stageName: string): iam.Grant {
  return iam.Grant.addToPrincipal({ grantee, actions: ['execute-api:Invoke'], resourceArns: [restApi.arnForExecuteApi('*', '/*', stageName)] });
}

/**
 * LambdaIntegration names a method's invoke permissions after the API's unique id, which carries the
 * stack id, so each ground renamed (replaced) every permission: logical ids from the method's own instead.
 */
function stablePermissionIds(method: apigateway.Method): apigateway.Method {
  const methodId = Stack.of(method).getLogicalId(method.node.defaultChild as CfnElement);
  for (const child of method.node.children) {
    if (child instanceof lambda.CfnPermission && child.node.id.startsWith('ApiPermission.')) {
      child.overrideLogicalId(`${methodId}${child.node.id.startsWith('ApiPermission.Test.') ? 'TestInvoke' : 'Invoke'}Permission`);
    }
  }
  return method;
}
