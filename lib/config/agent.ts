import { z } from 'zod';
import { TEXT_MODEL_ALIASES } from './models';

/** What the agent is told to be; it must name the tools, or the model guesses (and miscalculates). */
export const DEFAULT_AGENT_INSTRUCTION =
  'You are the genai-blueprint assistant. Answer from the knowledge base when the question is about its documents, and cite them. ' +
  'Never compute arithmetic or dates yourself: use the calculate tool for every calculation and the date tools for date differences, ' +
  'date offsets, weekdays and time zone conversions. Use lookup_order to look up an order of the caller. ' +
  'Use create_support_ticket only when the caller asks for a ticket; the caller confirms it before it is created. ' +
  'If a tool reports an error, explain it plainly and do not invent a result.';

/** InvokeAgent accepts at most 25,000 characters of input text. */
export const AGENT_MAX_INPUT_CHARS = 25_000;

/** Ground 6: the Bedrock agent. Section of the one configuration schema (lib/config/schema.ts); every key has a default. */
export const agentSchema = z.strictObject({
  /** What the agent does and which tools it uses (Bedrock requires at least 40 characters). */
  instruction: z
    .string()
    .min(40)
    .max(4_000)
    .default(DEFAULT_AGENT_INSTRUCTION)
    .describe('What the agent does and which tools it uses (Bedrock requires at least 40 characters). The default names the tools (lib/config/agent.ts).'),
  /** Catalog alias of the agent's model, reached through model.inference. Unset: model.alias. */
  modelAlias: z
    .enum(TEXT_MODEL_ALIASES as [string, ...string[]])
    .optional()
    .describe("Catalog alias of the agent's model, reached through model.inference. Unset: model.alias."),
  /** Seconds of inactivity after which Bedrock forgets a conversation. */
  idleSessionTtlSeconds: z.int().min(60).max(3_600).default(600).describe('Seconds of inactivity after which Bedrock forgets a conversation.'),
  /** Longest accepted input of one `/agent` request, in characters. */
  maxInputChars: z.int().min(1).max(AGENT_MAX_INPUT_CHARS).default(4_000).describe('Longest accepted input of one `/agent` request, in characters.'),
  /** Write a few demo orders for each configured tenant into the agent's table at deploy. */
  seedDemoData: z.boolean().default(true).describe("Write a few demo orders for each configured tenant into the agent's table at deploy."),
});
