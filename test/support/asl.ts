import type { Template } from 'aws-cdk-lib/assertions';

// asl-validator ships no type definitions.
const validateAsl = require('asl-validator') as (
  definition: unknown,
  opts?: { checkPaths: boolean; checkArn: boolean },
) => { isValid: boolean; errors: unknown[] };

/** What a CloudFormation intrinsic inside a definition string stands for once deployed. */
function placeholder(part: unknown): string {
  const ref = (part as { Ref?: string }).Ref;
  if (ref === 'AWS::Partition') return 'aws';
  if (ref === 'AWS::Region') return 'us-east-1';
  if (ref === 'AWS::AccountId') return '123456789012';
  if (ref === 'AWS::URLSuffix') return 'amazonaws.com';
  // Any other token is a resource's ARN, name or URL: an ARN-shaped string keeps ARN checks honest.
  return 'arn:aws:lambda:us-east-1:123456789012:function:placeholder';
}

/** Turns a template's `DefinitionString` (plain or `Fn::Join`) into the JSON Step Functions receives. */
export function resolveDefinition(definitionString: unknown): Record<string, any> {
  if (typeof definitionString === 'string') return JSON.parse(definitionString);
  const join = (definitionString as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (!join) throw new Error(`DefinitionString is neither a string nor Fn::Join: ${JSON.stringify(definitionString).slice(0, 200)}`);
  const [separator, parts] = join;
  return JSON.parse(parts.map((p) => (typeof p === 'string' ? p : placeholder(p))).join(separator));
}

/** Every state machine of a template, by logical id, with its definition resolved. */
export function stateMachines(template: Template): Record<string, Record<string, any>> {
  const out: Record<string, Record<string, any>> = {};
  for (const [id, resource] of Object.entries(template.findResources('AWS::StepFunctions::StateMachine'))) {
    out[id] = resolveDefinition(resource.Properties.DefinitionString);
  }
  return out;
}

/** asl-validator's verdict on a definition: the list of errors, empty when valid. */
export function aslErrors(definition: unknown): unknown[] {
  const { isValid, errors } = validateAsl(definition, { checkPaths: true, checkArn: true });
  return isValid ? [] : errors;
}

/** Every Task state of a definition, nested (Parallel branches, Map iterators) included. */
export function taskStates(definition: Record<string, any>): [string, Record<string, any>][] {
  const tasks: [string, Record<string, any>][] = [];
  const walk = (states: Record<string, any>) => {
    for (const [name, state] of Object.entries(states ?? {})) {
      if (state.Type === 'Task') tasks.push([name, state]);
      for (const branch of state.Branches ?? []) walk(branch.States);
      if (state.ItemProcessor) walk(state.ItemProcessor.States);
      if (state.Iterator) walk(state.Iterator.States);
    }
  };
  walk(definition.States);
  return tasks;
}
