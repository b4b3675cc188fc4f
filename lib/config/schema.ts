import { z } from 'zod';
import { catalogModel, INFERENCE_ROUTES, MODEL_ALIASES, MODEL_CATALOG, TEXT_MODEL_ALIASES } from './models';
import { DEFAULT_BLOCKED_INPUT_MESSAGE, DEFAULT_BLOCKED_OUTPUT_MESSAGE, DEFAULT_PII_ENTITIES, PII_ENTITY_TYPES } from './guardrail-defaults';
import { DEFAULT_PROMPT, RESERVED_VARIABLES } from './prompts';
import { agentSchema } from './agent';
import { deliverySchema } from './delivery';
import { NOT_SHOWN, authSchema, checkAuth, shownValue } from './auth';
import { observabilitySchema, pipelineSchema } from './operations';
import { predictiveMlSchema } from './predictive-ml';
import { feedbackSchema, sessionsSchema } from './sessions';
import { networkSchema } from './network';
import { ConfigError } from './errors';
import { TENANT_TIERS } from '../../contracts/tenants';
import { TENANT_NAME_PATTERN } from '../../contracts/ids';

/**
 * The one configuration schema of the blueprint. Every key has a default; cdk.json context and
 * `-c key=value` only override. Keys are dotted paths (`-c model.alias=claude-haiku-4-5`).
 */

const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

/** API Gateway's default integration timeout for REST APIs; a synchronous function must answer within it. */
export const REST_INTEGRATION_TIMEOUT_SECONDS = 29;

const int = (min: number, max: number) => z.int().min(min).max(max);
const text = (max: number) => z.string().min(1).max(max);

const EMBEDDING_MODEL_ALIASES = MODEL_ALIASES.filter((a) => MODEL_CATALOG[a].kind === 'embedding');

/** Ground 1: the prompt's sections. `{{name}}` in a section refers to a declared variable. */
const promptSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, underscores or hyphens')
    .describe('Name of the Bedrock prompt.'),
  description: text(200).describe('Description of the Bedrock prompt.'),
  persona: text(2_000).describe('Who the model is (first section of the system prompt).'),
  objective: text(2_000).describe('What every answer must achieve.'),
  instructions: text(8_000).describe('How to answer, for example how to use the retrieved context.'),
  constraints: z.array(text(1_000)).max(20).describe('Rules the model must keep, one per entry.'),
  tone: text(500).describe('How answers sound.'),
  examples: z
    .array(z.strictObject({ input: text(2_000).describe('An example query.'), output: text(4_000).describe('The answer expected for it.') }))
    .max(5)
    .describe('Example queries and answers shown to the model.'),
  variables: z
    .array(
      z.strictObject({
        name: z
          .string()
          .regex(/^[a-z][A-Za-z0-9_]{0,39}$/, 'must start with a lowercase letter and hold at most 40 letters, digits or underscores')
          .refine((n) => !(RESERVED_VARIABLES as readonly string[]).includes(n), `is reserved: ${RESERVED_VARIABLES.join(', ')} are filled by the blueprint`)
          .describe('Name used as `{{name}}` in the sections and as a key of `variables` in a request.'),
        description: text(200).describe('What the variable holds.'),
        default: z.string().max(1_000).optional().describe('Value used when a request passes none. Unset: a request must pass it.'),
      }),
    )
    .max(10)
    .describe('Variables a request may fill (`variables` in the body); `query` and `context` are reserved.'),
});

const CHUNKING_STRATEGIES = ['fixed', 'hierarchical', 'semantic', 'none'] as const;

