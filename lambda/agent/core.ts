import { createHash, randomUUID } from 'node:crypto';
import * as z from 'zod/mini';
import { HttpError } from '../shared/http';
import type { TokenUsage } from '../shared/model';
import { type RetrievalFilter, scopedFilter } from '../shared/retrieval-filter';
import { parseRequest } from '../shared/validation';
import { AGENT_SESSION_ID_PATTERN } from '../../contracts/ids';

/**
 * `POST /agent`: one turn of a conversation with the Bedrock agent alias. The agent's session id
 * is derived from the caller and the client's conversation id, so a caller can only ever reach
 * its own sessions; the caller's tenant and principal travel as session attributes, which the
 * action Lambda trusts (never model text). A side-effecting action comes back as a question to
 * confirm; the next request answers it.
 */

export interface AgentSettings {
  readonly maxInputChars: number;
  /** Functions the agent asks the caller to confirm, with their action group. */
  readonly confirmable: Readonly<Record<string, string>>;
  /**
   * The knowledge base the agent searches: every invocation scopes its retrieval to the caller's
   * tenant. @default none: the agent has no knowledge base (or an imported one was not named)
   */
  readonly knowledgeBaseId?: string;
}

/** Events of the agent's response stream, as plain data (the SDK's ResponseStream members). */
export interface AgentEvent {
  readonly chunk?: { readonly bytes?: Uint8Array; readonly attribution?: { readonly citations?: readonly CitationEvent[] } };
  readonly trace?: { readonly trace?: Record<string, unknown> };
  readonly returnControl?: { readonly invocationId?: string; readonly invocationInputs?: readonly Record<string, unknown>[] };
}

interface CitationEvent {
  readonly retrievedReferences?: readonly {
    readonly content?: { readonly text?: string };
    readonly location?: { readonly s3Location?: { readonly uri?: string } };
  }[];
}

export interface AgentInvocation {
  readonly sessionId: string;
  readonly inputText?: string;
  readonly sessionAttributes: Readonly<Record<string, string>>;
  readonly confirmation?: { readonly invocationId: string; readonly actionGroup: string; readonly function: string; readonly confirmed: boolean };
  /**
   * The filter of every search of this knowledge base during the invocation (InvokeAgent's
   * sessionState.knowledgeBaseConfigurations: "each of which applies to a knowledge base attached to
   * the agent", https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent-runtime_SessionState.html).
   * Sent with every invocation, confirmations included: an agent may search after an action too.
   */
  readonly knowledgeBase?: { readonly knowledgeBaseId: string; readonly filter: RetrievalFilter };
}

export interface AgentPort {
  /** Invokes the alias; the events are read by the caller (and may throw stream exceptions). */
  invoke(request: AgentInvocation, signal?: AbortSignal): Promise<{ readonly requestId?: string; readonly events: AsyncIterable<AgentEvent> }>;
}

export interface Citation {
  readonly uri?: string;
  readonly text: string;
}

export interface ConfirmationRequest {
  readonly invocationId: string;
  readonly actionGroup: string;
  readonly function: string;
  readonly parameters: Readonly<Record<string, string>>;
}

export interface AgentAnswer {
  /** The client's conversation id: send it with the next turn. */
  readonly sessionId: string;
  readonly answer: string;
  readonly citations: readonly Citation[];
  /** The agent's trace id of this turn (from its trace events), else the InvokeAgent request id. */
  readonly traceId?: string;
  /** Functions the agent called in this turn, in order. */
  readonly actions: readonly string[];
  /** The guardrail attached to the agent intervened: `answer` is its blocked message. */
  readonly blocked: boolean;
  /** Set when the agent waits for the caller to confirm a side-effecting action. */
  readonly confirmationRequired?: ConfirmationRequest;
}

/**
 * One turn: what the client gets, and the tokens the agent's model spent on it (for the usage
 * record; never sent to the client). `usage` is absent when no trace reported any.
 */
export interface AgentTurn {
  readonly answer: AgentAnswer;
  readonly usage?: TokenUsage;
}

const INVOCATION_ID = /^[A-Za-z0-9-]{1,100}$/;
const MAX_ANSWER_CHARS = 100_000;

/** The answer cut at MAX_ANSWER_CHARS UTF-16 units, never between the two halves of a character (an emoji). */
function cutAnswer(answer: string): string {
  const cut = answer.slice(0, MAX_ANSWER_CHARS);
  return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut;
}
const MAX_CITATIONS = 20;
const MAX_CITATION_CHARS = 1_000;
const MAX_ACTIONS = 50;

