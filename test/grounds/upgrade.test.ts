import { Template } from 'aws-cdk-lib/assertions';
import { GROUNDS } from '../../lib/grounds/ground-stack';
import { statefulResources, upgradeLosses } from '../support/stateful';
import { buildApp } from '../support/synth';

/**
 * Going up a ground is `cdk deploy -c ground=N+1` over the stack `ground=N` made: every stateful
 * resource of ground N must keep its logical id and type, or CloudFormation replaces it.
 */
const { stacks } = buildApp();
const templates = stacks.map((s) => Template.fromStack(s).toJSON());
const pairs = GROUNDS.slice(1).map((g, i) => [GROUNDS[i].ground, g.ground] as const);

describe('upgrade between consecutive grounds', () => {
  test('every ground deploys to the same CloudFormation stack name', () => {
    expect(new Set(stacks.map((s) => s.stackName))).toEqual(new Set(['GenAiBlueprint']));
    expect(stacks.map((s) => s.node.id)).toEqual(GROUNDS.map((g) => g.stackId));
  });

  test('ground 0 holds the stateful resources the upgrade must keep: its log groups', () => {
    expect([...statefulResources(templates[0]).values()].sort()).toEqual(['AWS::Logs::LogGroup', 'AWS::Logs::LogGroup']);
  });

  if (pairs.length > 0) {
    test.each(pairs)('ground %i → %i keeps every stateful logical id and type', (lower, upper) => {
      expect(upgradeLosses(templates[lower], templates[upper])).toEqual([]);
    });
  }

  test('the check reports a renamed or retyped stateful resource', () => {
    const lower = { Resources: { Docs: { Type: 'AWS::S3::Bucket' }, Table: { Type: 'AWS::DynamoDB::Table' }, Fn: { Type: 'AWS::Lambda::Function' } } };
    const upper = { Resources: { Docs2: { Type: 'AWS::S3::Bucket' }, Table: { Type: 'AWS::DynamoDB::GlobalTable' } } };
    expect(upgradeLosses(lower, upper)).toEqual([
      'Docs (AWS::S3::Bucket) is missing',
      'Table (AWS::DynamoDB::Table) becomes AWS::DynamoDB::GlobalTable',
    ]);
  });
});
