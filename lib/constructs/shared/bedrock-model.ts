import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { type CatalogModel, type InferenceRoute, invocationId, MODEL_CATALOG } from '../../config/models';

/**
 * How a caller invokes a model, and so which IAM actions it needs: Converse and InvokeModel are
 * authorized as `bedrock:InvokeModel`, ConverseStream and InvokeModelWithResponseStream as
 * `bedrock:InvokeModelWithResponseStream` (Service Authorization Reference for Amazon Bedrock).
 * `both` is for a caller that does either (a Bedrock agent's service role).
 */
export type ModelInvocation = 'buffered' | 'streamed' | 'both';

export function invokeActions(invocation: ModelInvocation): string[] {
  return {
    buffered: ['bedrock:InvokeModel'],
    streamed: ['bedrock:InvokeModelWithResponseStream'],
    both: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'],
  }[invocation];
}

/**
 * A catalog model as something a function may invoke: the id to pass at runtime and the exact
 * ARNs to grant. Never `bedrock:*`, never a Bedrock action on `*`.
 */
export class BedrockModel {
  /** Id a runtime call passes as `modelId` (the model, or its cross-region inference profile). */
  public readonly invocationId: string;
  /** The model's catalog alias (what clients and routing policies name). */
  public readonly alias: string;

  constructor(
    public readonly model: CatalogModel,
    public readonly route: InferenceRoute,
  ) {
    this.invocationId = invocationId(model, route);
    const alias = Object.entries(MODEL_CATALOG).find(([, m]) => m.modelId === model.modelId)?.[0];
    if (!alias) throw new Error(`model ${model.modelId} is not in the model catalog (lib/config/models.ts)`);
    this.alias = alias;
  }

  /** Lets `grantee` invoke this model only, the way it calls it (@default Converse: `buffered`). */
  public grantInvoke(scope: IConstruct, grantee: iam.IGrantable, invocation: ModelInvocation = 'buffered'): void {
    const stack = Stack.of(scope);
    const actions = invokeActions(invocation);
    const foundationModel = (region: string) =>
      stack.formatArn({
        service: 'bedrock',
        region,
        account: '',
        resource: 'foundation-model',
        resourceName: this.model.modelId,
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      });
    if (this.route === 'in-region') {
      grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources: [foundationModel(stack.region)] }));
      return;
    }
    const profileArn = stack.formatArn({
      service: 'bedrock',
      resource: 'inference-profile',
      resourceName: this.invocationId,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources: [profileArn] }));
    // A cross-region profile routes to the model in any destination Region of its geography (and,
    // for `global`, to the Region-less ARN). AWS documents this grant: every Region, but only when
    // the call came through this very profile.
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions,
        resources: [foundationModel('*')],
        conditions: { StringEquals: { 'bedrock:InferenceProfileArn': profileArn } },
      }),
    );
  }

  /**
   * Lets `grantee` reach this model through the given application inference profiles (a tenant's
   * profile copying it, ground 4): the model in every Region the copied route may use, but only
   * for calls made through one of those profiles (`bedrock:InferenceProfileArn`).
   */
  public grantInvokeThroughProfiles(scope: IConstruct, grantee: iam.IGrantable, profileArns: readonly string[], invocation: ModelInvocation): void {
    if (profileArns.length === 0) return;
    const stack = Stack.of(scope);
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: invokeActions(invocation),
        resources: [
          stack.formatArn({
            service: 'bedrock',
            region: this.route === 'in-region' ? stack.region : '*',
            account: '',
            resource: 'foundation-model',
            resourceName: this.model.modelId,
            arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
          }),
        ],
        conditions: { StringEquals: { 'bedrock:InferenceProfileArn': [...profileArns] } },
      }),
    );
  }

  /** The ARN an application inference profile copies: the system profile, or the in-Region model. */
  public sourceArn(scope: IConstruct): string {
    const stack = Stack.of(scope);
    return this.route === 'in-region'
      ? stack.formatArn({
          service: 'bedrock',
          account: '',
          resource: 'foundation-model',
          resourceName: this.model.modelId,
          arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
        })
      : stack.formatArn({ service: 'bedrock', resource: 'inference-profile', resourceName: this.invocationId, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
  }

  /** The finding cdk-nag reports for the Region wildcard above (acknowledged where it is granted). */
  public nagRegionWildcardFinding(): string | undefined {
    return this.route === 'in-region' ? undefined : `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:bedrock:*::foundation-model/${this.model.modelId}]`;
  }
}