/** Ground 2: the knowledge base. */
const knowledgeBaseSchema = z.strictObject({
  /** `s3-vectors` has no idle cost; `opensearch-serverless` costs ~$175-350/month at rest. */
  vectorStore: z
    .enum(['s3-vectors', 'opensearch-serverless'])
    .refine((store) => store !== 'opensearch-serverless', 'is not built yet; allowed: s3-vectors')
    .default('s3-vectors')
    .describe(
      'Where vectors are stored. `s3-vectors` has no idle cost; `opensearch-serverless` (~$175-350/month at rest) is not built yet and fails synth ' +
        'with a clear message.',
    ),
  embeddingModel: z
    .enum(EMBEDDING_MODEL_ALIASES as [string, ...string[]])
    .default('titan-embed-text-v2')
    .describe('Catalog alias of the embedding model that embeds documents and queries.'),
  /** Vector size; must be one the embedding model produces. Changing it replaces the index. */
  dimensions: z
    .int()
    .default(1024)
    .describe('Vector size; must be one the embedding model produces (Titan v2: 256, 512 or 1024). Changing it replaces the index.'),
  chunking: z
    .strictObject({
      strategy: z
        .enum(CHUNKING_STRATEGIES)
        .default('fixed')
        .describe(
          'How documents are split before embedding: `fixed` (maxTokens, overlapPercentage), `hierarchical` (parentMaxTokens > childMaxTokens, ' +
            'overlapTokens), `semantic` (maxTokens, bufferSize, breakpointPercentileThreshold) or `none` (one chunk per file).',
        ),
      /** fixed and semantic: tokens per chunk. */
      maxTokens: int(20, 8_192).default(300).describe('fixed and semantic: tokens per chunk.'),
      /** fixed: overlap between neighbouring chunks. */
      overlapPercentage: int(1, 99).default(20).describe('fixed: overlap between neighbouring chunks, in percent.'),
      /** hierarchical: parent and child chunk sizes and their overlap. */
      parentMaxTokens: int(20, 8_192).default(1_500).describe('hierarchical: tokens per parent chunk.'),
      childMaxTokens: int(20, 8_192).default(300).describe('hierarchical: tokens per child chunk; must be below parentMaxTokens.'),
      overlapTokens: int(1, 1_000).default(60).describe('hierarchical: overlap between neighbouring chunks, in tokens.'),
      /** semantic: sentences on each side compared, and the dissimilarity percentile that splits. */
      bufferSize: int(0, 1).default(0).describe('semantic: sentences on each side compared.'),
      breakpointPercentileThreshold: int(50, 99).default(95).describe('semantic: the dissimilarity percentile that splits.'),
    })
    .prefault({})
    .describe('How documents are split before embedding.'),
  /** Uploads within this window start one ingestion job, not one per file. */
  ingestionBatchWindowSeconds: int(0, 300).default(60).describe('Uploads within this window start one ingestion job, not one per file.'),
  /** Passages retrieved when a request names no topK, and the most a request may ask for. */
  defaultTopK: int(1, 100).default(5).describe('Passages retrieved when a request names no topK; at most maxTopK.'),
  maxTopK: int(1, 100).default(10).describe('The most passages a request may ask for (`topK`).'),
  /** Passages scoring below this relevance are not put into the prompt. */
  minScore: z.number().min(0).max(1).default(0).describe('Passages scoring below this relevance are not put into the prompt.'),
});

const STRENGTHS = ['MEDIUM', 'HIGH'] as const;
/** Ground 3: the guardrail applied to input and output. */
const guardrailSchema = z.strictObject({
  blockedInputMessage: text(500)
    .default(DEFAULT_BLOCKED_INPUT_MESSAGE)
    .describe('Returned (422) instead of an answer when the input guardrail blocks a request.'),
  blockedOutputMessage: text(500)
    .default(DEFAULT_BLOCKED_OUTPUT_MESSAGE)
    .describe('Returned instead of the model text when the output guardrail blocks or finds an answer ungrounded.'),
  /** Strength of the harm filters (sexual, violence, hate, insults, misconduct); prompt attacks are always HIGH on input. */
  harmInputStrength: z
    .enum(STRENGTHS)
    .default('HIGH')
    .describe('Strength of the harm filters (sexual, violence, hate, insults, misconduct) on requests; prompt attacks are always HIGH on input.'),
  harmOutputStrength: z.enum(STRENGTHS).default('MEDIUM').describe('Strength of the same harm filters on answers.'),
  deniedTopics: z
    .array(
      z.strictObject({
        name: z
          .string()
          .regex(/^[0-9A-Za-z-_ !?.]{1,100}$/, 'must be 1-100 letters, digits, spaces or -_!?.')
          .describe('Name of the topic.'),
        definition: text(1_000).describe('What the topic covers.'),
        examples: z.array(text(100)).max(5).default([]).describe('Example requests on the topic.'),
      }),
    )
    .max(30)
    .default([
      {
        name: 'Investment advice',
        definition: 'Recommendations about buying, selling or holding specific securities, funds or crypto assets, or predictions of their returns.',
        examples: ['Which stocks should I buy this year?', 'Is now a good time to sell my bitcoin?'],
      },
    ])
    .describe('Topics refused in requests and answers.'),
  profanityFilter: z.boolean().default(true).describe('Block the AWS-managed profanity word list.'),
  blockedWords: z.array(text(100)).max(100).default([]).describe('Words or short phrases blocked in requests and answers.'),
  pii: z
    .array(
      z.strictObject({
        type: z.enum(PII_ENTITY_TYPES).describe('PII entity type.'),
        action: z.enum(['BLOCK', 'ANONYMIZE']).describe('Refuse the text, or mask the entity.'),
      }),
    )
    .max(31)
    .default(DEFAULT_PII_ENTITIES.map((e) => ({ ...e })))
    .describe('PII entity types and what to do when one is found (masked PII in the input reaches the model masked).'),
  regexes: z
    .array(
      z.strictObject({
        name: z
          .string()
          .regex(/^[0-9A-Za-z-_ ]{1,100}$/, 'must be 1-100 letters, digits, spaces, - or _')
          .describe('Name of the pattern.'),
        pattern: z.string().min(1).max(500).refine(isRegex, 'must be a valid regular expression').describe('A regular expression.'),
        action: z.enum(['BLOCK', 'ANONYMIZE']).describe('Refuse the text, or mask the match.'),
        description: z.string().max(1_000).optional().describe('What the pattern finds.'),
      }),
    )
    .max(10)
    .default([{ name: 'Internal ticket id', pattern: 'SEC-[0-9]{6}', action: 'ANONYMIZE', description: 'Security ticket numbers stay internal' }])
    .describe('Custom patterns treated as sensitive information.'),
  /** Contextual grounding on RAG answers: below these scores the answer is withheld. */
  groundingThreshold: z
    .number()
    .min(0)
    .max(0.99)
    .default(0.75)
    .describe('Contextual grounding on RAG answers: an answer less grounded in the retrieved passages than this is withheld.'),
  relevanceThreshold: z.number().min(0).max(0.99).default(0.5).describe('An answer less relevant to the query than this is withheld.'),
  /** Ground 4: streamed output is checked in windows of at most this many characters before it is sent. */
  streamWindowChars: int(100, 10_000)
    .default(1_000)
    .describe('Ground 4: streamed output is checked in windows of at most this many characters before it is sent.'),
});

