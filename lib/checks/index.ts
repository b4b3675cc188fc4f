export * from './genai-blueprint-checks';
export * from './stale-acknowledgements';
export { BedrockGuardrailGiven } from './rules/bedrock-guardrail-given';
export { BedrockInvokeModelScoped } from './rules/bedrock-invoke-model-scoped';
export { KnowledgeBaseBucketTls } from './rules/knowledge-base-bucket-tls';
export { LambdaVpcEniPermissions } from './rules/lambda-vpc-eni-permissions';
export { RetainedResourceFixedName } from './rules/retained-resource-fixed-name';
export { SnsTopicPolicyAllowsPublishers } from './rules/sns-topic-policy-allows-publishers';
export { SqsQueuePolicyAllowsSenders } from './rules/sqs-queue-policy-allows-senders';
