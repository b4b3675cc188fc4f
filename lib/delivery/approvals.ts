import { asArray, flatten } from '../checks/template';

/** Where a production stage deploys: what its CloudFormation deploy actions name. */
export interface ProductionTarget {
  readonly account: string;
  readonly region: string;
  readonly stackName: string;
}

interface PipelineAction {
  readonly Name?: string;
  readonly ActionTypeId?: { readonly Category?: string; readonly Provider?: string };
  readonly RunOrder?: number;
  readonly Region?: string;
  readonly RoleArn?: unknown;
  readonly Configuration?: { readonly StackName?: unknown; readonly RoleArn?: unknown };
}

interface PipelineStage {
  readonly Name?: string;
  readonly Actions?: readonly PipelineAction[];
}

/**
 * Reads an `AWS::CodePipeline::Pipeline`'s stages (a synthesized template) and returns, for each
 * CloudFormation action that deploys a production target, a problem unless a manual approval runs
 * before it in the same pipeline stage (a lower RunOrder): CodePipeline runs a stage's actions in
 * RunOrder and stops at a rejected or pending approval.
 * https://docs.aws.amazon.com/codepipeline/latest/userguide/reference-pipeline-structure.html (runOrder)
 *
 * An action deploys a target when its StackName is the target's and its role (the CDK bootstrap
 * deploy role of that account) names the account, in the target's Region (the action's `Region`, or
 * `pipelineRegion` when it has none).
 */
export function productionApprovalProblems(pipelineStages: readonly PipelineStage[], targets: readonly ProductionTarget[], pipelineRegion: string): string[] {
  const problems: string[] = [];
  for (const stage of pipelineStages) {
    const actions = stage.Actions ?? [];
    const approvals = actions.filter((a) => a.ActionTypeId?.Category === 'Approval' && a.ActionTypeId.Provider === 'Manual').map((a) => a.RunOrder ?? 1);
    for (const action of actions) {
      if (action.ActionTypeId?.Category !== 'Deploy' || action.ActionTypeId.Provider !== 'CloudFormation') continue;
      const stackName = flatten(action.Configuration?.StackName);
      const roles = `${flatten(action.RoleArn)} ${flatten(action.Configuration?.RoleArn)}`;
      const region = action.Region ?? pipelineRegion;
      const target = targets.find((t) => t.stackName === stackName && t.region === region && roles.includes(`::${t.account}:`));
      if (!target) continue;
      const runOrder = action.RunOrder ?? 1;
      if (!approvals.some((order) => order < runOrder)) {
        problems.push(
          `pipeline stage ${stage.Name}: action ${action.Name} deploys ${target.stackName} to production (account ${target.account}, ` +
            `${target.region}) with no manual approval before it in that stage`,
        );
      }
    }
  }
  return problems;
}

/** The `Stages` of the one `AWS::CodePipeline::Pipeline` of a template. */
export function pipelineStagesOf(template: { Resources?: Record<string, { Type?: string; Properties?: { Stages?: unknown } }> }): PipelineStage[] {
  const pipelines = Object.values(template.Resources ?? {}).filter((r) => r.Type === 'AWS::CodePipeline::Pipeline');
  if (pipelines.length !== 1) throw new Error(`expected one AWS::CodePipeline::Pipeline in the template, found ${pipelines.length}`);
  return asArray(pipelines[0].Properties?.Stages as PipelineStage[] | undefined);
}