const TEXT_ALIAS = z.enum(TEXT_MODEL_ALIASES as [string, ...string[]]);

/** Ground 4: the models the gateway routes among, and how. */
const routerSchema = z.strictObject({
  /**
   * Catalog aliases a request may be routed to (model.alias must be one of them). Unset: model.alias
   * plus those of nova-micro, nova-lite and claude-haiku-4-5 reachable through model.inference.
   */
  models: z
    .array(TEXT_ALIAS)
    .min(1)
    .max(10)
    .optional()
    .describe(
      'Catalog aliases a request may be routed to; must include model.alias. Unset: model.alias plus those of nova-micro, nova-lite and ' +
        'claude-haiku-4-5 reachable through model.inference.',
    ),
  byTier: z
    .strictObject({
      basic: TEXT_ALIAS.optional().describe('Model for basic-tier tenants.'),
      standard: TEXT_ALIAS.optional().describe('Model for standard-tier tenants.'),
      premium: TEXT_ALIAS.optional().describe('Model for premium-tier tenants.'),
    })
    .default({ basic: 'nova-micro', standard: 'nova-lite', premium: 'claude-haiku-4-5' })
    .describe('Model chosen for a tenant of each tier when the request names none and no long-prompt rule applies; aliases of router.models.'),
  /** Prompts at least this long (characters) go to longPromptModel. */
  longPromptChars: int(1, 1_000_000).default(20_000).describe('Prompts at least this long (characters) go to longPromptModel.'),
  longPromptModel: TEXT_ALIAS.default('claude-haiku-4-5').describe('Model for long prompts; an alias of router.models.'),
  /** Aliases tried in order when a model is throttled or unavailable. */
  fallbacks: z
    .partialRecord(TEXT_ALIAS, z.array(TEXT_ALIAS).max(5))
    .default({ 'claude-haiku-4-5': ['nova-lite', 'nova-micro'], 'nova-lite': ['nova-micro'], 'nova-micro': ['nova-lite'] })
    .describe('Aliases tried in order when a model is throttled or unavailable (`{alias: [alias, …]}`, within router.models).'),
});

/** Ground 4: tenants get an API key and a usage plan each. */
const tenantSchema = z.strictObject({
  name: z.string().regex(TENANT_NAME_PATTERN, 'must be 1-64 letters, digits or hyphens').describe('Tenant name, unique (case-insensitive).'),
  tier: z.enum(TENANT_TIERS).describe('Tier, which picks the model through router.byTier.'),
  quotaPerDay: int(1, 100_000_000).describe('Requests per day of the usage plan.'),
  rateLimit: int(1, 10_000).describe('Steady requests per second of the usage plan.'),
  burstLimit: int(1, 5_000).describe('Burst of the usage plan.'),
});

