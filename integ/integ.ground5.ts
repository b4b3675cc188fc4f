import { App } from 'aws-cdk-lib';
import { type BlueprintUnderTest, blueprintUnderTest } from './blueprint-under-test';
import { exactly, expectAt, Probe } from './probe';
import { integTest } from './tests';
import { ingestionCompleted } from './waits';

/**
 * Ground 5: the second identical question is an exact cache hit and costs nothing; the prompt
 * function runs in the isolated VPC and reaches ElastiCache with IAM login.
 */
export function build(app: App): BlueprintUnderTest {
  const under = blueprintUnderTest(app, integTest('ground5'));
  const { integ, assertionStack } = under;
  const ground = under.ground!;
  const probe = new Probe(assertionStack, 'Probe', { api: ground.api, gateway: ground.gateway });
  // Only answers with passages are cached (an answer without any is not): the corpus must be indexed.
  // The cache fails open, so a hit is also the proof that the function connected and logged in (IAM).
  ingestionCompleted(assertionStack, integ, ground.knowledgeBase!).next(
    probe.expect(integ, 'cache-hit', {
      'first.status': 200,
      'first.cache': 'none',
      'first.tenantProfile': true,
      'second.status': 200,
      'second.cache': 'exact',
      'second.cheaper': true,
    }),
  );
  const promptFunction = integ.assertions.awsApiCall('Lambda', 'getFunctionConfiguration', { FunctionName: ground.modelCall.promptFunction.functionName });
  expectAt(assertionStack, 'PromptFunctionInIsolatedVpc', promptFunction, 'VpcConfig.VpcId', exactly(ground.network!.vpc.vpcId));
  const cacheUser = integ.assertions.awsApiCall('ElastiCache', 'describeUsers', { UserId: ground.cache!.userId });
  expectAt(assertionStack, 'CacheUserLogsInWithIam', cacheUser, 'Users.0.Authentication.Type', exactly('iam'));
  return under;
}

if (require.main === module) build(new App());
