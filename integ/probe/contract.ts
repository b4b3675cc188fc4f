/**
 * What the integration tests' probe function (integ/probe/handler.ts) and the stacks that deploy it
 * (integ/probe.ts, integ/integ.*.ts) agree on: the checks it runs, the settings it reads and the
 * shape of its answers. Dependency-free: the probe's bundle imports it, and so does the CDK side.
 *
 * The probe exists because an integ-tests `httpApiCall` cannot sign a request (SigV4), fetch an
 * API key's value or get a Cognito token: the probe does, from inside the account, and answers
 * small flat facts (statuses, booleans) that the tests compare with `EqualsAssertion`.
 */

/** The checks, by name; each needs the settings its ground deploys. */
export const PROBE_CHECKS = [
  /** Ground 0: a signed request gets an answer with usage; an unsigned one is refused. */
  'model-call',
  /** Ground 3: a prompt attack is refused (422) and its trace holds the guardrail call and no model call; a plain question's trace holds one. */
  'guardrail-block',
  /** Ground 3: PII in the question and in a prompt variable is masked before the model. */
  'pii-masked',
  /** Ground 3: a question about the shipped corpus is answered with citations from it. */
  'retrieval',
  /** Ground 5: the same question twice: the second answer comes from the exact cache and costs nothing. */
  'cache-hit',
  /** Ground 7: a tenant's machine client gets a token and calls /prompt; other tenants' keys and no token are refused. */
  'cognito-access',
  /** Ground 7: the second turn of a session carries the first (a longer prompt), and the session holds both turns. */
  'session-history',
  /** Ground 7: the same rating sent three times is recorded once. */
  'feedback-once',
  /** PredictiveMl: /predict answers from the endpoint the pipeline deployed. */
  'predict',
] as const;

export type ProbeCheck = (typeof PROBE_CHECKS)[number];

/** What the probe's event holds. */
export interface ProbeEvent {
  readonly check: ProbeCheck;
}

/** The probe's environment variables (names are the contract; values are strings). */
export const PROBE_ENV = {
  /** Base URL of the API under test, ending in `/` (the `Url` output). */
  apiUrl: 'API_URL',
  /** `sigv4` (grounds 0-6, PredictiveMl) or `cognito` (ground 7). */
  auth: 'API_AUTH',
  /** JSON `{"<tenant>": "<API key id>"}`: the probe reads each key's value (ground 4 up, PredictiveMl). */
  apiKeyIds: 'API_KEY_IDS',
  /** Ground 7: the user pool of the machine clients. */
  userPoolId: 'USER_POOL_ID',
  /** Ground 7: JSON `{"<tenant>": "<machine app client id>"}`. */
  machineClientIds: 'MACHINE_CLIENT_IDS',
  /** Ground 7: the user pool domain's token endpoint (`…/oauth2/token`). */
  tokenEndpoint: 'TOKEN_ENDPOINT',
  /** Ground 7: the OAuth scope a machine client asks for (`genai/invoke`). */
  scope: 'TOKEN_SCOPE',
  /** Ground 3: the message the API answers (422) when the input guardrail blocks a request. */
  blockedInputMessage: 'BLOCKED_INPUT_MESSAGE',
} as const;

/** A fact the probe reports: what the tests compare. */
export type Fact = string | number | boolean;

/** The probe's answer: facts by dotted path (`unsigned.status`), as the tests address them. */
export type ProbeAnswer = Readonly<Record<string, Fact>>;

/** A question whose answer the shipped corpus states (corpus/05-costs-and-configuration.md). */
export const CORPUS_QUESTION = 'Which vector store does the blueprint use by default, and what does its storage cost per GB per month?';
