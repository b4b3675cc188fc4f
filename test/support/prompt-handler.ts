import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { BedrockFake } from './bedrock-fake';

/** The one model below ground 4, as the stack writes it into ROUTING_POLICY. */
export const PROMPT_MODEL_ID = 'us.amazon.nova-lite-v1:0';
export const PROMPT_ROUTING = {
  targets: [{ alias: 'nova-lite', modelId: PROMPT_MODEL_ID, price: { inputPerMTok: 0.06, outputPerMTok: 0.24 } }],
  defaultAlias: 'nova-lite',
  fallbacks: {},
};

export const PROMPT_ENV = {
  ROUTING_POLICY: JSON.stringify(PROMPT_ROUTING),
  MAX_TOKENS: '1024',
  TEMPERATURE: '0.5',
  MAX_QUERY_CHARS: '8000',
  BEDROCK_MAX_ATTEMPTS: '3',
  BEDROCK_ATTEMPT_TIMEOUT_MS: '1000',
};

/** Settings of grounds 1-3; unset unless a test asks for them. */
const GROUND_KEYS = ['TENANTS', 'PROMPT_ID', 'PROMPT_VERSION', 'KNOWLEDGE_BASE_ID', 'DEFAULT_TOP_K', 'MAX_TOP_K', 'MIN_SCORE', 'GUARDRAIL_ID', 'GUARDRAIL_VERSION'];

export type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** Starts the Bedrock fake and loads the prompt handler pointed at it (module-scope clients). */
export async function startPromptHandler(env: Record<string, string> = {}): Promise<{ fake: BedrockFake; handler: Handler }> {
  const fake = await BedrockFake.start();
  fake.exportEndpoints();
  for (const key of GROUND_KEYS) delete process.env[key];
  Object.assign(process.env, PROMPT_ENV, env);
  let handler!: Handler;
  jest.isolateModules(() => {
    handler = (require('../../lambda/prompt/handler') as { handler: Handler }).handler;
  });
  return { fake, handler };
}
