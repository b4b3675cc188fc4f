/** The model port every handler core depends on; `bedrock.ts` adapts it to Converse. */
export interface ModelMessage {
  readonly role: 'user' | 'assistant';
  readonly text: string;
}

export interface ModelRequest {
  /** Foundation model id or inference profile id. */
  readonly modelId: string;
  readonly system?: readonly string[];
  readonly messages: readonly ModelMessage[];
  readonly maxTokens: number;
  readonly temperature: number;
}

export interface TokenUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly totalTokens: number;
}

export interface ModelReply {
  readonly text: string;
  readonly stopReason: string;
  readonly usage: TokenUsage;
  readonly latencyMs: number;
}

export interface ModelPort {
  converse(request: ModelRequest, signal?: AbortSignal): Promise<ModelReply>;
}