export function agentRequestSchemas(settings: AgentSettings) {
  const sessionId = z.string().check(z.regex(AGENT_SESSION_ID_PATTERN, 'must be 1-100 letters, digits or . _ : -'));
  const confirmable = Object.keys(settings.confirmable);
  return {
    turn: z.strictObject({
      input: z.string().check(
        z.minLength(1),
        z.maxLength(settings.maxInputChars),
        z.refine((q) => q.trim().length > 0, 'must not be blank'),
      ),
      sessionId: z.optional(sessionId),
    }),
    confirm: z.strictObject({
      sessionId,
      confirm: z.strictObject({
        invocationId: z.string().check(z.regex(INVOCATION_ID, 'must be the invocationId of confirmationRequired')),
        function: z.enum(confirmable.length ? (confirmable as [string, ...string[]]) : ['(none)']),
        confirmed: z.boolean(),
      }),
    }),
  };
}

export type AgentRequest =
  | { readonly input: string; readonly sessionId?: string }
  | { readonly sessionId: string; readonly confirm: { readonly invocationId: string; readonly function: string; readonly confirmed: boolean } };

/** A new turn (`input`) or the answer to a confirmation (`confirm`); the key decides which schema applies. */
export function parseAgentRequest(settings: AgentSettings, body: unknown): AgentRequest {
  const schemas = agentRequestSchemas(settings);
  const isConfirmation = typeof body === 'object' && body !== null && Object.hasOwn(body, 'confirm');
  return isConfirmation ? parseRequest(schemas.confirm, body) : parseRequest(schemas.turn, body);
}

/**
 * The agent's session id: a hash of who calls and the client's conversation id. Knowing another
 * caller's conversation id is therefore useless; Bedrock's pattern allows the hex digest.
 */
export function agentSessionId(principal: string, clientSessionId: string): string {
  return createHash('sha256').update(`${principal}\n${clientSessionId}`).digest('hex');
}

export async function converse(
  request: AgentRequest,
  caller: { tenant: string; principal: string },
  settings: AgentSettings,
  agent: AgentPort,
  signal?: AbortSignal,
): Promise<AgentTurn> {
  const sessionId = request.sessionId ?? randomUUID();
  const invocation: AgentInvocation = {
    sessionId: agentSessionId(caller.principal, sessionId),
    sessionAttributes: { tenant: caller.tenant, principal: caller.principal },
    ...(settings.knowledgeBaseId ? { knowledgeBase: { knowledgeBaseId: settings.knowledgeBaseId, filter: scopedFilter(caller.tenant) } } : {}),
    ...('input' in request
      ? { inputText: request.input }
      : {
          confirmation: {
            invocationId: request.confirm.invocationId,
            function: request.confirm.function,
            actionGroup: settings.confirmable[request.confirm.function],
            confirmed: request.confirm.confirmed,
          },
        }),
  };
  try {
    const { requestId, events } = await agent.invoke(invocation, signal);
    const { usage, ...answer } = await collect(events, requestId);
    return { answer: { sessionId, ...answer }, ...(usage ? { usage } : {}) };
  } catch (error) {
    throw agentError(error, 'confirm' in request);
  }
}

async function collect(events: AsyncIterable<AgentEvent>, requestId: string | undefined): Promise<Omit<AgentAnswer, 'sessionId'> & { usage?: TokenUsage }> {
  const decoder = new TextDecoder();
  let answer = '';
  const citations: Citation[] = [];
  const seen = new Set<string>();
  const actions: string[] = [];
  let traceId: string | undefined;
  let blocked = false;
  let confirmationRequired: ConfirmationRequest | undefined;
  let usage: TokenUsage | undefined;
  for await (const event of events) {
    if (event.chunk) {
      const bytes = event.chunk.bytes;
      if (bytes instanceof Uint8Array && answer.length < MAX_ANSWER_CHARS) answer += decoder.decode(bytes, { stream: true });
      for (const citation of event.chunk.attribution?.citations ?? []) {
        for (const ref of citation.retrievedReferences ?? []) {
          const text = typeof ref.content?.text === 'string' ? ref.content.text.slice(0, MAX_CITATION_CHARS) : '';
          const uri = typeof ref.location?.s3Location?.uri === 'string' ? ref.location.s3Location.uri : undefined;
          const key = `${uri}\n${text}`;
          if (seen.has(key) || citations.length >= MAX_CITATIONS) continue;
          seen.add(key);
          citations.push({ ...(uri ? { uri } : {}), text });
        }
      }
    } else if (event.trace?.trace) {
      const trace = event.trace.trace;
      traceId ??= findString(trace, 'traceId', 6);
      const fn = (trace.orchestrationTrace as { invocationInput?: { actionGroupInvocationInput?: { function?: unknown } } } | undefined)?.invocationInput
        ?.actionGroupInvocationInput?.function;
      if (typeof fn === 'string' && actions.length < MAX_ACTIONS) actions.push(fn);
      if ((trace.guardrailTrace as { action?: unknown } | undefined)?.action === 'INTERVENED') blocked = true;
      const spent = modelUsageOf(trace);
      if (spent) usage = addUsage(usage, spent);
    } else if (event.returnControl) {
      confirmationRequired = confirmationOf(event.returnControl);
    }
  }
  answer += decoder.decode();
  return {
    answer: cutAnswer(answer),
    citations,
    ...((traceId ?? requestId) ? { traceId: traceId ?? requestId } : {}),
    actions,
    blocked,
    ...(confirmationRequired ? { confirmationRequired } : {}),
    ...(usage ? { usage } : {}),
  };
}