function isRegex(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

/** The control profiles (`compliance`). */
export const COMPLIANCE_PROFILES = ['standard', 'regulated'] as const;

/** Ground numbers; lib/grounds/ground-stack.ts GROUNDS holds one stack per number (test/config checks they agree). */
export const GROUND_NUMBERS = [0, 1, 2, 3, 4, 5, 6, 7] as const;

export const configSchema = z
  .strictObject({
    /** Which stacks to synthesize: one ground (0-7), or `ml` for the PredictiveMl stack alone. Unset or `all`: every ground and the PredictiveMl stack. */
    ground: z
      .union([z.literal(GROUND_NUMBERS), z.enum(['all', 'ml', ''])], {
        error:
          `expected one of ${GROUND_NUMBERS.join(', ')} (one ground), all or unset (every ground and the PredictiveMl stack), ml (the PredictiveMl ` +
          `stack alone)`,
      })
      .optional()
      .describe(
        'Which stacks to synthesize: one ground (0-7), or `ml` for the PredictiveMl stack alone. Unset or `all`: every ground and the PredictiveMl stack.',
      ),
    /** The control profile: `standard` (lean), or `regulated` (NIST 800-53 Rev. 5 and HIPAA Security packs, docs/compliance.md). */
    compliance: z
      .enum(COMPLIANCE_PROFILES)
      .default('standard')
      .describe(
        '`standard`: the lean, cheap build. `regulated`: adds the NIST 800-53 Rev. 5 and HIPAA Security cdk-nag packs to every synth and ' +
          'the controls they ask for (docs/compliance.md; being built: synth reports what is left).',
      ),
    /**
     * CloudFormation stack name shared by every ground, so `-c ground=N+1` updates the stack that
     * `-c ground=N` deployed instead of creating a second one.
     */
    stackName: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'must start with a letter and hold only letters, digits and hyphens (at most 128)')
      .default('GenAiBlueprint')
      .describe(
        'CloudFormation stack name shared by every ground, so `-c ground=N+1` updates the stack that `-c ground=N` deployed instead of creating a second one.',
      ),
    model: z
      .strictObject({
        /** Catalog alias of the model answering the prompt route. */
        alias: z
          .enum(TEXT_MODEL_ALIASES as [string, ...string[]])
          .default('nova-lite')
          .describe('Catalog alias of the model answering the prompt route (the catalog: lib/config/models.ts).'),
        /** `in-region` calls the foundation model; a geography calls its cross-region inference profile. */
        inference: z
          .enum(INFERENCE_ROUTES)
          .default('us')
          .describe(
            '`in-region` calls the foundation model; a geography calls its cross-region inference profile, which the model must have (Claude ' +
              'models need a profile).',
          ),
        /** Cap on generated tokens per call; a request may ask for fewer. */
        maxTokens: int(1, 64_000)
          .default(1024)
          .describe("Cap on generated tokens per call; a request may ask for fewer. At most the model's output limit (10,000 for Nova)."),
        temperature: z.number().min(0).max(1).default(0.5).describe('Sampling temperature; a request may pass its own.'),
        /** Attempts per model call, including the first (SDK standard retry mode with jittered backoff). */
        maxAttempts: int(1, 10).default(3).describe('Attempts per model call, including the first (SDK standard retry mode with jittered backoff).'),
        /** Socket timeout of one attempt. The whole call is also cut at the function's remaining time. */
        attemptTimeoutSeconds: int(1, 900)
          .default(20)
          .describe(
            "Socket timeout of one attempt; must be below lambda.timeoutSeconds (synth checks it). The whole call is also cut at the function's " +
              'remaining time.',
          ),
      })
      .prefault({})
      .describe('The model that answers the prompt route (ground 0 and up).'),
    api: z
      .strictObject({
        stageName: z
          .string()
          .regex(/^[A-Za-z0-9_]{1,64}$/, 'must be 1-64 letters, digits or underscores')
          .default('v1')
          .describe("Stage of the REST API (the URL's first path segment)."),
        /** Steady-state requests per second for the whole stage. */
        throttleRateLimit: int(1, 10_000).default(10).describe('Steady-state requests per second for the whole stage.'),
        throttleBurstLimit: int(1, 5_000).default(20).describe('Requests the stage accepts in a burst.'),
        /** Longest user query accepted, in characters (checked by API Gateway and again by the function). */
        maxQueryChars: int(1, 100_000)
          .default(8_000)
          .describe('Longest user query accepted, in characters (checked by API Gateway and again by the function).'),
        /** Ground 4: longest a streamed answer (/chat/stream, /v1/chat/completions) may run; API Gateway allows 15 minutes. */
        streamTimeoutSeconds: int(30, 900)
          .default(300)
          .describe('Ground 4: longest a streamed answer (/chat/stream, /v1/chat/completions) may run; API Gateway allows 15 minutes.'),
      })
      .prefault({})
      .describe('The REST API in front of every route.'),
    lambda: z
      .strictObject({
        memoryMb: int(128, 10_240).default(1024).describe('Memory of each request-path function, in MB.'),
        /** Timeout of synchronous functions behind the REST API. */
        timeoutSeconds: int(3, REST_INTEGRATION_TIMEOUT_SECONDS)
          .default(REST_INTEGRATION_TIMEOUT_SECONDS)
          .describe("Timeout of synchronous functions behind the REST API; at most API Gateway's integration timeout (29 s)."),
        logRetentionDays: z
          .int()
          .refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), `expected one of ${LOG_RETENTION_DAYS.join(', ')}`)
          .default(30)
          .describe(`Retention of the functions' (and other) logs, in days; one of ${LOG_RETENTION_DAYS.join(', ')}.`),
        /** Reserved concurrency of each request-path function. @default unset (new accounts cannot reserve) */
        reservedConcurrency: int(1, 1_000)
          .optional()
          .describe('Reserved concurrency of each request-path function. Unset: none (new accounts cannot reserve any).'),
      })
      .prefault({})
      .describe('The functions behind the API.'),
    /** `public`, or `private`: a PRIVATE API and every function in a VPC without a way out (docs/network.md). */
    network: networkSchema.prefault({}).describe('Where the API and the functions are reachable from: the internet, or only a VPC (docs/network.md).'),
    prompt: promptSchema
      .default(DEFAULT_PROMPT as z.output<typeof promptSchema>)
      .describe(
        'Ground 1: the prompt kept in Bedrock Prompt Management, as typed sections (the default is the assistant prompt in lib/config/prompts.ts). ' +
          'Set it whole, as JSON; `{{name}}` in a section must be a declared variable.',
      ),
    knowledgeBase: knowledgeBaseSchema.prefault({}).describe('Ground 2: the knowledge base (S3 Vectors) and retrieval.'),
    guardrail: guardrailSchema.prefault({}).describe('Ground 3: the guardrail applied to input and output.'),
    router: routerSchema.prefault({}).describe('Ground 4: the models the gateway routes among, and how.'),
    tenants: z
      .array(tenantSchema)
      .min(1)
      .max(50)
      .default([{ name: 'demo', tier: 'standard', quotaPerDay: 10_000, rateLimit: 5, burstLimit: 10 }])
      .describe('Ground 4: tenants, each with an API key, a usage plan and an application inference profile; unique names.'),
    cache: z
      .strictObject({
        ttlSeconds: int(60, 604_800).default(3_600).describe('How long a cached answer is served, in seconds.'),
        /** Budget of one cache round in milliseconds; past it the request goes on from the model. */
        timeoutMs: int(10, 1_000).default(50).describe('Budget of one cache round in milliseconds; past it the request goes on from the model (fail open).'),
        semantic: z.boolean().default(true).describe('Also serve answers to similar questions (semantic cache), not only to identical ones.'),
        /** Cosine similarity a cached question must reach to be served for a new one. */
        semanticThreshold: z.number().min(0.5).max(0.999).default(0.9).describe('Cosine similarity a cached question must reach to be served for a new one.'),
        embeddingDimensions: z.literal([256, 512, 1024]).default(256).describe('Size of the Titan v2 embeddings the semantic cache compares.'),
        maxDataStorageGb: int(1, 5_000).default(1).describe('Usage limit of the ElastiCache Serverless cache: data stored, in GB.'),
        maxEcpuPerSecond: int(1_000, 15_000_000).default(5_000).describe('Usage limit of the cache: ElastiCache processing units per second.'),
      })
      .prefault({})
      .describe('Ground 5: exact and semantic caches on ElastiCache Serverless (Valkey).'),
    gateway: z
      .strictObject({
        /** WAF rate rule: requests per 5 minutes from one IP before it is blocked. */
        requestsPer5MinPerIp: int(100, 2_000_000_000).default(1_000).describe('WAF rate rule: requests per 5 minutes from one IP before it is blocked.'),
        /** Keep WAF's fixed 8 KB body rule at BLOCK (long prompts are then refused at the edge). */
        blockLargeBodies: z
          .boolean()
          .default(false)
          .describe("Keep WAF's fixed 8 KB body rule at BLOCK (long prompts are then refused at the edge); off, the rule only counts."),
      })
      .prefault({})
      .describe('Ground 4: the WAF web ACL on the stage.'),
    /** Ground 6. */
    agent: agentSchema.prefault({}).describe('Ground 6: the Bedrock agent.'),
    /** Ground 7: Cognito sign-in for people (authorization code + PKCE, corporate IdPs) and machines (client credentials). */
    auth: authSchema
      .prefault({})
      .describe('Ground 7: Cognito sign-in for people (authorization code + PKCE, corporate SAML/OIDC identity providers) and machines (client credentials).'),
    /** Ground 7. */
    sessions: sessionsSchema.prefault({}).describe('Ground 7: conversation history (sessions table).'),
    feedback: feedbackSchema.prefault({}).describe('Ground 7: human feedback on answers (feedback table, metrics, alarm).'),
    observability: observabilitySchema.prefault({}).describe('Ground 7: dashboard, alarms and Bedrock model invocation logging.'),
    pipeline: pipelineSchema.prefault({}).describe('Ground 7: the Step Functions document pipeline.'),
    /** The PredictiveMl stack (alone, or in ground 7). */
    predictiveMl: predictiveMlSchema.prefault({}).describe('The PredictiveMl stack (alone with `-c ground=ml`, or in ground 7).'),
    delivery: deliverySchema.optional().describe('The pipeline that deploys a ground to the stages named here (docs/delivery.md). Unset: no pipeline.'),
  })
  .superRefine((cfg, ctx) => {
    checkPrompt(cfg.prompt, ctx);
    checkKnowledgeBase(cfg.knowledgeBase, ctx);
    checkRouter(cfg, ctx);
    checkAuth(cfg, ctx);
    const model = catalogModel(cfg.model.alias);
    if (model.kind !== 'text') return;
    if (cfg.model.maxTokens > model.maxOutputTokens) {
      ctx.addIssue({
        code: 'custom',
        path: ['model', 'maxTokens'],
        message: `must be at most ${model.maxOutputTokens} for ${cfg.model.alias}`,
      });
    }
    if (cfg.model.inference === 'in-region' && model.inferenceProfile === 'required') {
      ctx.addIssue({
        code: 'custom',
        path: ['model', 'inference'],
        message: `${cfg.model.alias} is only served through a cross-region inference profile; allowed: ${model.profileGeos.join(', ')}`,
      });
    } else if (cfg.model.inference !== 'in-region' && !(model.profileGeos as readonly string[]).includes(cfg.model.inference)) {
      ctx.addIssue({
        code: 'custom',
        path: ['model', 'inference'],
        message: `${cfg.model.alias} has no ${cfg.model.inference} inference profile; allowed: in-region, ${model.profileGeos.join(', ')}`,
      });
    }
    if (cfg.model.attemptTimeoutSeconds >= cfg.lambda.timeoutSeconds) {
      ctx.addIssue({
        code: 'custom',
        path: ['model', 'attemptTimeoutSeconds'],
        message: `must be below lambda.timeoutSeconds (${cfg.lambda.timeoutSeconds}) so the function answers before it is killed`,
      });
    }
  });

