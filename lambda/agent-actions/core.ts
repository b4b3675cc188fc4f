import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import { HttpError } from '../shared/http';
import { parseRequest } from '../shared/validation';
import { CalculationError, calculate, MAX_EXPRESSION_CHARS } from './decimal';
import { ADD_UNITS, addToDate, convertTimeZone, DateError, dateDifference, dayOfWeek, MAX_ADD_AMOUNT } from './dates';
import { ACTION_GROUPS, type Order } from '../../contracts/agent-actions';
import { TENANT_NAME_PATTERN } from '../../contracts/ids';

/**
 * The action group executor: Bedrock's function-details event in, its response envelope out,
 * always. Every parameter is validated; who is calling comes from the session attributes the
 * `/agent` route sets (never from model text); an unknown function, bad input or a store failure
 * is an answer the agent can read (FAILURE or REPROMPT), never a thrown exception.
 */

export interface Ticket {
  readonly ticketId: string;
  readonly tenant: string;
  readonly principal: string;
  readonly subject: string;
  readonly description: string;
  readonly orderId?: string;
  readonly priority: 'low' | 'normal' | 'high';
  readonly createdAt: string;
  readonly agentSessionId: string;
}

/** The agent's table, scoped by tenant in every key. */
export interface SupportStore {
  getOrder(tenant: string, orderId: string): Promise<Order | undefined>;
  /** Writes the ticket unless one with its id exists: `exists` makes a retried call harmless. */
  createTicket(ticket: Ticket): Promise<'created' | 'exists'>;
}

export interface ActionDeps {
  readonly store: SupportStore;
  readonly now: () => Date;
  /** Told about failures the agent only sees as a generic FAILURE (store errors). */
  readonly onError: (what: string, error: unknown) => void;
}

export type ResponseState = 'FAILURE' | 'REPROMPT';

export interface ActionResponse {
  readonly messageVersion: '1.0';
  readonly response: {
    readonly actionGroup: string;
    readonly function: string;
    readonly functionResponse: { readonly responseState?: ResponseState; readonly responseBody: { readonly TEXT: { readonly body: string } } };
  };
  readonly sessionAttributes?: Record<string, string>;
  readonly promptSessionAttributes?: Record<string, string>;
}

export const ORDER_ID_PATTERN = /^ORD-\d{4,10}$/;
const MAX_NAME_CHARS = 100;
const MAX_PARAMETERS = 10;

/** Functions that read or write the caller's data: they need the identity the API set. */
const NEEDS_IDENTITY = new Set(['lookup_order', 'create_support_ticket']);

const text = (max: number) =>
  z.string().check(
    z.minLength(1),
    z.maxLength(max),
    z.refine((s) => s.trim().length > 0, 'must not be blank'),
  );
const zoneParam = z.optional(z.string().check(z.maxLength(64)));
const dateParam = z.string().check(z.minLength(1), z.maxLength(40));

const PARAMETER_SCHEMAS = {
  calculate: z.strictObject({ expression: text(MAX_EXPRESSION_CHARS) }),
  date_difference: z.strictObject({ start: dateParam, end: dateParam, time_zone: zoneParam }),
  add_to_date: z.strictObject({
    date: dateParam,
    amount: z.string().check(
      // abort: a value that is not a number gets this message only, not the range's as well.
      z.regex(/^[+-]?\d+$/, { error: 'must be a whole number', abort: true }),
      z.refine((s) => Math.abs(Number(s)) <= MAX_ADD_AMOUNT, `must be between -${MAX_ADD_AMOUNT} and ${MAX_ADD_AMOUNT}`),
    ),
    unit: z.enum(ADD_UNITS),
    time_zone: zoneParam,
  }),
  day_of_week: z.strictObject({ date: dateParam }),
  convert_timezone: z.strictObject({
    date_time: dateParam,
    from_time_zone: z.string().check(z.maxLength(64)),
    to_time_zone: z.string().check(z.maxLength(64)),
  }),
  lookup_order: z.strictObject({ order_id: z.string().check(z.regex(ORDER_ID_PATTERN, 'must be an order id like ORD-1001')) }),
  create_support_ticket: z.strictObject({
    subject: text(120),
    description: text(2_000),
    order_id: z.optional(z.string().check(z.regex(ORDER_ID_PATTERN, 'must be an order id like ORD-1001'))),
    priority: z.optional(z.enum(['low', 'normal', 'high'])),
  }),
} as const;

