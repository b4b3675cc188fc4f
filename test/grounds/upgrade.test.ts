import { Template } from 'aws-cdk-lib/assertions';
import { GROUNDS } from '../../lib/grounds/ground-stack';
import {
  anyChanged,
  describeReplacements,
  newLambdaVersions,
  removedResources,
  serviceSpec,
  type TemplateJson,
  upgradeReplacements,
} from '../../review/replacement';
import { API_DEFINITION, statefulResources, upgradeLosses } from '../support/stateful';
import { buildApp, maskedTemplate } from '../support/synth';

/**
 * Going up a ground is `cdk deploy -c ground=N+1` over the stack `ground=N` made: every stateful
 * resource of ground N must keep its logical id and type, and no resource the new ground does not
 * change may be replaced. Replacement is judged by CloudFormation's own rules, the resource
 * specification's "causes replacement" per property (@aws-cdk/aws-service-spec), on templates with
 * asset hashes masked (both come from one synth; a hash never decides a replacement here).
 * Both profiles are checked: the standard one and the regulated one (`-c compliance=regulated`, whose
 * controls are an aspect, so each app is synthesized before its templates are read).
 */
const PROFILES = ['standard', 'regulated'] as const;
type Profile = (typeof PROFILES)[number];

function synthesize(profile: Profile) {
  const { app, stacks } = buildApp(profile === 'regulated' ? { compliance: 'regulated' } : {});
  app.synth();
  return { stacks, templates: stacks.map((s) => maskedTemplate(Template.fromStack(s)) as TemplateJson) };
}
const synthesized = Object.fromEntries(PROFILES.map((p) => [p, synthesize(p)])) as Record<Profile, ReturnType<typeof synthesize>>;
const pairs = GROUNDS.slice(1).map((g, i) => [GROUNDS[i].ground, g.ground] as const);

/** Every property of AWS::Backup::BackupSelection is create-only (CloudFormation template reference). */
const BACKUP_SELECTION_GROWS =
  "the ground's new tables join the daily AWS Backup plan: every property of a backup selection is create-only, so CloudFormation " +
  'creates the new selection, under a name that follows its resources (never the old one in the same plan), then deletes the old one. ' +
  'A selection holds no data: recovery points stay in the vault, and the next daily backup covers the new set';

/**
 * Replacements a ground change genuinely requires, each with its reason, per profile. Keyed by
 * `<lower>→<upper> <logical id>`; an entry that no longer matches fails the test below.
 */
const REQUIRED_REPLACEMENTS: Record<Profile, Record<string, string>> = {
  standard: {},
  regulated: {
    '5→6 RegulatedDataBackupSelection0AB46F84': `${BACKUP_SELECTION_GROWS} (the agent's table)`,
    '6→7 RegulatedDataBackupSelection0AB46F84': `${BACKUP_SELECTION_GROWS} (the sessions and feedback tables)`,
  },
};

/** What ground 0 holds that the upgrade must keep, per profile. */
const GROUND0_STATEFUL: Record<Profile, string[]> = {
  standard: ['AWS::Logs::LogGroup', 'AWS::Logs::LogGroup'],
  // Also the stack's logs and messaging keys, the functions' dead-letter queue, the isolated network's flow log group,
  // the web ACL's log group (ground 4's gateway keeps it), the API's execution log group and the default security
  // group cleaner's log group (lib/compliance/logs.ts).
  regulated: ['AWS::KMS::Key', 'AWS::KMS::Key', ...Array<string>(6).fill('AWS::Logs::LogGroup'), 'AWS::SQS::Queue'],
};