export type BlueprintConfig = z.output<typeof configSchema>;

type Ctx = z.core.$RefinementCtx<unknown>;

/**
 * Every `{{name}}` in a section must be a declared variable (not query or context: the blueprint puts
 * those in the user message, USER_TEMPLATE), and names unique.
 */
function checkPrompt(prompt: z.output<typeof promptSchema>, ctx: Ctx): void {
  const declared = new Set(prompt.variables.map((v) => v.name));
  if (declared.size !== prompt.variables.length) {
    ctx.addIssue({ code: 'custom', path: ['prompt', 'variables'], message: 'variable names must be unique' });
  }
  const sections = {
    persona: prompt.persona,
    objective: prompt.objective,
    instructions: prompt.instructions,
    tone: prompt.tone,
    constraints: prompt.constraints.join('\n'),
  };
  for (const [section, value] of Object.entries(sections)) {
    for (const [, name] of value.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)) {
      if (!declared.has(name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['prompt', section],
          message: `uses {{${name}}}, which is not a declared variable; declared: ${[...declared].join(', ') || 'none'}`,
        });
      }
    }
  }
}

const DEFAULT_ROUTED = ['nova-micro', 'nova-lite', 'claude-haiku-4-5'];

const reachable = (alias: string, inference: string) => {
  const model = catalogModel(alias);
  return inference === 'in-region' ? model.inferenceProfile !== 'required' : (model.profileGeos as readonly string[]).includes(inference);
};

