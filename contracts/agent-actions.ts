/**
 * What the agent block (lib/constructs/agent) and its functions (lambda/agent-actions, lambda/agent)
 * must agree on: the functions the agent may call, as the agent's function schema declares them,
 * and the layout of the agent's table with the demo orders the construct seeds. The construct
 * builds the action groups from this list and the handler validates against the same names, so
 * the schema the model sees and the code that runs cannot drift apart. Dependency-free.
 */

export type ParameterType = 'string' | 'number' | 'integer' | 'boolean';

export interface ActionParameter {
  readonly type: ParameterType;
  readonly description: string;
  readonly required: boolean;
}

export interface ActionFunction {
  readonly name: string;
  readonly description: string;
  readonly parameters: Readonly<Record<string, ActionParameter>>;
  /** The agent asks the caller before it runs the function (side effects). */
  readonly requireConfirmation: boolean;
}

export interface ActionGroupDefinition {
  readonly name: string;
  readonly description: string;
  readonly functions: readonly ActionFunction[];
}

const zone = (what: string): ActionParameter => ({ type: 'string', required: false, description: `IANA time zone ${what}, e.g. Europe/Paris; default UTC` });

export const ACTION_GROUPS: readonly ActionGroupDefinition[] = [
  {
    name: 'ExactMath',
    description: 'Exact arithmetic and calendar computations that must not be estimated',
    functions: [
      {
        name: 'calculate',
        description: 'Computes an arithmetic expression exactly (decimals, + - * / and parentheses, no rounding errors). Use it for every calculation.',
        parameters: { expression: { type: 'string', required: true, description: 'The expression, e.g. (12.5 + 7.25) * 3 / 4' } },
        requireConfirmation: false,
      },
      {
        name: 'date_difference',
        description: 'Days, calendar span (years, months, days) and, with times, elapsed hours between two dates, daylight saving included.',
        parameters: {
          start: { type: 'string', required: true, description: 'Start date YYYY-MM-DD or date-time YYYY-MM-DDTHH:MM' },
          end: { type: 'string', required: true, description: 'End date YYYY-MM-DD or date-time YYYY-MM-DDTHH:MM' },
          time_zone: zone('the local times are in'),
        },
        requireConfirmation: false,
      },
      {
        name: 'add_to_date',
        description: 'Adds (or, with a negative amount, subtracts) years, months, weeks, days, hours or minutes to a date or date-time.',
        parameters: {
          date: { type: 'string', required: true, description: 'Date YYYY-MM-DD or date-time YYYY-MM-DDTHH:MM' },
          amount: { type: 'integer', required: true, description: 'Whole number of units to add; negative subtracts' },
          unit: { type: 'string', required: true, description: 'One of years, months, weeks, days, hours, minutes' },
          time_zone: zone('the date is in'),
        },
        requireConfirmation: false,
      },
      {
        name: 'day_of_week',
        description: 'The weekday, ISO weekday number and day of the year of a calendar date.',
        parameters: { date: { type: 'string', required: true, description: 'Date YYYY-MM-DD' } },
        requireConfirmation: false,
      },
      {
        name: 'convert_timezone',
        description: 'Converts a local date-time from one IANA time zone to another.',
        parameters: {
          date_time: { type: 'string', required: true, description: 'Local date-time YYYY-MM-DDTHH:MM' },
          from_time_zone: { type: 'string', required: true, description: 'IANA time zone of date_time, e.g. America/New_York' },
          to_time_zone: { type: 'string', required: true, description: 'IANA time zone to convert to, e.g. Asia/Tokyo' },
        },
        requireConfirmation: false,
      },
    ],
  },
  {
    name: 'CustomerSupport',
    description: "The caller's orders and support tickets",
    functions: [
      {
        name: 'lookup_order',
        description: "Looks up one of the caller's orders by its id (status, items, total, delivery date).",
        parameters: { order_id: { type: 'string', required: true, description: 'Order id like ORD-1001' } },
        requireConfirmation: false,
      },
      {
        name: 'create_support_ticket',
        description: 'Opens a support ticket for the caller. Only when the caller asks for one; the caller confirms before it is created.',
        parameters: {
          subject: { type: 'string', required: true, description: 'One-line summary, at most 120 characters' },
          description: { type: 'string', required: true, description: 'What went wrong, at most 2000 characters' },
          order_id: { type: 'string', required: false, description: 'Order id like ORD-1001, when the ticket is about an order' },
          priority: { type: 'string', required: false, description: 'low, normal or high; default normal' },
        },
        requireConfirmation: true,
      },
    ],
  },
];

/** An order of the agent's table, as `lookup_order` returns it. */
export interface Order {
  readonly orderId: string;
  readonly status: string;
  readonly items: readonly { readonly name: string; readonly quantity: number; readonly unitPrice: string }[];
  readonly total: string;
  readonly currency: string;
  readonly placedOn: string;
  readonly expectedDelivery?: string;
}

/**
 * The layout of the agent's table, shared by the handler and the construct that seeds it (lib/constructs/agent): one
 * partition key that starts with the tenant, so no query of one tenant can reach another's items.
 */
export const orderKey = (tenant: string, orderId: string) => `${tenant}#ORDER#${orderId}`;
export const ticketKey = (tenant: string, ticketId: string) => `${tenant}#TICKET#${ticketId}`;

/** Written for every configured tenant at deploy, so a fresh stack has something to look up. */
export const DEMO_ORDERS: readonly Order[] = [
  {
    orderId: 'ORD-1001',
    status: 'delivered',
    items: [{ name: 'Trail running shoes', quantity: 1, unitPrice: '129.90' }],
    total: '129.90',
    currency: 'EUR',
    placedOn: '2026-10-02',
  },
  {
    orderId: 'ORD-1002',
    status: 'shipped',
    items: [
      { name: 'Merino socks', quantity: 3, unitPrice: '14.95' },
      { name: 'Water bottle', quantity: 2, unitPrice: '19.99' },
    ],
    total: '84.83',
    currency: 'EUR',
    placedOn: '2026-11-18',
    expectedDelivery: '2026-11-27',
  },
  {
    orderId: 'ORD-1003',
    status: 'processing',
    items: [{ name: 'Rain jacket', quantity: 1, unitPrice: '249.00' }],
    total: '249.00',
    currency: 'EUR',
    placedOn: '2026-11-24',
    expectedDelivery: '2026-12-03',
  },
];