describe.each(PROFILES)('upgrade between consecutive grounds, %s profile', (profile) => {
  const { stacks, templates } = synthesized[profile];
  const required = REQUIRED_REPLACEMENTS[profile];

  test('every ground deploys to the same CloudFormation stack name', () => {
    expect(new Set(stacks.map((s) => s.stackName))).toEqual(new Set(['GenAiBlueprint']));
    expect(stacks.map((s) => s.node.id)).toEqual(GROUNDS.map((g) => g.stackId));
  });

  test('ground 0 holds the stateful resources the upgrade must keep', () => {
    expect([...statefulResources(templates[0]).values()].sort()).toEqual(GROUND0_STATEFUL[profile]);
  });

  if (pairs.length > 0) {
    test.each(pairs)('ground %i → %i keeps every stateful logical id and type', (lower, upper) => {
      expect(upgradeLosses(templates[lower], templates[upper])).toEqual([]);
    });

    test.each(pairs)('ground %i → %i replaces no resource by CloudFormation replacement rules, except what the ground requires', (lower, upper) => {
      const found = describeReplacements(upgradeReplacements(templates[lower], templates[upper]));
      expect(found.filter((line) => required[`${lower}→${upper} ${line.split(' ')[0]}`] === undefined)).toEqual([]);
    });

    test.each(pairs)('ground %i → %i gives a replaced backup selection a name of its own', (lower, upper) => {
      const names = (t: TemplateJson) =>
        Object.values(t.Resources ?? {})
          .filter((r) => r.Type === 'AWS::Backup::BackupSelection')
          .map((r) => JSON.stringify((r.Properties as { BackupSelection?: { SelectionName?: unknown } } | undefined)?.BackupSelection?.SelectionName));
      const replaced = describeReplacements(upgradeReplacements(templates[lower], templates[upper])).some((line) =>
        line.startsWith('RegulatedDataBackupSelection'),
      );
      const [before, after] = [names(templates[lower]), names(templates[upper])];
      if (replaced) expect(after.filter((n) => before.includes(n))).toEqual([]);
      else if (before.length > 0) expect(after).toEqual(before); // an unchanged list keeps its name: no replacement
    });

    test.each(pairs)('ground %i → %i deletes no resource of the lower ground, except an API deployment when the API changed', (lower, upper) => {
      const apiChanged = anyChanged(templates[lower], templates[upper], API_DEFINITION);
      const unexpected = removedResources(templates[lower], templates[upper])
        // CDK names a Deployment after a hash of the API's definition: a ground that adds or changes a
        // route needs a new one, and the stage moves to it (the old deployment goes in the cleanup).
        .filter((r) => !(r.type === 'AWS::ApiGateway::Deployment' && apiChanged))
        // New Lambda versions are judged by the next test.
        .filter((r) => r.type !== 'AWS::Lambda::Version')
        .map((r) => `${r.logicalId} (${r.type}) ${r.renamedTo ? `renamed to ${r.renamedTo}` : 'deleted'}`);
      expect(unexpected).toEqual([]);
    });

    test.each(pairs)('ground %i → %i publishes a new Lambda version only for a function whose versioned configuration changed', (lower, upper) => {
      const replaced = new Set(upgradeReplacements(templates[lower], templates[upper]).map((r) => r.logicalId));
      const spurious = newLambdaVersions(templates[lower], templates[upper], replaced).filter((v) => v.changed.length === 0);
      expect(spurious.map((v) => `${v.functionId}: new version ${v.versionId} with no versioned property changed`)).toEqual([]);
    });
  }

  test('every allowed replacement still happens (no stale entry)', () => {
    const happening = new Set(
      pairs.flatMap(([lower, upper]) => upgradeReplacements(templates[lower], templates[upper]).map((r) => `${lower}→${upper} ${r.logicalId}`)),
    );
    expect(Object.keys(required).filter((k) => !happening.has(k))).toEqual([]);
  });
});