export interface EffectiveRouter {
  readonly models: readonly string[];
  readonly byTier: Partial<Record<(typeof TENANT_TIERS)[number], string>>;
  readonly longPrompt?: { readonly minChars: number; readonly alias: string };
  readonly fallbacks: Record<string, string[]>;
}

/**
 * The router a ground-4 stack builds. With `router.models` unset, references to models that the
 * inference route cannot reach are dropped; with it set, they are errors (see checkRouter).
 */
export function effectiveRouter(cfg: { model: { alias: string; inference: string }; router: z.output<typeof routerSchema> }): EffectiveRouter {
  const models = cfg.router.models ?? [...new Set([cfg.model.alias, ...DEFAULT_ROUTED.filter((a) => reachable(a, cfg.model.inference))])];
  const keep = (a: string | undefined): a is string => a !== undefined && models.includes(a);
  return {
    models,
    byTier: Object.fromEntries(Object.entries(cfg.router.byTier).filter(([, a]) => keep(a))),
    longPrompt: keep(cfg.router.longPromptModel) ? { minChars: cfg.router.longPromptChars, alias: cfg.router.longPromptModel } : undefined,
    fallbacks: Object.fromEntries(
      Object.entries(cfg.router.fallbacks)
        .filter(([from]) => keep(from))
        .map(([from, chain]) => [from, (chain ?? []).filter(keep)]),
    ),
  };
}

