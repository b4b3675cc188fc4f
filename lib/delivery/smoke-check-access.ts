import { CfnOutput, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { flatten } from '../checks/template';
import type { GroundStack } from '../grounds/ground-stack';

/**
 * IAM path of every smoke-check role: the pipeline's smoke step may assume roles under it in a
 * stage account (their names are generated, so the path is what the step's policy can name).
 */
export const SMOKE_ROLE_PATH = '/genai-blueprint-smoke/';

export interface SmokeCheckAccessProps {
  /** The ground whose API `npm run smoke` calls. */
  readonly ground: GroundStack;
  /** Account of the pipeline whose smoke step assumes the role. */
  readonly pipelineAccount: string;
  /**
   * Stack name of the pipeline: only roles CloudFormation created for that stack (named
   * `<stack name>-...`) may assume this one.
   */
  readonly pipelineStackName: string;
}

/**
 * The role the pipeline's smoke step assumes in the stage account, with what `npm run smoke` needs
 * there and nothing else (docs/smoke.md, "How it finds what to call"): read the stack's outputs and
 * resources, the API's routes and the tenants' API keys, call the API (IAM-authorized routes need
 * `execute-api:Invoke`), and read the machine clients' secrets at ground 7. Its ARN is an output the
 * smoke step reads (`envFromCfnOutputs`).
 */
export class SmokeCheckAccess extends Construct {
  public readonly role: iam.Role;
  /** The role's ARN, for the pipeline step (`envFromCfnOutputs`). */
  public readonly roleArnOutput: CfnOutput;

  constructor(scope: Construct, id: string, props: SmokeCheckAccessProps) {
    super(scope, id);
    const { ground } = props;
    const stack = Stack.of(this);
    const partition = stack.partition;
    // Any role of the pipeline stack (CloudFormation names them `<stack name>-<logical id>-<suffix>`)
    // may assume this one, no other principal of that account.
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn
    this.role = new iam.Role(this, 'Role', {
      path: SMOKE_ROLE_PATH,
      description: 'Assumed by the delivery pipeline to run npm run smoke against this stack',
      assumedBy: new iam.AccountPrincipal(props.pipelineAccount).withConditions({
        ArnLike: { 'aws:PrincipalArn': `arn:${partition}:iam::${props.pipelineAccount}:role/${props.pipelineStackName}-*` },
      }),
    });
    const region = stack.region;
    const apiId = ground.api.restApi.restApiId;
    const statements = [
      new iam.PolicyStatement({ actions: ['cloudformation:DescribeStacks', 'cloudformation:ListStackResources'], resources: [stack.stackId] }),
      new iam.PolicyStatement({
        actions: ['apigateway:GET'],
        resources: [
          `arn:${partition}:apigateway:${region}::/restapis/${apiId}/resources`,
          ...Object.values(ground.gateway?.apiKeys ?? {}).map((key) => `arn:${partition}:apigateway:${region}::/apikeys/${key.keyId}`),
        ],
      }),
    ];
    if (ground.auth) {
      statements.push(new iam.PolicyStatement({ actions: ['cognito-idp:DescribeUserPoolClient'], resources: [ground.auth.userPool.userPoolArn] }));
    }
    this.role.attachInlinePolicy(new iam.Policy(this, 'Policy', { statements }));
    ground.api.grantInvoke(this.role);
    const invokeArn = ground.api.restApi.arnForExecuteApi('*', '/*', ground.api.restApi.deploymentStage.stageName);
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${flatten(stack.resolve(invokeArn)).replace(/\$\{([^}]+)\}/g, '<$1>')}]`,
      reason:
        'The smoke check calls every route of this API once (any method, any path of its stage), as ModelApi.grantInvoke grants: ' +
        'the stage of this one API, nothing else',
    });
    this.roleArnOutput = new CfnOutput(this, 'RoleArn', {
      value: this.role.roleArn,
      description: 'Role the delivery pipeline assumes to run npm run smoke against this stack',
    });
  }
}
