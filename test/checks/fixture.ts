import { App, type CfnResource, Stack } from 'aws-cdk-lib';
import type { NagRuleResult } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { GenAiBlueprintChecks } from '../../lib/checks';
import { StackTemplate } from '../../lib/checks/template';

/** A tiny stack to build one rule's fixture in (no CloudFormation validation: fast and offline). */
export function fixtureStack(id = 'Fixture'): Stack {
  const app = new App({ analyticsReporting: false, builtinCloudFormationValidation: false });
  return new Stack(app, id, { env: { account: '111122223333', region: 'us-east-1' } });
}

/**
 * The findings of one GenAiBlueprint rule on `scope`, as `<finding or rule id> @ <construct path
 * below the stack>` (a rule with findings reports `GenAiBlueprint-Rule[finding]`).
 */
export function findings(scope: IConstruct, rule: string): string[] {
  const id = `GenAiBlueprint-${rule}`;
  return new GenAiBlueprintChecks()
    .validateScope(scope)
    .violations.filter((v) => v.ruleName === id || v.ruleName.startsWith(`${id}[`))
    .flatMap((v) =>
      v.violatingResources.map(
        (r) => `${v.ruleName.slice(id.length).replace(/^\[(.*)\]$/, '$1') || rule} @ ${(r.constructPath ?? '').split('/').slice(1).join('/')}`,
      ),
    )
    .sort();
}

/** One rule's answer for one resource, the template read afresh (as each run of the pack does). */
export function judge(rule: (node: CfnResource) => NagRuleResult, node: CfnResource): NagRuleResult {
  StackTemplate.reset();
  return rule(node);
}
