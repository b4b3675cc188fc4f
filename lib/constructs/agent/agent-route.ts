import { Duration, Token } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ACTION_GROUPS } from '../../../contracts/agent-actions';
import { AGENT_SESSION_ID_PATTERN } from '../../../contracts/ids';
import type { IModelApi } from '../api/model-api';
import type { IAgent } from './agent';
import { type GatewayTenant, tenantDirectoryJson } from '../shared/tenants';
import { BlueprintFunction } from '../shared/blueprint-function';
import { checkInteger } from '../shared/checks';
import type { IRouteBlock } from '../shared/routes';
import { MODEL_PRICE_ENV } from '../../../contracts/model-call';
import { agentEnvSchema, functionEnvironment } from '../../../contracts/env';

export interface AgentRouteProps {
  /** The API that serves `POST /agent`. */
  readonly api: IModelApi;
  /** The agent alias `POST /agent` invokes. */
  readonly agent: IAgent;
  /** Longest accepted input, in characters (InvokeAgent takes at most 25,000). @default 4000 */
  readonly maxInputChars?: number;
  /**
   * Gateway tenants by the API key id API Gateway reports: the tenant becomes a session attribute
   * the action Lambda scopes data by. @default none: every caller is of the tenant `default`
   */
  readonly tenants?: readonly GatewayTenant[];
  /** Attempts of one InvokeAgent call (only before the stream starts). @default 2 */
  readonly maxAttempts?: number;
  /** Longest silence of the agent's stream before an attempt fails; below `timeout`. @default Duration.seconds(25) */
  readonly attemptTimeout?: Duration;
  /** @default 512 */
  readonly memorySize?: number;
  /** At most API Gateway's 29 s integration timeout. @default Duration.seconds(29) */
  readonly timeout?: Duration;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** @default no reserved concurrency */
  readonly reservedConcurrentExecutions?: number;
}

/**
 * `POST /agent`: a turn of a conversation with the agent's alias (answer, citations, trace id),
 * or the caller's answer to a confirmation question. The function may invoke that alias only.
 */
export class AgentRoute extends Construct implements IRouteBlock {
  public readonly agentFunction: BlueprintFunction;
  public readonly method: apigateway.Method;
  public get routeFunctions(): BlueprintFunction[] {
    return [this.agentFunction];
  }
  public get methods(): apigateway.Method[] {
    return [this.method];
  }

  constructor(scope: Construct, id: string, props: AgentRouteProps) {
    super(scope, id);
    const maxInputChars = props.maxInputChars ?? 4_000;
    const maxAttempts = props.maxAttempts ?? 2;
    const timeout = props.timeout ?? Duration.seconds(29);
    const attemptTimeout = props.attemptTimeout ?? Duration.seconds(25);
    checkInteger('maxInputChars', maxInputChars, 1, 25_000);
    checkInteger('maxAttempts', maxAttempts, 1, 5);
    checkInteger('timeout (seconds)', timeout.toSeconds(), 1, 29);
    if (!Token.isUnresolved(timeout.toSeconds()) && attemptTimeout.toMilliseconds() >= timeout.toMilliseconds()) {
      throw new Error(`attemptTimeout must be below timeout (${timeout.toSeconds()} s), got ${attemptTimeout.toSeconds()} s`);
    }
    const model = props.agent.model;
    if (model && model.model.kind !== 'text') throw new Error(`agent.model must be a text model, got ${model.alias}`);

    this.agentFunction = new BlueprintFunction(this, 'AgentFunction', {
      handlerDir: 'agent',
      description: 'genai-blueprint: answers POST /agent through the Bedrock agent alias',
      memorySize: props.memorySize ?? 512,
      timeout,
      logRetention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      invokedBy: 'api-gateway',
      environment: functionEnvironment(agentEnvSchema, {
        AGENT_ID: props.agent.agentId,
        AGENT_ALIAS_ID: props.agent.aliasId,
        MAX_INPUT_CHARS: String(maxInputChars),
        BEDROCK_MAX_ATTEMPTS: String(maxAttempts),
        BEDROCK_ATTEMPT_TIMEOUT_MS: String(attemptTimeout.toMilliseconds()),
        ...(props.tenants?.length ? { TENANTS: tenantDirectoryJson(this, props.tenants) } : {}),
        // Every search of the agent's knowledge base is scoped to the caller's tenant (lambda/agent/core.ts).
        ...(props.agent.knowledgeBaseId ? { KNOWLEDGE_BASE_ID: props.agent.knowledgeBaseId } : {}),
        // The usage record's Model and price, in the names and format the chat-stream function reads.
        ...(model?.model.kind === 'text'
          ? {
              MODEL_ALIAS: model.alias,
              [MODEL_PRICE_ENV]: JSON.stringify({ inputPerMTok: model.model.price.inputPerMTok, outputPerMTok: model.model.price.outputPerMTok }),
            }
          : {}),
      }),
    });
    props.agent.grantInvoke(this.agentFunction);

    const confirmable = ACTION_GROUPS.flatMap((g) => g.functions.filter((f) => f.requireConfirmation).map((f) => f.name));
    const sessionId = { type: apigateway.JsonSchemaType.STRING, pattern: AGENT_SESSION_ID_PATTERN.source };
    this.method = props.api.addJsonRoute('agent', this.agentFunction, {
      modelName: 'AgentRequest',
      bodySchema: {
        schema: apigateway.JsonSchemaVersion.DRAFT4,
        type: apigateway.JsonSchemaType.OBJECT,
        additionalProperties: false,
        properties: {
          input: { type: apigateway.JsonSchemaType.STRING, minLength: 1, maxLength: maxInputChars },
          sessionId,
          confirm: {
            type: apigateway.JsonSchemaType.OBJECT,
            additionalProperties: false,
            required: ['invocationId', 'function', 'confirmed'],
            properties: {
              invocationId: { type: apigateway.JsonSchemaType.STRING, pattern: '^[A-Za-z0-9-]{1,100}$' },
              function: { type: apigateway.JsonSchemaType.STRING, enum: confirmable },
              confirmed: { type: apigateway.JsonSchemaType.BOOLEAN },
            },
          },
        },
        // A new turn, or the answer to a confirmation in an existing conversation.
        oneOf: [{ required: ['input'] }, { required: ['sessionId', 'confirm'] }],
      },
    });
  }
}
