import type { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance, type NagRuleResult } from 'cdk-nag';
import { allowStatements, coversAction, permissionsOfRole, roleOf } from '../policy';
import { asArray, flatten, StackTemplate, type TemplateResource } from '../template';
import { invokesModels } from './bedrock-invoke-model-scoped';

const GUARDRAIL_TYPES = new Set(['AWS::Bedrock::Guardrail', 'AWS::Bedrock::GuardrailVersion']);

/**
 * In a stack that has a guardrail (`AWS::Bedrock::Guardrail`), a model caller that is not given
 * it:
 *
 * - a Bedrock agent (`AWS::Bedrock::Agent`) without `GuardrailConfiguration`: an agent applies a
 *   guardrail only when it is associated with one (Amazon Bedrock User Guide, "Implement
 *   safeguards for your application by associating a guardrail with your agent");
 * - a Lambda function whose role may invoke models (`bedrock:InvokeModel*`, which authorizes
 *   Converse) but that is missing either half of using the guardrail: `bedrock:ApplyGuardrail`
 *   on the guardrail (needed by ApplyGuardrail and by Converse with `guardrailConfig`: Amazon
 *   Bedrock User Guide, "Set up permissions to use Amazon Bedrock Guardrails"), or the guardrail's
 *   id or version in its environment (without it the function cannot name the guardrail).
 *
 * A guardrail the template creates but a caller ignores lets prompt attacks, denied topics and
 * PII reach the model unchecked. Findings for a function: `ApplyGuardrail`, `Environment`.
 */
export function BedrockGuardrailGiven(node: CfnResource): NagRuleResult {
  const type = node.cfnResourceType;
  if (type !== 'AWS::Bedrock::Agent' && type !== 'AWS::Lambda::Function') return NagRuleCompliance.NOT_APPLICABLE;
  const template = StackTemplate.of(node);
  const resource = template.resourceOf(node);
  if (!resource || template.ofType('AWS::Bedrock::Guardrail').length === 0) return NagRuleCompliance.NOT_APPLICABLE;
  if (type === 'AWS::Bedrock::Agent') {
    return resource.properties.GuardrailConfiguration?.GuardrailIdentifier !== undefined ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
  }
  const role = roleOf(template, resource.properties.Role);
  if (!role) return NagRuleCompliance.NOT_APPLICABLE;
  const statements = allowStatements(permissionsOfRole(template, role)).map((s) => s.statement);
  if (!statements.some(invokesModels)) return NagRuleCompliance.NOT_APPLICABLE;

  const isGuardrail = (value: unknown) => {
    const text = flatten(value);
    return text === '*' || /:guardrail\/\*$/.test(text) || template.referencedResources(value).some((r: TemplateResource) => GUARDRAIL_TYPES.has(r.type));
  };
  const findings: string[] = [];
  if (!statements.some((s) => coversAction(s, 'bedrock:ApplyGuardrail') && asArray(s.resources).some(isGuardrail))) findings.push('ApplyGuardrail');
  const env = Object.values((resource.properties.Environment?.Variables as Record<string, unknown>) ?? {});
  if (!env.some((v) => template.referencedResources(v).some((r) => GUARDRAIL_TYPES.has(r.type)))) findings.push('Environment');
  return findings.length > 0 ? findings : NagRuleCompliance.COMPLIANT;
}
