import { Duration, Token, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { ModelApi } from '../api/model-api';
import { BlueprintFunction } from '../shared/blueprint-function';
import type { BedrockModel } from '../shared/bedrock-model';

export interface ModelCallProps {
  /** The API that serves `POST /prompt`. */
  readonly api: ModelApi;
  /** The model (or inference profile) that answers. */
  readonly model: BedrockModel;
  /** Cap on generated tokens per call. @default 1024 */
  readonly maxTokens?: number;
  /** @default 0.5 */
  readonly temperature?: number;
  /** Longest accepted query, in characters. @default 8000 */
  readonly maxQueryChars?: number;
  /** Attempts per model call including the first. @default 3 */
  readonly maxAttempts?: number;
  /** Socket timeout of one attempt; must be below `timeout`. @default Duration.seconds(20) */
  readonly attemptTimeout?: Duration;
  /** @default 1024 */
  readonly memorySize?: number;
  /** Function timeout, at most API Gateway's 29 s integration timeout. @default Duration.seconds(29) */
  readonly timeout?: Duration;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** @default no reserved concurrency */
  readonly reservedConcurrentExecutions?: number;
}

/**
 * Ground 0: `POST /prompt` → prompt function → Bedrock Converse on one model, with IAM scoped to
 * exactly that model or inference profile.
 */
export class ModelCall extends Construct {
  public readonly promptFunction: BlueprintFunction;
  public readonly method: apigateway.Method;

  constructor(scope: Construct, id: string, props: ModelCallProps) {
    super(scope, id);
    const maxTokens = props.maxTokens ?? 1024;
    const temperature = props.temperature ?? 0.5;
    const maxQueryChars = props.maxQueryChars ?? 8000;
    const maxAttempts = props.maxAttempts ?? 3;
    const attemptTimeout = props.attemptTimeout ?? Duration.seconds(20);
    const timeout = props.timeout ?? Duration.seconds(29);

    checkRange('maxTokens', maxTokens, 1, 64_000);
    checkRange('temperature', temperature, 0, 1);
    checkRange('maxQueryChars', maxQueryChars, 1, 100_000);
    checkRange('maxAttempts', maxAttempts, 1, 10);
    checkRange('timeout', timeout.toSeconds(), 1, 29);
    if (attemptTimeout.toMilliseconds() >= timeout.toMilliseconds()) {
      throw new Error(`attemptTimeout must be below timeout (${timeout.toSeconds()} s), got ${attemptTimeout.toSeconds()} s`);
    }

    this.promptFunction = new BlueprintFunction(this, 'PromptFunction', {
      handlerDir: 'prompt',
      description: 'genai-blueprint: answers POST /prompt through Bedrock Converse',
      memorySize: props.memorySize ?? 1024,
      timeout,
      logRetention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      invokedBy: 'api-gateway',
      environment: {
        MODEL_ID: props.model.invocationId,
        MAX_TOKENS: String(maxTokens),
        TEMPERATURE: String(temperature),
        MAX_QUERY_CHARS: String(maxQueryChars),
        BEDROCK_MAX_ATTEMPTS: String(maxAttempts),
        BEDROCK_ATTEMPT_TIMEOUT_MS: String(attemptTimeout.toMilliseconds()),
      },
    });
    props.model.grantInvoke(this, this.promptFunction);
    const finding = props.model.nagRegionWildcardFinding();
    if (finding) {
      Validations.of(this.promptFunction.role!).acknowledge({
        id: finding,
        reason: 'A cross-region inference profile may route to any Region of its geography; the statement only applies to calls made through the one configured profile (bedrock:InferenceProfileArn condition)',
      });
    }

    this.method = props.api.addJsonRoute('prompt', this.promptFunction, {
      modelName: 'PromptRequest',
      bodySchema: {
        schema: apigateway.JsonSchemaVersion.DRAFT4,
        type: apigateway.JsonSchemaType.OBJECT,
        required: ['query'],
        additionalProperties: false,
        properties: {
          query: { type: apigateway.JsonSchemaType.STRING, minLength: 1, maxLength: maxQueryChars },
          maxTokens: { type: apigateway.JsonSchemaType.INTEGER, minimum: 1, maximum: maxTokens },
          temperature: { type: apigateway.JsonSchemaType.NUMBER, minimum: 0, maximum: 1 },
        },
      },
    });
  }
}

function checkRange(key: string, value: number, min: number, max: number): void {
  if (Token.isUnresolved(value)) return;
  if (!(value >= min && value <= max)) throw new Error(`${key} must be between ${min} and ${max}, got ${value}`);
}
