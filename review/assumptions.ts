import { z } from 'zod';
import { TEXT_MODEL_ALIASES } from '../lib/config/models';
import { PRICING_REGIONS } from './prices';

/**
 * What a cost sheet assumes about traffic: one place, printed with every sheet. Defaults follow the
 * configuration's defaults where one exists (model.alias nova-lite, knowledgeBase.defaultTopK 5,
 * chunking.maxTokens 300); the rest are stated guesses an architect is expected to replace.
 */

const count = () => z.number().min(0);

const routeSchema = z.strictObject({
  /** Requests a month on this route (the monthly total multiplies the per-1,000 cost by it). */
  monthlyRequests: count(),
  /** Wall time of the route's function per request (it waits for the model, agent or endpoint). */
  lambdaMs: count(),
  /** DynamoDB request units per request, when the stack has the table the route uses. */
  dynamoReadUnits: count().default(0),
  dynamoWriteUnits: count().default(0),
});

export const costAssumptionsSchema = z.strictObject({
  region: z.enum(PRICING_REGIONS).default('us-east-1'),
  /** Catalog alias of the model answering model routes (configuration default: nova-lite). */
  model: z.enum(TEXT_MODEL_ALIASES as [string, ...string[]]).default('nova-lite'),
  /** Prompt sent per model call before retrieval: system prompt (persona, instructions, examples) + the query. */
  inputTokens: count().default(800),
  outputTokens: count().default(300),
  /** Characters of the client's text (the query) that the input guardrail checks. */
  queryChars: count().default(800),
  /** Characters per token, to turn answer tokens into guardrail text units (1 unit ≤ 1,000 characters). */
  charsPerToken: count().default(4),
  /** Passages retrieved per request when the stack has a knowledge base (knowledgeBase.defaultTopK). */
  retrievedPassages: count().default(5),
  /** Tokens per passage (knowledgeBase.chunking.maxTokens). */
  tokensPerPassage: count().default(300),
  /** Tokens of the query embedded for retrieval and for the semantic cache. */
  queryEmbeddingTokens: count().default(100),
  /** Share of model-route requests answered from the cache when the stack has one (ground 5+). */
  cacheHitRate: z.number().min(0).max(1).default(0.2),
  /** ECPUs per request on the cache: exact lookup, semantic buckets read, fill on a miss (1 ECPU per KB). */
  cacheEcpuPerRequest: count().default(20),
  /** Bytes logged per request (function log, API access log), all ingested into CloudWatch Logs. */
  logBytesPerRequest: count().default(3_000),
  /** Agent route: model calls per request (orchestration steps), each with its own prompt and answer. */
  agentModelCalls: count().default(3),
  agentInputTokensPerCall: count().default(2_000),
  /** Predict route: time the Serverless Inference endpoint computes per prediction, and bytes in + out. */
  predictEndpointMs: count().default(100),
  predictBytes: count().default(2_000),
  routes: z
    .strictObject({
      model: routeSchema.prefault({ monthlyRequests: 100_000, lambdaMs: 3_000, dynamoReadUnits: 2, dynamoWriteUnits: 4 }),
      agent: routeSchema.prefault({ monthlyRequests: 10_000, lambdaMs: 10_000, dynamoReadUnits: 2, dynamoWriteUnits: 2 }),
      predict: routeSchema.prefault({ monthlyRequests: 10_000, lambdaMs: 300 }),
      sessions: routeSchema.prefault({ monthlyRequests: 10_000, lambdaMs: 100, dynamoReadUnits: 10 }),
      feedback: routeSchema.prefault({ monthlyRequests: 5_000, lambdaMs: 100, dynamoReadUnits: 1, dynamoWriteUnits: 2 }),
    })
    .prefault({})
    .describe('Per route kind; the model volume is split evenly across the model routes a stack has (/prompt, /chat/stream, /v1/chat/completions).'),
});

export type CostAssumptions = z.output<typeof costAssumptionsSchema>;
export type RouteKind = keyof CostAssumptions['routes'];

export const DEFAULT_ASSUMPTIONS: CostAssumptions = costAssumptionsSchema.parse({});