type FunctionName = keyof typeof PARAMETER_SCHEMAS;
type Params<F extends FunctionName> = z.infer<(typeof PARAMETER_SCHEMAS)[F]>;

interface Invocation {
  readonly actionGroup: string;
  readonly function: string;
  readonly agentSessionId: string;
  readonly sessionAttributes?: Record<string, string>;
  readonly promptSessionAttributes?: Record<string, string>;
}

/** A reply of one function: the text the agent reads, and whether it should retry or give up. */
interface Reply {
  readonly body: string;
  readonly state?: ResponseState;
}

const reprompt = (body: string): Reply => ({ body, state: 'REPROMPT' });
const failure = (body: string): Reply => ({ body, state: 'FAILURE' });
const json = (value: unknown): Reply => ({ body: JSON.stringify(value) });

export async function handleAction(event: unknown, deps: ActionDeps): Promise<ActionResponse> {
  const e = (typeof event === 'object' && event !== null ? event : {}) as Record<string, unknown>;
  const invocation: Invocation = {
    actionGroup: boundedString(e.actionGroup),
    function: boundedString(e.function),
    agentSessionId: boundedString(e.sessionId),
    sessionAttributes: stringRecord(e.sessionAttributes),
    promptSessionAttributes: stringRecord(e.promptSessionAttributes),
  };
  let answer: Reply;
  try {
    answer = await reply(e, invocation, deps);
  } catch (error) {
    report(deps, invocation.function || 'event', error);
    answer = failure('The action failed unexpectedly; try again later');
  }
  return envelope(invocation, answer);
}

/** deps.onError, whose own failure (a logger that throws) must not cost the agent its reply. */
function report(deps: ActionDeps, what: string, error: unknown): void {
  try {
    deps.onError(what, error);
  } catch {
    // Nothing better to do: the reply still goes back to the agent.
  }
}

async function reply(e: Record<string, unknown>, invocation: Invocation, deps: ActionDeps): Promise<Reply> {
  if (e.messageVersion !== '1.0') return failure('Unsupported event: messageVersion must be 1.0');
  const group = ACTION_GROUPS.find((g) => g.name === invocation.actionGroup);
  if (!group || !group.functions.some((f) => f.name === invocation.function) || !Object.hasOwn(PARAMETER_SCHEMAS, invocation.function)) {
    return failure(
      `Unknown function ${JSON.stringify(invocation.function)} in action group ${JSON.stringify(invocation.actionGroup)}; ` +
        `available: ${ACTION_GROUPS.flatMap((g) => g.functions.map((f) => `${g.name}.${f.name}`)).join(', ')}`,
    );
  }
  const name = invocation.function as FunctionName;
  let identity: { tenant: string; principal: string } | undefined;
  if (NEEDS_IDENTITY.has(name)) {
    identity = identityOf(invocation.sessionAttributes);
    if (!identity) return failure('This action needs the caller identity the API sets in the session; call the agent through the /agent route');
  }
  const params = parameters(e.parameters);
  if (typeof params === 'string') return reprompt(params);
  let input: Params<FunctionName>;
  try {
    input = parseRequest(PARAMETER_SCHEMAS[name], params);
  } catch (error) {
    return reprompt(`Invalid parameters for ${name}: ${error instanceof HttpError ? error.message : 'they do not match the function schema'}`);
  }
  try {
    return await run(name, input, invocation, identity, deps);
  } catch (error) {
    if (error instanceof CalculationError || error instanceof DateError) return reprompt(`${name} cannot compute this: ${error.message}`);
    report(deps, name, error);
    return failure(`${name} failed: the service is unavailable, try again later`);
  }
}

