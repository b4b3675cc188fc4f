/** Pseudo parameters of one imagined deployment, for rendering template values to strings. */
export interface Deployment {
  readonly stackId: string;
  readonly partition?: string;
  readonly region?: string;
  readonly accountId?: string;
}

export const FIRST_CREATE: Deployment = { stackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/GenAiBlueprint/0b1c7a40-0000-11f0-8000-0a1b2c3d4e5f' };
/** The same stack name created again after a `cdk destroy`: CloudFormation gives it a new UUID. */
export const RECREATE: Deployment = { stackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/GenAiBlueprint/7e9d3f20-9999-11f0-8000-0f0e0d0c0b0a' };

/**
 * What CloudFormation makes of a value built from pseudo parameters and Fn::Join/Select/Split
 * (the intrinsics our physical names use). Anything else throws, so a test never compares a
 * half-rendered value.
 */
export function renderCfn(value: unknown, d: Deployment): string {
  const pseudo: Record<string, string> = {
    'AWS::StackId': d.stackId,
    'AWS::Partition': d.partition ?? 'aws',
    'AWS::Region': d.region ?? 'us-east-1',
    'AWS::AccountId': d.accountId ?? '123456789012',
  };
  const list = (v: unknown): unknown[] => {
    if (Array.isArray(v)) return v;
    const split = (v as Record<string, [string, unknown]>)?.['Fn::Split'];
    if (split) return renderCfn(split[1], d).split(split[0]);
    throw new Error(`not a list: ${JSON.stringify(v)}`);
  };
  if (typeof value === 'string') return value;
  const v = value as Record<string, any>;
  if (v?.Ref && v.Ref in pseudo) return pseudo[v.Ref];
  if (v?.['Fn::Join'])
    return list(v['Fn::Join'][1])
      .map((p) => renderCfn(p, d))
      .join(v['Fn::Join'][0]);
  if (v?.['Fn::Select']) return renderCfn(list(v['Fn::Select'][1])[Number(v['Fn::Select'][0])], d);
  throw new Error(`cannot render ${JSON.stringify(value)}`);
}
