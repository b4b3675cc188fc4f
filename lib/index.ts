/**
 * genai-blueprint's public API: every architecture block as a construct you compose in your own
 * stack, with its props and the interfaces other blocks take, the model catalog they are
 * configured from, and our cdk-nag pack. The grounds (lib/grounds) are one composition of them.
 */

// Ground 0: the API and the model call.
export * from './constructs/api/model-api';
export * from './constructs/model-call/model-call';
// Ground 1: managed prompts.
export * from './constructs/prompt-library/managed-prompt';
export type { PromptDefinition, PromptExample, PromptVariable } from './config/prompts';
export { DEFAULT_PROMPT } from './config/prompts';
// Ground 2: the knowledge base.
export * from './constructs/knowledge-base/knowledge-base';
// Ground 3: guardrails.
export * from './constructs/guardrail/guardrail';
export * from './config/guardrail-defaults';
// Ground 4: the gateway (tenants, usage plans, WAF).
export * from './constructs/gateway/model-gateway';
// Ground 5: the caches and the network they live in.
export * from './constructs/cache/isolated-network';
export * from './constructs/cache/response-cache';
// Ground 6: the agent and its route.
export * from './constructs/agent/agent';
export * from './constructs/agent/agent-route';
// Ground 7: auth, sessions, feedback, observability, orchestration.
export * from './constructs/auth/user-auth';
export * from './constructs/sessions/session-store';
export * from './constructs/feedback/feedback';
export * from './constructs/observability/observability';
export * from './constructs/observability/invocation-logging';
export * from './constructs/orchestration/document-pipeline';
// Predictive ML.
export * from './constructs/predictive-ml/predictive-ml';
export * from './constructs/predictive-ml/training-pipeline';
export type { DatasetSpec, FeatureSpec, FeatureValues } from '../contracts/dataset';
export { CHURN_DATASET } from '../contracts/dataset';
export { TENANT_TIERS, type TenantTier } from '../contracts/tenants';

// Shared by the blocks: the Bedrock model a block calls, the one function construct, the catalog.
export * from './constructs/shared/bedrock-model';
export type { IAlarmSource, IRouteBlock } from './constructs/shared/routes';
export { BlueprintFunction, type BlueprintFunctionProps, LATEST_NODE_RUNTIME, METRICS_NAMESPACE } from './constructs/shared/blueprint-function';
export * from './config/models';

// Multi-environment delivery (docs/delivery.md): the check that every production deploy of a CDK
// Pipelines pipeline waits for a manual approval. The pipeline itself deploys the grounds, which the
// package does not ship.
export { pipelineStagesOf, productionApprovalProblems, type ProductionTarget } from './delivery/approvals';

// The regulated profile (docs/compliance.md) and the closed network (docs/network.md), for your own stacks:
// RegulatedProfile.applyTo(stack) adds the controls NIST 800-53 Rev. 5 and HIPAA Security ask of the blocks;
// closeNetwork(stack, ...) makes the API private and moves every function into the isolated network.
export { RegulatedProfile, REGULATED_CONTROLS, type IRegulatedControl } from './compliance/regulated-profile';
export { closeNetwork, type ClosedNetworkProps } from './compliance/network';

// Our cdk-nag pack.
export { GenAiBlueprintChecks } from './checks';