/**
 * The steps whose trace reports a call of the agent's own model. With `enableTrace`, each of
 * them carries `modelInvocationOutput.metadata.usage` ({inputTokens, outputTokens}) for every
 * model call the agent made: "Track agent's step-by-step reasoning process using trace",
 * https://docs.aws.amazon.com/bedrock/latest/userguide/trace-events.html, and the API reference of
 * OrchestrationModelInvocationOutput, PreProcessingModelInvocationOutput,
 * PostProcessingModelInvocationOutput and Metadata (`usage`: "Specific to model invocation"),
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent-runtime_Metadata.html.
 * Guardrail traces also carry Metadata, but no model tokens of the agent's model.
 */
const MODEL_STEPS = ['preProcessingTrace', 'orchestrationTrace', 'postProcessingTrace'] as const;

/** The tokens of the model call one trace event reports, if it reports one. */
function modelUsageOf(trace: Record<string, unknown>): TokenUsage | undefined {
  for (const step of MODEL_STEPS) {
    const reported = (trace[step] as { modelInvocationOutput?: { metadata?: { usage?: { inputTokens?: unknown; outputTokens?: unknown } } } } | undefined)
      ?.modelInvocationOutput?.metadata?.usage;
    if (!reported) continue;
    const inputTokens = tokenCount(reported.inputTokens);
    const outputTokens = tokenCount(reported.outputTokens);
    if (inputTokens === undefined && outputTokens === undefined) continue;
    return { inputTokens: inputTokens ?? 0, outputTokens: outputTokens ?? 0, totalTokens: (inputTokens ?? 0) + (outputTokens ?? 0) };
  }
  return undefined;
}

const tokenCount = (value: unknown): number | undefined => (typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined);

const addUsage = (a: TokenUsage | undefined, b: TokenUsage): TokenUsage =>
  a ? { inputTokens: a.inputTokens + b.inputTokens, outputTokens: a.outputTokens + b.outputTokens, totalTokens: a.totalTokens + b.totalTokens } : b;

/** The agent asks before a side-effecting function: what it wants to run, for the caller to confirm. */
function confirmationOf(control: NonNullable<AgentEvent['returnControl']>): ConfirmationRequest {
  const input = control.invocationInputs?.[0]?.functionInvocationInput as
    { actionGroup?: unknown; function?: unknown; parameters?: { name?: unknown; value?: unknown }[]; actionInvocationType?: unknown } | undefined;
  // The agent's action groups run in Lambda: the only control it can hand back is a confirmation.
  if (
    typeof control.invocationId !== 'string' ||
    typeof input?.function !== 'string' ||
    typeof input.actionGroup !== 'string' ||
    input.actionInvocationType !== 'USER_CONFIRMATION'
  ) {
    throw new HttpError(502, 'The agent returned control in a way this route does not handle');
  }
  const parameters: Record<string, string> = {};
  for (const p of input.parameters ?? []) if (typeof p?.name === 'string' && typeof p.value === 'string') parameters[p.name] = p.value;
  return { invocationId: control.invocationId, actionGroup: input.actionGroup, function: input.function, parameters };
}

/** The first string under `key` at most `depth` levels down (trace steps nest their traceId). */
function findString(value: unknown, key: string, depth: number): string | undefined {
  if (depth < 0 || typeof value !== 'object' || value === null) return undefined;
  const own = (value as Record<string, unknown>)[key];
  if (typeof own === 'string' && /^[A-Za-z0-9._:-]{1,200}$/.test(own)) return own;
  for (const child of Object.values(value)) {
    const found = findString(child, key, depth - 1);
    if (found) return found;
  }
  return undefined;
}

/**
 * Agent errors that the shared mapper does not know (it speaks for model calls): a failing action
 * or knowledge base, a conversation already busy, a rejected request. Everything else goes on to
 * toHttpError unchanged.
 */
function agentError(error: unknown, confirming: boolean): unknown {
  const name = (error as { name?: unknown } | null)?.name;
  // A confirmation for a session the agent no longer holds (idle TTL passed): the client's turn to
  // start over. For a new input the same error means the alias is missing: a configuration fault.
  if (confirming && name === 'ResourceNotFoundException') {
    return new HttpError(409, 'The conversation this confirmation belongs to has expired; send the request again to get a new confirmation');
  }
  switch (name) {
    case 'ValidationException':
      return new HttpError(
        400,
        'The agent rejected the request; for a confirmation, send the invocationId and function of confirmationRequired in the same session',
      );
    case 'DependencyFailedException':
    case 'BadGatewayException':
      return new HttpError(502, "The agent's tools or knowledge base failed to answer; try again later");
    case 'ConflictException':
      return new HttpError(409, 'This conversation is busy with another request; retry when it has answered');
    default:
      return error;
  }
}
