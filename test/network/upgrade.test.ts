import { Template } from 'aws-cdk-lib/assertions';
import { GROUNDS } from '../../lib/grounds/ground-stack';
import { anyChanged, describeReplacements, removedResources, type TemplateJson, upgradeReplacements } from '../../review/replacement';
import { API_DEFINITION, upgradeLosses } from '../support/stateful';
import { buildApp, maskedTemplate } from '../support/synth';

/**
 * Deploying over a stack with the closed network, judged like test/grounds/upgrade.test.ts (the
 * resource specification's "causes replacement" per property): going up a ground with
 * network=private, and switching a deployed ground from network=public to private, keep every
 * stateful resource, replace nothing, and delete nothing but an API deployment.
 */
const templatesOf = (context: Record<string, unknown>) => {
  const { app, stacks } = buildApp(context);
  app.synth();
  return stacks.map((s) => maskedTemplate(Template.fromStack(s)) as TemplateJson);
};
const open = templatesOf({});
const closed = templatesOf({ network: 'private' });

function problems(lower: TemplateJson, upper: TemplateJson): string[] {
  const apiChanged = anyChanged(lower, upper, API_DEFINITION);
  return [
    ...upgradeLosses(lower, upper),
    ...describeReplacements(upgradeReplacements(lower, upper)),
    ...removedResources(lower, upper)
      .filter((r) => !(r.type === 'AWS::ApiGateway::Deployment' && apiChanged) && r.type !== 'AWS::Lambda::Version')
      .map((r) => `${r.logicalId} (${r.type}) ${r.renamedTo ? `renamed to ${r.renamedTo}` : 'deleted'}`),
  ];
}

test.each(GROUNDS.slice(1).map((g, i) => [GROUNDS[i].ground, g.ground] as const))(
  'network=private, ground %i → %i: keeps every stateful resource, replaces nothing, deletes only an API deployment',
  (lower, upper) => {
    expect(problems(closed[lower], closed[upper])).toEqual([]);
  },
);

test.each(GROUNDS.map((g) => [g.ground] as const))(
  'ground %i, network=public → private: keeps every stateful resource, replaces nothing (the API keeps its id), deletes only the deployment',
  (ground) => {
    expect(problems(open[ground], closed[ground])).toEqual([]);
  },
);
