import type { RetrievalFilter } from './retrieval-filter';

/** The ports every handler core depends on; `bedrock.ts` adapts them to the AWS SDK. */
export interface ModelMessage {
  readonly role: 'user' | 'assistant';
  readonly text: string;
}

export interface ModelRequest {
  /** Foundation model id or inference profile id. */
  readonly modelId: string;
  readonly system?: readonly string[];
  /** Put a prompt-cache checkpoint after the system blocks. */
  readonly cacheSystem?: boolean;
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

/** A prompt version as the function renders it. */
export interface PromptTemplate {
  readonly version: string;
  readonly system: string;
  readonly cacheSystem: boolean;
  readonly user: string;
  /** Variables a request may fill (query and context excluded), with their defaults. */
  readonly variables: readonly string[];
  readonly defaults: Readonly<Record<string, string>>;
}

export interface PromptPort {
  load(signal?: AbortSignal): Promise<PromptTemplate>;
}

export interface Passage {
  readonly text: string;
  readonly source: string;
  readonly score: number;
}

export interface KnowledgePort {
  /** `filter` is required: every Retrieve is scoped to the caller's tenant (retrieval-filter.ts scopedFilter). */
  retrieve(query: string, topK: number, filter: RetrievalFilter, signal?: AbortSignal): Promise<Passage[]>;
}

export interface GuardrailContent {
  readonly text: string;
  readonly qualifier?: 'grounding_source' | 'query' | 'guard_content';
}

export interface GuardrailVerdict {
  /** The guardrail blocked the content (any policy with action BLOCKED). */
  readonly blocked: boolean;
  /** A contextual grounding or relevance filter blocked it. */
  readonly ungrounded: boolean;
  /** When the guardrail intervened: its output (the blocked message, or the masked text), joined. */
  readonly output?: string;
  /** The guardrail's `outputs`, one text each, as it returned them (see shared/input-guard.ts for how they map to blocks). */
  readonly outputs?: readonly string[];
  readonly intervened: boolean;
}

export interface GuardrailPort {
  apply(source: 'INPUT' | 'OUTPUT', content: readonly GuardrailContent[], signal?: AbortSignal): Promise<GuardrailVerdict>;
}

/** What the guardrail did to a request's input or its answer (`not-checked`: no guardrail at this ground). */
export type GuardrailOutcome = 'none' | 'masked' | 'blocked' | 'ungrounded' | 'not-checked';