describe('the replacement check itself', () => {
  const spec = serviceSpec();
  const sg = (description: string) => ({ Type: 'AWS::EC2::SecurityGroup', Properties: { GroupDescription: description, VpcId: 'vpc-1' } });

  test('the specification marks what the template reference says "Update requires: Replacement"', () => {
    const props = (type: string) => spec.lookup('resource', 'cloudFormationType', 'equals', type)[0].properties;
    expect(props('AWS::EC2::SecurityGroup').GroupDescription.causesReplacement).toBe('yes');
    expect(props('AWS::Bedrock::PromptVersion').Tags.causesReplacement).toBe('yes');
    expect(props('AWS::Lambda::Function').Tags.causesReplacement ?? 'no').toBe('no');
  });

  test('a changed create-only property replaces the resource; a mutable one does not', () => {
    const lower = {
      Resources: {
        Sg: sg('Automatic security group for Lambda Function Ground5CachesFn'),
        Fn: { Type: 'AWS::Lambda::Function', Properties: { MemorySize: 256 } },
      },
    };
    const upper = {
      Resources: {
        Sg: sg('Automatic security group for Lambda Function Ground6AgentsFn'),
        Fn: { Type: 'AWS::Lambda::Function', Properties: { MemorySize: 512 } },
      },
    };
    expect(describeReplacements(upgradeReplacements(lower, upper, spec))).toEqual(['Sg (AWS::EC2::SecurityGroup) replaced: GroupDescription']);
  });

  test('a tag that changes replaces a resource whose Tags are create-only', () => {
    const version = (ground: string) => ({
      Type: 'AWS::Bedrock::PromptVersion',
      Properties: { PromptArn: { 'Fn::GetAtt': ['Prompt', 'Arn'] }, Tags: { ground } },
    });
    expect(describeReplacements(upgradeReplacements({ Resources: { V: version('5') } }, { Resources: { V: version('6') } }, spec))).toEqual([
      'V (AWS::Bedrock::PromptVersion) replaced: Tags',
    ]);
  });

  test('replacement propagates through Ref and Fn::GetAtt into create-only properties, not into mutable ones', () => {
    const lower = {
      Resources: {
        Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.0.0.0/16' } },
        Sg: { Type: 'AWS::EC2::SecurityGroup', Properties: { GroupDescription: 'x', VpcId: { Ref: 'Vpc' } } },
        Fn: { Type: 'AWS::Lambda::Function', Properties: { VpcConfig: { SecurityGroupIds: [{ 'Fn::GetAtt': ['Sg', 'GroupId'] }] } } },
      },
    };
    const upper = structuredClone(lower);
    upper.Resources.Vpc.Properties.CidrBlock = '10.1.0.0/16';
    expect(describeReplacements(upgradeReplacements(lower, upper, spec))).toEqual([
      'Sg (AWS::EC2::SecurityGroup) replaced: VpcId',
      'Vpc (AWS::EC2::VPC) replaced: CidrBlock',
    ]);
  });

  test('a create-only property nested in a mutable one is found, and a retyped id is a replacement', () => {
    const lower = {
      Resources: {
        Kb: {
          Type: 'AWS::Bedrock::DataSource',
          Properties: { Name: 'docs', VectorIngestionConfiguration: { ChunkingConfiguration: { ChunkingStrategy: 'FIXED_SIZE' } } },
        },
        T: { Type: 'AWS::DynamoDB::Table', Properties: {} },
      },
    };
    const upper = {
      Resources: {
        Kb: {
          Type: 'AWS::Bedrock::DataSource',
          Properties: { Name: 'docs', VectorIngestionConfiguration: { ChunkingConfiguration: { ChunkingStrategy: 'SEMANTIC' } } },
        },
        T: { Type: 'AWS::DynamoDB::GlobalTable', Properties: {} },
      },
    };
    const found = describeReplacements(upgradeReplacements(lower, upper, spec));
    expect(found).toEqual([
      'Kb (AWS::Bedrock::DataSource) replaced: VectorIngestionConfiguration.ChunkingConfiguration',
      'T (AWS::DynamoDB::Table) replaced: type AWS::DynamoDB::Table → AWS::DynamoDB::GlobalTable',
    ]);
  });

  test('a resource that moves to a new logical id with the same properties is reported as renamed', () => {
    const rule = {
      Type: 'AWS::EC2::SecurityGroupIngress',
      Properties: { GroupId: 'sg-1', SourceSecurityGroupId: 'sg-2', IpProtocol: 'tcp', FromPort: 6379, ToPort: 6379 },
    };
    expect(removedResources({ Resources: { FromGround5Fn: rule } }, { Resources: { FromGround6Fn: rule } })).toEqual([
      { logicalId: 'FromGround5Fn', type: 'AWS::EC2::SecurityGroupIngress', renamedTo: 'FromGround6Fn' },
    ]);
  });

  test('a new Lambda version for a function whose versioned properties did not change is spurious', () => {
    const fn = (ground: string, memory = 256) => ({
      Type: 'AWS::Lambda::Function',
      Properties: { MemorySize: memory, Tags: [{ Key: 'ground', Value: ground }] },
    });
    const version = { Type: 'AWS::Lambda::Version', Properties: { FunctionName: { Ref: 'Fn' } } };
    const lower = { Resources: { Fn: fn('5'), FnCurrentVersionAAAA: version } };
    expect(newLambdaVersions(lower, { Resources: { Fn: fn('6'), FnCurrentVersionBBBB: version } })).toEqual([
      { functionId: 'Fn', versionId: 'FnCurrentVersionBBBB', changed: [] },
    ]);
    expect(newLambdaVersions(lower, { Resources: { Fn: fn('6', 512), FnCurrentVersionCCCC: version } })).toEqual([
      { functionId: 'Fn', versionId: 'FnCurrentVersionCCCC', changed: ['MemorySize'] },
    ]);
  });
});
