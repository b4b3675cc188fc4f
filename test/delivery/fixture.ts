/** Accounts, Regions and the connection of the delivery tests (documentation values, not real). */
export const PIPELINE_ACCOUNT = '111111111111';
export const CONNECTION_ARN = 'arn:aws:codeconnections:eu-west-1:111111111111:connection/0123abcd-0123-4567-89ab-0123456789ab';

/** A `delivery` section: the pipeline in 111111111111, eu-west-1, and `stages`. */
export function delivery(stages: readonly Record<string, unknown>[]): Record<string, unknown> {
  return { connectionArn: CONNECTION_ARN, repository: 'acme/genai-blueprint', account: PIPELINE_ACCOUNT, region: 'eu-west-1', stages };
}
