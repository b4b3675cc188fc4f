import { IntegTest } from '@aws-cdk/integ-tests-alpha';
import { type App, CfnDeletionPolicy, CfnResource, Mixins, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { RequireApproval } from 'aws-cdk-lib/cloud-assembly-schema';
import type { IConstruct } from 'constructs';
import type { BlueprintConfig } from '../lib/config/schema';
import { buildBlueprint } from '../lib/grounds/app';
import type { GroundStack } from '../lib/grounds/ground-stack';
import type { PredictiveMlStack } from '../lib/grounds/predictive-ml-stack';
import type { IntegTestSpec } from './tests';

/** What an integration test deploys and asserts on. */
export interface BlueprintUnderTest {
  readonly config: BlueprintConfig;
  /** The stack under test: the ground's, or the PredictiveMl stack. */
  readonly stack: Stack;
  /** The ground's stack (grounds only). */
  readonly ground?: GroundStack;
  /** The PredictiveMl stack (`ml` only). */
  readonly predictiveMl?: PredictiveMlStack;
  /** integ-tests' DeployAssert stack: the assertions and the probe, deployed after the stack under test. */
  readonly assertionStack: Stack;
  readonly integ: IntegTest;
}

/**
 * Builds the stack under test as `bin/app.ts` does (`buildBlueprint`, the test's ground and a
 * stack name of its own, plus `context`, which configuration keys of the test override), makes
 * it removable (`makeRemovable`), and wraps it in an `IntegTest` whose assertions deploy after it.
 *
 * cdk-nag is not attached: its packs judge the ground stacks in `npm test` already
 * (test/policy), and the assertion stack is integ-tests' and the probe's, not the product.
 */
export function blueprintUnderTest(app: App, spec: IntegTestSpec, context: Record<string, unknown> = {}): BlueprintUnderTest {
  // Before any construct exists: context is read when the blueprint is built.
  for (const [key, value] of Object.entries({ ...context, ground: spec.ground, stackName: spec.stackName })) app.node.setContext(key, value);
  const blueprint = buildBlueprint(app, { nag: false });
  const ground = blueprint.stacks[0];
  const stack: Stack | undefined = ground ?? blueprint.predictiveMl;
  if (!stack) throw new Error(`integration test ${spec.name}: ground ${spec.ground} built no stack`);
  makeRemovable(stack);
  const assertionStack = new Stack(app, `${spec.stackName}-Assertions`, {
    description: `genai-blueprint integration test ${spec.name}: assertions on ${stack.stackName}`,
  });
  const integ = new IntegTest(app, `Integ-${spec.name}`, {
    testCases: [stack],
    assertionStack,
    // Deploying from scratch is the test; npm run integ never deploys an earlier snapshot first.
    stackUpdateWorkflow: false,
    diffAssets: false,
    cdkCommandOptions: { deploy: { args: { requireApproval: RequireApproval.NEVER } }, destroy: { args: { force: true } } },
  });
  return { config: blueprint.config, stack, ground, predictiveMl: blueprint.predictiveMl, assertionStack, integ };
}

/**
 * Account-wide settings kept on `cdk destroy`: API Gateway's CloudWatch role and the
 * `AWS::ApiGateway::Account` that points at it serve every REST API of the account and Region
 * (aws-cdk-lib retains them for that reason); deleting them would stop other APIs' execution logs.
 */
export function isAccountSetting(resource: CfnResource): boolean {
  if (resource.cfnResourceType === 'AWS::ApiGateway::Account') return true;
  const owner = resource.node.scope;
  return resource.cfnResourceType === 'AWS::IAM::Role' && owner?.node.id === 'CloudWatchRole' && owner.node.scope instanceof apigateway.RestApiBase;
}

/**
 * What the configuration cannot do (no key destroys retained data, on purpose): lets `cdk destroy`
 * remove everything of a test stack but the account-wide settings. Retained resources (buckets,
 * tables, log groups, keys, the user pool) are deleted, buckets emptied first (aws-cdk-lib's
 * auto-delete custom resource), deletion protection of tables and the user pool switched off, and
 * keys scheduled for deletion after KMS's shortest waiting period (7 days).
 */
export function makeRemovable(scope: IConstruct): void {
  for (const c of scope.node.findAll()) {
    if (!(c instanceof CfnResource) || isAccountSetting(c)) continue;
    const policy = c.cfnOptions.deletionPolicy;
    if (policy !== undefined && policy !== CfnDeletionPolicy.DELETE) c.applyRemovalPolicy(RemovalPolicy.DESTROY);
    if (c instanceof dynamodb.CfnTable) c.deletionProtectionEnabled = false;
    if (c instanceof cognito.CfnUserPool) c.deletionProtection = 'INACTIVE';
    if (c instanceof kms.CfnKey) c.pendingWindowInDays = 7;
  }
  Mixins.of(scope).apply(new s3.mixins.BucketAutoDeleteObjects());
}
