import { CfnResource, Fn, NestedStack, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { asArray, flatten, parseArn, referencedId, referencedIds, StackTemplate } from '../../lib/checks/template';
import { fixtureStack } from './fixture';

describe('reading a resolved template (lib/checks/template.ts)', () => {
  test('asArray: nothing, one value, a list', () => {
    expect(asArray(undefined)).toEqual([]);
    expect(asArray(null)).toEqual([]);
    expect(asArray(0)).toEqual([0]);
    expect(asArray('')).toEqual(['']);
    expect(asArray(['a', 'b'])).toEqual(['a', 'b']);
  });

  test('referencedId: a Ref or a GetAtt in either form; pseudo parameters and other values name nothing', () => {
    expect(referencedId({ Ref: 'Queue' })).toBe('Queue');
    expect(referencedId({ Ref: 'AWS::Region' })).toBeUndefined();
    expect(referencedId({ 'Fn::GetAtt': ['Role', 'Arn'] })).toBe('Role');
    expect(referencedId({ 'Fn::GetAtt': 'Role.Arn' })).toBe('Role');
    expect(referencedId({ 'Fn::GetAtt': [1, 'Arn'] })).toBeUndefined();
    expect(referencedId({ Ref: 1 })).toBeUndefined();
    for (const other of [undefined, null, 'Queue', [{ Ref: 'Queue' }], { 'Fn::Sub': '${Queue}' }]) expect(referencedId(other)).toBeUndefined();
  });

  test('referencedIds: every reference inside a value, Fn::Sub variables included, literals and its own variables left out', () => {
    const value = {
      a: [{ Ref: 'A' }, { nested: { 'Fn::GetAtt': ['B', 'Arn'] } }],
      b: { 'Fn::Sub': 'arn:${AWS::Partition}:sqs:${C}:${D.Arn}:${!Literal}:${Own}' },
      c: { 'Fn::Sub': ['${Mine}/${E}', { Mine: { Ref: 'F' } }] },
      d: { 'Fn::Sub': ['${G}', null] },
      e: 'H',
      f: { Ref: 'AWS::AccountId' },
    };
    // toStrictEqual: toEqual would let an undefined entry through.
    expect([...referencedIds(value)].sort()).toStrictEqual(['A', 'B', 'C', 'D', 'E', 'F', 'G', 'Own']);
    expect([...referencedIds({ Ref: 'A', Other: { Ref: 'B' } })].sort()).toStrictEqual(['A', 'B']);
    expect([...referencedIds({ Other: 'x' })]).toStrictEqual([]);
    expect([...referencedIds(null)]).toStrictEqual([]);
  });

  test('flatten: literals, pseudo parameters and references as placeholders, Join and Sub expanded', () => {
    expect(flatten('arn:aws:s3:::b')).toBe('arn:aws:s3:::b');
    expect(flatten(12)).toBe('12');
    expect(flatten(false)).toBe('false');
    expect(flatten({ Ref: 'AWS::Region' })).toBe('${AWS::Region}');
    expect(flatten({ 'Fn::GetAtt': ['Bucket', 'Arn'] })).toBe('${Bucket.Arn}');
    expect(flatten({ 'Fn::Join': ['/', [{ 'Fn::GetAtt': ['Bucket', 'Arn'] }, '*']] })).toBe('${Bucket.Arn}/*');
    expect(flatten({ 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${Name}/${!x}' })).toBe('arn:${AWS::Partition}:s3:::${Name}/${!x}');
    expect(flatten({ 'Fn::Sub': ['arn:${P}:s3:::${Name}', { P: 'aws', Name: { Ref: 'B' } }] })).toBe('arn:aws:s3:::${B}');
    expect(flatten({ 'Fn::Sub': ['${P}', null] })).toBe('${P}');
    for (const other of [undefined, null, ['a'], {}, { 'Fn::Join': ['/', 'a'] }, { 'Fn::Select': [0, ['a']] }]) expect(flatten(other)).toBe('${?}');
  });

  test('parseArn: placeholders keep their colons; too few parts or no arn prefix is no ARN', () => {
    expect(parseArn('arn:${AWS::Partition}:bedrock:${AWS::Region}::foundation-model/a:0')).toEqual({
      service: 'bedrock',
      region: '${AWS::Region}',
      account: '',
      resource: 'foundation-model/a:0',
    });
    expect(parseArn('arn:aws:sns:us-east-1:111122223333:topic')).toEqual({ service: 'sns', region: 'us-east-1', account: '111122223333', resource: 'topic' });
    expect(parseArn('arn:aws:s3:::')).toEqual({ service: 's3', region: '', account: '', resource: '' });
    expect(parseArn('arn:aws:s3::')).toBeUndefined();
    expect(parseArn('urn:aws:s3:::b')).toBeUndefined();
    expect(parseArn('${Bucket.Arn}')).toBeUndefined();
  });

  test('StackTemplate: resources of the stack resolved, overrides applied; nested stacks and other stacks left out', () => {
    const stack = fixtureStack();
    const queue = new sqs.CfnQueue(stack, 'Queue', { queueName: 'q' });
    queue.addPropertyOverride('DelaySeconds', 5);
    queue.cfnOptions.deletionPolicy = undefined;
    const bare = new CfnResource(stack, 'Bare', { type: 'Custom::Bare' });
    const other = new Stack(stack.node.root, 'Other');
    new sqs.CfnQueue(other, 'Elsewhere');
    new sqs.CfnQueue(new NestedStack(stack, 'Nested'), 'Inside');
    const template = StackTemplate.of(queue);
    expect(StackTemplate.of(bare)).toBe(template);
    expect([...template.resources.keys()].filter((id) => !id.startsWith('Nested'))).toStrictEqual(['Queue', 'Bare']);
    // The nested stack itself is a resource of this stack; what it holds is not.
    expect([...template.resources.values()].map((r) => r.type)).toStrictEqual(['AWS::SQS::Queue', 'Custom::Bare', 'AWS::CloudFormation::Stack']);
    expect(template.resourceOf(queue)).toEqual({ logicalId: 'Queue', type: 'AWS::SQS::Queue', properties: { QueueName: 'q', DelaySeconds: 5 }, node: queue });
    expect(template.resourceOf(bare)?.properties).toEqual({});
    expect(template.ofType('Custom::Bare', 'AWS::SNS::Topic').map((r) => r.logicalId)).toEqual(['Bare']);
    expect(template.target({ Ref: 'Queue' })?.node).toBe(queue);
    expect(template.target({ Ref: 'Missing' })).toBeUndefined();
    expect(template.target('Queue')).toBeUndefined();
    expect(template.referencedResources([{ Ref: 'Queue' }, { Ref: 'Missing' }, { 'Fn::GetAtt': ['Bare', 'Arn'] }]).map((r) => r.logicalId)).toEqual([
      'Queue',
      'Bare',
    ]);
  });

  test('StackTemplate: built once per stack until reset, so a changed tree is read again after reset', () => {
    const stack = fixtureStack();
    const first = new sqs.CfnQueue(stack, 'First');
    const template = StackTemplate.of(first);
    const second = new sqs.CfnQueue(stack, 'Second');
    expect(StackTemplate.of(second)).toBe(template);
    expect(template.resourceOf(second)).toBeUndefined();
    StackTemplate.reset();
    expect(StackTemplate.of(second).resourceOf(second)?.logicalId).toBe('Second');
  });

  test('StackTemplate: a retained resource keeps its DeletionPolicy; one that cannot render alone is skipped', () => {
    const stack = fixtureStack();
    const kept = new sqs.CfnQueue(stack, 'Kept');
    kept.cfnOptions.deletionPolicy = 'Retain' as never;
    const broken = new CfnResource(stack, 'Broken', { type: 'Custom::Broken', properties: { Value: Fn.select(0, Fn.split(',', 'a')) } });
    broken.addPropertyOverride('Bad', {
      resolve: () => {
        throw new Error('cannot render');
      },
    });
    const waiter = new CfnResource(stack, 'Waiter', { type: 'Custom::Waiter' });
    waiter.node.addDependency(broken);
    const template = StackTemplate.of(kept);
    expect(template.resourceOf(kept)?.deletionPolicy).toBe('Retain');
    expect(template.resourceOf(broken)).toBeUndefined();
    expect([...template.dependenciesOf(waiter)]).toStrictEqual([]);
  });

  test('dependenciesOf: DependsOn and construct dependencies, of the node and its scopes, in this stack only', () => {
    const stack = fixtureStack();
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    const queue = new sqs.Queue(stack, 'Queue');
    const waiter = new CfnResource(stack, 'Waiter', { type: 'Custom::Waiter' });
    const explicit = new sqs.CfnQueue(stack, 'Explicit');
    waiter.addResourceDependency(explicit);
    waiter.node.addDependency(queue);
    const other = new Stack(stack.node.root, 'Other');
    const inner = new CfnResource(stack, 'Inner', { type: 'Custom::Inner' });
    role.node.addDependency(new sqs.CfnQueue(other, 'Elsewhere'));
    const template = StackTemplate.of(waiter);
    expect([...template.dependenciesOf(waiter)].sort()).toEqual(['Explicit', 'Queue4A7E3555']);
    expect([...template.dependenciesOf(inner)]).toEqual([]);
    const policy = role.node.findChild('Resource') as CfnResource;
    expect([...template.dependenciesOf(policy)]).toEqual([]);
  });
});
