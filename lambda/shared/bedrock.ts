import { ApplyGuardrailCommand, BedrockRuntimeClient, ConverseCommand, type Message, type SystemContentBlock } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { GuardrailPort, GuardrailVerdict, ModelPort, ModelReply, ModelRequest } from './model';
import { HttpError } from './http';
import { tracer } from './observability';

export interface BedrockClientSettings {
  /** Attempts per call including the first; the SDK's standard mode backs off with full jitter. */
  readonly maxAttempts: number;
  /** Socket-level timeout of one attempt, in milliseconds. */
  readonly attemptTimeoutMs: number;
}

/**
 * Bedrock clients over HTTP/1.1 keep-alive (the runtime client's SDK default is a new HTTP/2
 * session per request), with standard retries and a per-attempt timeout. Endpoint overrides come
 * from the SDK's own `AWS_ENDPOINT_URL_BEDROCK_*`, which is how tests reach a loopback fake.
 */
export function createBedrockRuntime(settings: BedrockClientSettings): BedrockRuntimeClient {
  return tracer.captureAWSv3Client(new BedrockRuntimeClient(clientConfig(settings)));
}

/** The settings every Bedrock client shares (this file's, bedrock-agent.ts's and bedrock-agent-runtime.ts's), and the ingest function's SQS client. */
export function clientConfig(settings: BedrockClientSettings) {
  return {
    maxAttempts: settings.maxAttempts,
    retryMode: 'standard',
    requestHandler: new NodeHttpHandler({
      connectionTimeout: Math.min(3_000, settings.attemptTimeoutMs),
      requestTimeout: settings.attemptTimeoutMs,
      throwOnRequestTimeout: true,
    }),
  };
}

/** The body Converse and ConverseStream share: messages, system blocks (+ cache point), caps. */
export function converseInput(request: ModelRequest) {
  return {
    modelId: request.modelId,
    messages: request.messages.map((m): Message => ({ role: m.role, content: [{ text: m.text }] })),
    system: request.system && [
      ...request.system.map((text): SystemContentBlock => ({ text })),
      ...(request.cacheSystem ? [{ cachePoint: { type: 'default' } } as SystemContentBlock] : []),
    ],
    inferenceConfig: { maxTokens: request.maxTokens, temperature: request.temperature },
  };
}

/** Adapts Converse to the handlers' model port. */
export function converseModel(client: BedrockRuntimeClient): ModelPort {
  return {
    async converse(request: ModelRequest, signal?: AbortSignal): Promise<ModelReply> {
      const started = performance.now();
      const out = await client.send(new ConverseCommand(converseInput(request)), { abortSignal: signal });
      // The SDK does not check reply shapes: anything unexpected is a malformed answer, not a crash.
      const content: unknown = out.output?.message?.content;
      const usage: unknown = out.usage;
      if (!Array.isArray(content) || typeof out.stopReason !== 'string' || !isUsage(usage)) {
        throw new HttpError(502, 'The model returned a malformed answer');
      }
      const text = content.map((block: { text?: unknown }) => (typeof block?.text === 'string' ? block.text : '')).join('');
      return {
        text,
        stopReason: out.stopReason,
        usage: { inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, totalTokens: usage.inputTokens + usage.outputTokens },
        latencyMs: out.metrics?.latencyMs ?? Math.round(performance.now() - started),
      };
    },
  };
}

function isUsage(value: unknown): value is { inputTokens: number; outputTokens: number } {
  const u = value as { inputTokens?: unknown; outputTokens?: unknown } | undefined;
  return Number.isInteger(u?.inputTokens) && Number.isInteger(u?.outputTokens);
}

/**
 * ApplyGuardrail on one pinned guardrail version. One call carries several content blocks
 * (`content` is an array of GuardrailContentBlock, and every block without a qualifier is
 * evaluated: https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ApplyGuardrail.html,
 * https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-use-independent-api.html).
 */
export function guardrail(client: BedrockRuntimeClient, guardrailIdentifier: string, guardrailVersion: string): GuardrailPort {
  return {
    async apply(source, content, signal): Promise<GuardrailVerdict> {
      const out = await client.send(
        new ApplyGuardrailCommand({
          guardrailIdentifier,
          guardrailVersion,
          source,
          content: content.map((c) => ({ text: { text: c.text, ...(c.qualifier ? { qualifiers: [c.qualifier] } : {}) } })),
        }),
        { abortSignal: signal },
      );
      if (out.action !== 'NONE' && out.action !== 'GUARDRAIL_INTERVENED') throw new HttpError(502, 'The guardrail returned a malformed answer');
      const intervened = out.action === 'GUARDRAIL_INTERVENED';
      const ungrounded = (out.assessments ?? []).some((a) => a.contextualGroundingPolicy?.filters?.some((f) => f.action === 'BLOCKED'));
      const outputs = Array.isArray(out.outputs) ? out.outputs.map((o) => (typeof o?.text === 'string' ? o.text : '')) : [];
      return {
        intervened,
        ungrounded,
        blocked: intervened && (ungrounded || hasBlockedAction(out.assessments)),
        output: outputs.join('') || undefined,
        outputs,
      };
    },
  };
}

/** Any policy in the assessments that BLOCKED (as opposed to masking PII). */
function hasBlockedAction(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasBlockedAction);
  if (value && typeof value === 'object') {
    return Object.entries(value).some(([key, v]) => (key === 'action' && v === 'BLOCKED') || hasBlockedAction(v));
  }
  return false;
}