function checkRouter(
  cfg: { model: { alias: string; inference: string }; router: z.output<typeof routerSchema>; tenants: z.output<typeof tenantSchema>[] },
  ctx: Ctx,
): void {
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  const names = cfg.tenants.map((t) => t.name.toLowerCase());
  if (new Set(names).size !== names.length) issue(['tenants'], 'tenant names must be unique (case-insensitive)');
  if (!cfg.router.models) return;
  const routed = new Set(cfg.router.models);
  const allowed = `must be one of router.models: ${[...routed].join(', ')}`;
  if (!routed.has(cfg.model.alias)) issue(['router', 'models'], `must include model.alias (${cfg.model.alias})`);
  for (const [tier, alias] of Object.entries(cfg.router.byTier)) if (alias && !routed.has(alias)) issue(['router', 'byTier', tier], allowed);
  if (!routed.has(cfg.router.longPromptModel)) issue(['router', 'longPromptModel'], allowed);
  for (const [from, chain] of Object.entries(cfg.router.fallbacks)) {
    for (const alias of [from, ...(chain ?? [])]) if (!routed.has(alias)) issue(['router', 'fallbacks', from], `names ${alias}; each ${allowed}`);
  }
  for (const alias of routed)
    if (!reachable(alias, cfg.model.inference)) issue(['router', 'models'], `${alias} cannot be reached through model.inference = ${cfg.model.inference}`);
}

function checkKnowledgeBase(kb: z.output<typeof knowledgeBaseSchema>, ctx: Ctx): void {
  const model = catalogModel(kb.embeddingModel);
  if (model.kind === 'embedding' && !(model.dimensions as readonly number[]).includes(kb.dimensions)) {
    ctx.addIssue({ code: 'custom', path: ['knowledgeBase', 'dimensions'], message: `${kb.embeddingModel} produces ${model.dimensions.join(', ')} dimensions` });
  }
  if (kb.defaultTopK > kb.maxTopK) {
    ctx.addIssue({ code: 'custom', path: ['knowledgeBase', 'defaultTopK'], message: `must be at most knowledgeBase.maxTopK (${kb.maxTopK})` });
  }
  const c = kb.chunking;
  if (c.strategy === 'hierarchical' && c.childMaxTokens >= c.parentMaxTokens) {
    ctx.addIssue({
      code: 'custom',
      path: ['knowledgeBase', 'chunking', 'childMaxTokens'],
      message: `must be below knowledgeBase.chunking.parentMaxTokens (${c.parentMaxTokens})`,
    });
  }
}

/** Sections whose bare key takes a string for one field: `-c network=private` is `-c network.mode=private`. */
const SHORTHANDS: Record<string, string> = { network: 'mode' };

/** Context keys that belong to the CDK, not to the blueprint's configuration. */
const NOT_CONFIG = new Set(['cli-telemetry', 'acknowledged-issue-numbers']);
const isConfigKey = (key: string) => !NOT_CONFIG.has(key) && !key.includes(':') && !key.startsWith('@');

/**
 * Builds the configuration from CDK context (cdk.json `context`, cdk.context.json, `-c` flags).
 * Throws one ConfigError listing every wrong key with its value and what is allowed.
 */
export function loadConfig(context: Record<string, unknown>): BlueprintConfig {
  const raw: Record<string, unknown> = {};
  const lines: string[] = [];
  for (const [key, value] of Object.entries(context)) {
    if (!isConfigKey(key)) continue;
    const path = key in SHORTHANDS && typeof value === 'string' && !value.trim().startsWith('{') ? [key, SHORTHANDS[key]] : key.split('.');
    const read = coerce(path.join('.'), value, kindOf(schemaAt(path)));
    if ('error' in read) lines.push(read.error);
    else setPath(raw, path, read.value);
  }
  const parsed = configSchema.safeParse(raw);
  if (parsed.success && lines.length === 0) return parsed.data;
  for (const issue of parsed.error?.issues ?? []) {
    if (issue.code === 'unrecognized_keys') {
      const at = issue.path.join('.');
      const shape = at ? shapeAt(at) : configSchema.shape;
      lines.push(`unknown key ${issue.keys.map((k) => `'${[at, k].filter(Boolean).join('.')}'`).join(', ')}; allowed: ${Object.keys(shape ?? {}).join(', ')}`);
      continue;
    }
    const key = issue.path.join('.');
    const value = getPath(raw, issue.path);
    lines.push(`${key} = ${value === undefined ? '(default)' : shownValue(issue.path.at(-1), value)}: ${issue.message}`);
  }
  throw new ConfigError(lines);
}

