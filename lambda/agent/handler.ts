import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { type BedrockAgentRuntimeClient, InvokeAgentCommand } from '@aws-sdk/client-bedrock-agent-runtime';
import { ACTION_GROUPS } from '../../contracts/agent-actions';
import { jsonRoute } from '../shared/api';
import { createBedrockAgentRuntime } from '../shared/bedrock-agent-runtime';
import { readEnv } from '../shared/env';
import { agentEnvSchema } from '../../contracts/env';
import { HttpError } from '../shared/http';
import { callerOf, tenantDirectoryFrom } from '../shared/identity';
import { logger, metrics } from '../shared/observability';
import { costOf } from '../shared/router';
import { recordUsage } from '../shared/usage';
import { MODEL_PRICE_ENV } from '../../contracts/model-call';
import { GUARDRAIL_METRICS } from '../../contracts/metrics';
import { USAGE_DIMENSIONS } from '../../contracts/usage';
import { type AgentEvent, type AgentPort, type AgentSettings, converse, parseAgentRequest } from './core';

const env = readEnv(agentEnvSchema);

/** The tenant of every caller when the stack has no tenants (no gateway). */
export const DEFAULT_TENANT = 'default';

const tenants = tenantDirectoryFrom(env.TENANTS);
const settings: AgentSettings = {
  maxInputChars: env.MAX_INPUT_CHARS,
  confirmable: Object.fromEntries(ACTION_GROUPS.flatMap((g) => g.functions.filter((f) => f.requireConfirmation).map((f) => [f.name, g.name]))),
  knowledgeBaseId: env.KNOWLEDGE_BASE_ID,
};
const client = createBedrockAgentRuntime({ maxAttempts: env.BEDROCK_MAX_ATTEMPTS, attemptTimeoutMs: env.BEDROCK_ATTEMPT_TIMEOUT_MS });
const agent = invokeAgent(client, env.AGENT_ID, env.AGENT_ALIAS_ID);
/** Set together by AgentRoute when it knows the agent's model; without them the route records no usage. */
const pricedModel = env.MODEL_ALIAS && env[MODEL_PRICE_ENV] ? { alias: env.MODEL_ALIAS, price: env[MODEL_PRICE_ENV] } : undefined;

/** InvokeAgent on the pinned alias, with traces on (the trace id, the actions called and the model's token usage come from them). */
function invokeAgent(runtime: BedrockAgentRuntimeClient, agentId: string, agentAliasId: string): AgentPort {
  return {
    async invoke(request, signal) {
      const out = await runtime.send(
        new InvokeAgentCommand({
          agentId,
          agentAliasId,
          sessionId: request.sessionId,
          enableTrace: true,
          ...(request.inputText !== undefined ? { inputText: request.inputText } : {}),
          sessionState: {
            sessionAttributes: { ...request.sessionAttributes },
            // The caller's tenant scope on every search of the agent's knowledge base (lambda/shared/retrieval-filter.ts).
            ...(request.knowledgeBase
              ? {
                  knowledgeBaseConfigurations: [
                    {
                      knowledgeBaseId: request.knowledgeBase.knowledgeBaseId,
                      retrievalConfiguration: { vectorSearchConfiguration: { filter: request.knowledgeBase.filter } },
                    },
                  ],
                }
              : {}),
            ...(request.confirmation
              ? {
                  invocationId: request.confirmation.invocationId,
                  returnControlInvocationResults: [
                    {
                      functionResult: {
                        actionGroup: request.confirmation.actionGroup,
                        function: request.confirmation.function,
                        confirmationState: request.confirmation.confirmed ? 'CONFIRM' : 'DENY',
                      },
                    },
                  ],
                }
              : {}),
          },
        }),
        { abortSignal: signal },
      );
      if (!out.completion) throw new HttpError(502, 'The agent returned no answer stream');
      // The SDK's ResponseStream members, read as the plain shapes the core checks field by field.
      return { requestId: out.$metadata.requestId, events: out.completion as AsyncIterable<AgentEvent> };
    },
  };
}

/** `POST /agent`: a turn of a conversation with the agent, or the answer to its confirmation question. */
export const handler = jsonRoute(async ({ body, signal, event }) => {
  const request = parseAgentRequest(settings, body);
  // Who is calling comes from what API Gateway checked (API key, token, signer), never from the body.
  const caller = callerOf(event, tenants);
  if (!caller.tenant && Object.keys(tenants).length > 0) throw new HttpError(403, 'The agent route needs an API key or token that names a tenant');
  const { answer, usage } = await converse(request, { tenant: caller.tenant ?? DEFAULT_TENANT, principal: caller.principal }, settings, agent, signal);
  // The usage record of every model route (contracts/usage.ts): once per answer, the tokens of all
  // the agent's model calls for it. The tenant as the other routes report it (none without tenants).
  if (usage && pricedModel) recordUsage({ model: pricedModel.alias, tenant: caller.tenant, usage, costUsd: costOf(usage, pricedModel.price) });
  metrics.addDimensions({ [USAGE_DIMENSIONS.tenant]: caller.tenant ?? DEFAULT_TENANT });
  metrics.addMetric('AgentTurns', MetricUnit.Count, 1);
  metrics.addMetric('AgentActions', MetricUnit.Count, answer.actions.length);
  if (answer.confirmationRequired) metrics.addMetric('AgentConfirmationsRequested', MetricUnit.Count, 1);
  if (answer.blocked) metrics.addMetric(GUARDRAIL_METRICS.agent, MetricUnit.Count, 1);
  // Neither input nor answer at INFO: only what happened.
  logger.info('agent answered', {
    tenant: caller.tenant,
    traceId: answer.traceId,
    actions: answer.actions,
    citations: answer.citations.length,
    confirmation: answer.confirmationRequired?.function,
    blocked: answer.blocked,
    ...usage,
  });
  return { body: { ...answer } };
});
