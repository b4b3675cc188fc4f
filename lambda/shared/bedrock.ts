import { BedrockRuntimeClient, ConverseCommand, type Message } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { ModelPort, ModelReply, ModelRequest } from './model';
import { HttpError } from './http';
import { tracer } from './observability';

export interface BedrockClientSettings {
  /** Attempts per call including the first; the SDK's standard mode backs off with full jitter. */
  readonly maxAttempts: number;
  /** Socket-level timeout of one attempt, in milliseconds. */
  readonly attemptTimeoutMs: number;
}

/**
 * A Bedrock runtime client over HTTP/1.1 keep-alive (the SDK default for this client is a new
 * HTTP/2 session per request). Endpoint overrides come from the SDK's own
 * `AWS_ENDPOINT_URL_BEDROCK_RUNTIME`, which is how tests point it at a loopback fake.
 */
export function createBedrockRuntime(settings: BedrockClientSettings): BedrockRuntimeClient {
  return tracer.captureAWSv3Client(
    new BedrockRuntimeClient({
      maxAttempts: settings.maxAttempts,
      retryMode: 'standard',
      requestHandler: new NodeHttpHandler({
        connectionTimeout: Math.min(3_000, settings.attemptTimeoutMs),
        requestTimeout: settings.attemptTimeoutMs,
        throwOnRequestTimeout: true,
      }),
    }),
  );
}

/** Adapts Converse to the handlers' model port. */
export function converseModel(client: BedrockRuntimeClient): ModelPort {
  return {
    async converse(request: ModelRequest, signal?: AbortSignal): Promise<ModelReply> {
      const messages: Message[] = request.messages.map((m) => ({ role: m.role, content: [{ text: m.text }] }));
      const started = performance.now();
      const out = await client.send(
        new ConverseCommand({
          modelId: request.modelId,
          messages,
          system: request.system?.map((text) => ({ text })),
          inferenceConfig: { maxTokens: request.maxTokens, temperature: request.temperature },
        }),
        { abortSignal: signal },
      );
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