async function run(
  name: FunctionName,
  input: Params<FunctionName>,
  invocation: Invocation,
  identity: { tenant: string; principal: string } | undefined,
  deps: ActionDeps,
): Promise<Reply> {
  switch (name) {
    case 'calculate': {
      const p = input as Params<'calculate'>;
      return json({ expression: p.expression, ...calculate(p.expression) });
    }
    case 'date_difference': {
      const p = input as Params<'date_difference'>;
      return json(dateDifference(p.start, p.end, p.time_zone ?? 'UTC'));
    }
    case 'add_to_date': {
      const p = input as Params<'add_to_date'>;
      return json({ date: p.date, amount: Number(p.amount), unit: p.unit, ...addToDate(p.date, Number(p.amount), p.unit, p.time_zone ?? 'UTC') });
    }
    case 'day_of_week':
      return json(dayOfWeek((input as Params<'day_of_week'>).date));
    case 'convert_timezone': {
      const p = input as Params<'convert_timezone'>;
      return json(convertTimeZone(p.date_time, p.from_time_zone, p.to_time_zone));
    }
    case 'lookup_order': {
      const p = input as Params<'lookup_order'>;
      const order = await deps.store.getOrder(identity!.tenant, p.order_id);
      // The same answer for another tenant's order and a missing one: ids reveal nothing.
      return order ? json(order) : json({ orderId: p.order_id, found: false, message: `No order ${p.order_id} exists for this account` });
    }
    case 'create_support_ticket': {
      const p = input as Params<'create_support_ticket'>;
      const ticket: Ticket = {
        ticketId: ticketId(identity!, invocation.agentSessionId, p),
        tenant: identity!.tenant,
        principal: identity!.principal,
        subject: p.subject,
        description: p.description,
        ...(p.order_id ? { orderId: p.order_id } : {}),
        priority: p.priority ?? 'normal',
        createdAt: deps.now().toISOString(),
        agentSessionId: invocation.agentSessionId,
      };
      const outcome = await deps.store.createTicket(ticket);
      return json({
        ticketId: ticket.ticketId,
        status: outcome === 'created' ? 'created' : 'already exists (the same ticket was created earlier in this conversation)',
        subject: ticket.subject,
        priority: ticket.priority,
      });
    }
  }
}

/**
 * The ticket id is derived from who asks, in which conversation, for what: a retried or repeated
 * call yields the same id, and the store's conditional write turns it into one ticket.
 */
function ticketId(identity: { tenant: string; principal: string }, agentSessionId: string, p: Params<'create_support_ticket'>): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([identity.tenant, identity.principal, agentSessionId, p.subject, p.description, p.order_id ?? '', p.priority ?? 'normal']))
    .digest('hex');
  return `TCK-${digest.slice(0, 12).toUpperCase()}`;
}

function identityOf(attributes: Record<string, string> | undefined): { tenant: string; principal: string } | undefined {
  const tenant = attributes?.tenant;
  const principal = attributes?.principal;
  if (typeof tenant !== 'string' || !TENANT_NAME_PATTERN.test(tenant)) return undefined;
  if (typeof principal !== 'string' || principal.length < 1 || principal.length > 2_048) return undefined;
  return { tenant, principal };
}

/** Bedrock's `[{name, type, value}]` as an object; a message when the list itself is malformed. */
function parameters(raw: unknown): Record<string, unknown> | string {
  if (raw === undefined || raw === null) return {};
  if (!Array.isArray(raw)) return 'parameters must be a list of {name, type, value}';
  if (raw.length > MAX_PARAMETERS) return `at most ${MAX_PARAMETERS} parameters are accepted`;
  const out: Record<string, unknown> = {};
  for (const p of raw as unknown[]) {
    const { name, value } = (typeof p === 'object' && p !== null ? p : {}) as { name?: unknown; value?: unknown };
    if (typeof name !== 'string' || !/^[a-z_]{1,40}$/.test(name)) return 'every parameter needs a name of lowercase letters and underscores';
    if (Object.hasOwn(out, name)) return `parameter ${name} is given twice`;
    // Bedrock sends every value as a string, whatever the declared type.
    out[name] = value;
  }
  return out;
}

function envelope(invocation: Invocation, reply: Reply): ActionResponse {
  return {
    messageVersion: '1.0',
    response: {
      actionGroup: invocation.actionGroup,
      function: invocation.function,
      functionResponse: { ...(reply.state ? { responseState: reply.state } : {}), responseBody: { TEXT: { body: reply.body } } },
    },
    // Returned unchanged, so the identity the API set holds for the rest of the session.
    ...(invocation.sessionAttributes ? { sessionAttributes: invocation.sessionAttributes } : {}),
    ...(invocation.promptSessionAttributes ? { promptSessionAttributes: invocation.promptSessionAttributes } : {}),
  };
}

function boundedString(value: unknown): string {
  return typeof value === 'string' && value.length <= MAX_NAME_CHARS ? value : '';
}

function stringRecord(value: unknown): Record<string, string> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const entries = Object.entries(value);
  if (!entries.every(([, v]) => typeof v === 'string')) return undefined;
  return Object.fromEntries(entries) as Record<string, string>;
}
