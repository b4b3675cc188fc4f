import type { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance, type NagRuleResult } from 'cdk-nag';
import { conditionKeys, coversAction, type Statement, statementsOf } from '../policy';
import { asArray, flatten, parseArn, StackTemplate } from '../template';

/** The IAM actions of model inference: Converse and InvokeModel, ConverseStream and InvokeModelWithResponseStream. */
export const INVOKE_MODEL_ACTIONS = ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'] as const;

const MODEL_RESOURCE_TYPES = new Set(['foundation-model', 'inference-profile', 'application-inference-profile']);

/** Policy documents a resource carries (inline role policies included). */
export function policyDocumentsOf(type: string, properties: { PolicyDocument?: unknown; Policies?: unknown }): unknown[] {
  if (type === 'AWS::IAM::Policy' || type === 'AWS::IAM::ManagedPolicy') return [properties.PolicyDocument];
  if (type === 'AWS::IAM::Role') return asArray(properties.Policies as { PolicyDocument?: unknown }[]).map((p) => p?.PolicyDocument);
  return [];
}

export function invokesModels(statement: Statement): boolean {
  return statement.effect === 'Allow' && INVOKE_MODEL_ACTIONS.some((a) => coversAction(statement, a));
}

/**
 * Bedrock model invocation (`bedrock:InvokeModel*`, which also authorizes Converse and
 * ConverseStream) allowed more widely than one model:
 *
 * - on a foundation-model, inference-profile or application-inference-profile ARN whose model
 *   part has a wildcard, on a Bedrock ARN whose resource type is a wildcard, or on `*`: the role
 *   may call every model, including ones nobody priced or approved;
 * - on a foundation-model ARN with a wildcard or empty Region (what a cross-Region inference
 *   profile needs, as it routes to the model in several Regions) without a
 *   `bedrock:InferenceProfileArn` condition: the role may then call the model directly in any
 *   Region, outside the profile (Amazon Bedrock User Guide, "Prerequisites for inference
 *   profiles": grant the foundation model in the profile's Regions, and restrict its use to
 *   calls through the profile with the `bedrock:InferenceProfileArn` condition key).
 *
 * Findings: `Resource::<arn>` with `<AWS::Partition>`-style placeholders, or `NotResource`.
 */
export function BedrockInvokeModelScoped(node: CfnResource): NagRuleResult {
  if (!['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::IAM::Role'].includes(node.cfnResourceType)) return NagRuleCompliance.NOT_APPLICABLE;
  const resource = StackTemplate.of(node).resourceOf(node);
  if (!resource) return NagRuleCompliance.NOT_APPLICABLE;
  const statements = policyDocumentsOf(resource.type, resource.properties).flatMap(statementsOf).filter(invokesModels);
  if (statements.length === 0) return NagRuleCompliance.NOT_APPLICABLE;
  const findings = new Set<string>();
  for (const s of statements) {
    if (s.notResources) findings.add('NotResource');
    const throughProfile = conditionKeys(s).has('bedrock:inferenceprofilearn');
    for (const r of asArray(s.resources)) {
      const text = flatten(r);
      if (tooWide(text, throughProfile)) findings.add(`Resource::${text.replace(/\$\{([^}]*)\}/g, '<$1>')}`);
    }
  }
  return findings.size > 0 ? [...findings] : NagRuleCompliance.COMPLIANT;
}

function tooWide(text: string, throughProfile: boolean): boolean {
  if (text === '*') return true;
  const arn = parseArn(text);
  if (!arn) return false; // a token: not an ARN we can read
  if (arn.service !== 'bedrock') return arn.service.includes('*');
  const slash = arn.resource.indexOf('/');
  const type = slash < 0 ? arn.resource : arn.resource.slice(0, slash);
  const model = slash < 0 ? '' : arn.resource.slice(slash + 1);
  if (/[*?]/.test(type)) return true;
  if (!MODEL_RESOURCE_TYPES.has(type)) return false;
  if (/[*?]/.test(model)) return true;
  const anyRegion = arn.region === '' || /[*?]/.test(arn.region);
  return type === 'foundation-model' && anyRegion && !throughProfile;
}