/** The fields of the object at a dotted path, through array elements (`tenants.0`) and record values. */
function shapeAt(path: string): Record<string, unknown> | undefined {
  return unwrap(schemaAt(path.split('.')))?.def?.shape as Record<string, unknown> | undefined;
}

function unwrap(schema: unknown): { def: { shape?: unknown } } | undefined {
  let s = schema as { def?: { innerType?: unknown; shape?: unknown } } | undefined;
  while (s?.def?.innerType) s = s.def.innerType as typeof s;
  return s as { def: { shape?: unknown } } | undefined;
}

type Kind = 'array' | 'object' | 'number' | 'boolean' | 'string';

/** The schema of a dotted key (array elements by index), or undefined when the key is unknown. */
function schemaAt(path: readonly string[]): unknown {
  let schema: unknown = configSchema;
  for (const part of path) {
    const def = (unwrap(schema) as { def?: ZodDef } | undefined)?.def;
    if (def?.type === 'object') schema = (def.shape as Record<string, unknown>)[part];
    else if (def?.type === 'record') schema = def.valueType;
    else if (def?.type === 'array' && /^\d+$/.test(part)) schema = def.element;
    else return undefined;
  }
  return schema;
}

interface ZodDef {
  readonly type: string;
  readonly shape?: unknown;
  readonly valueType?: unknown;
  readonly element?: unknown;
  readonly options?: readonly unknown[];
  readonly values?: readonly unknown[];
}

/** What a key takes, read from its schema; undefined when unknown or mixed (`ground`: a number or a word). */
function kindOf(schema: unknown): Kind | undefined {
  const def = (unwrap(schema) as { def?: ZodDef } | undefined)?.def;
  switch (def?.type) {
    case 'array':
    case 'tuple':
      return 'array';
    case 'object':
    case 'record':
      return 'object';
    case 'number':
    case 'boolean':
    case 'string':
      return def.type;
    case 'enum':
      return 'string';
    case 'literal':
    case 'union': {
      const kinds = new Set(def.type === 'literal' ? (def.values ?? []).map((v) => typeof v) : (def.options ?? []).map(kindOf));
      const [only] = kinds;
      return kinds.size === 1 && (only === 'number' || only === 'boolean' || only === 'string') ? only : undefined;
    }
    default:
      return undefined;
  }
}

/**
 * `-c` values arrive as strings: read them as the key's schema type. Keys taking an array or an
 * object take JSON (`-c router.models='["nova-micro","nova-lite"]'`); numbers and booleans are
 * read as such; strings stay as typed, even when they look like JSON or a number.
 */
function coerce(key: string, value: unknown, kind: Kind | undefined): { value: unknown } | { error: string } {
  if (typeof value !== 'string') return { value };
  const text = value.trim();
  if (kind === 'array' || kind === 'object') {
    try {
      return { value: JSON.parse(text) };
    } catch (error) {
      const example = kind === 'array' ? '\'["...", ...]\'' : '\'{"key": ...}\'';
      // JSON.parse's message quotes the text near the error: not when the text may hold a client secret.
      // No key: one that takes JSON is an array or object, never clientSecretArn itself; the text is what may name it.
      const shown = shownValue(undefined, value);
      const why = shown === NOT_SHOWN ? '' : ` (${error instanceof Error ? error.message : String(error)})`;
      return { error: `${key} = ${shown}: is not valid JSON${why}; ${key} takes a JSON ${kind}: -c ${key}=${example}` };
    }
  }
  if ((kind === 'boolean' || kind === undefined) && (text === 'true' || text === 'false')) return { value: text === 'true' };
  if ((kind === 'number' || kind === undefined) && /^-?\d+(\.\d+)?$/.test(text)) return { value: Number(text) };
  return { value };
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  const [head, ...rest] = path;
  if (rest.length === 0) {
    const existing = target[head];
    target[head] = isPlainObject(existing) && isPlainObject(value) ? { ...existing, ...value } : value;
    return;
  }
  if (!isPlainObject(target[head])) target[head] = {};
  setPath(target[head] as Record<string, unknown>, rest, value);
}

function getPath(source: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((node, key) => (isPlainObject(node) || Array.isArray(node) ? (node as Record<PropertyKey, unknown>)[key] : undefined), source);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
