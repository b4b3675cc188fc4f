import { Fn, Names, Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

/**
 * A physical name for a resource that outlives its stack (`RemovalPolicy.RETAIN`) and must be
 * named before it exists (WAF wants an `aws-waf-logs-` log group; a key policy names its log
 * group). A retained resource keeps its name after `cdk destroy`, so a name made of the stack and
 * construct path alone would collide on the next deploy of the same stack ("already exists"). The
 * stack's creation UUID (the last part of `AWS::StackId`) is new for every create of the stack
 * and stays the same through every update, so going up a ground keeps the name and a redeploy
 * after a destroy gets a new one.
 */
export function retainedResourceName(scope: Construct, prefix: string, maxLength: number): string {
  const stackUuid = Fn.select(2, Fn.split('/', Stack.of(scope).stackId));
  // 36 characters of UUID and a separator follow the path-derived part.
  const path = Names.uniqueResourceName(scope, { maxLength: maxLength - prefix.length - 37, separator: '-' });
  return `${prefix}${path}-${stackUuid}`;
}
