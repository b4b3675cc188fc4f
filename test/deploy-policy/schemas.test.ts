import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RESOURCE_ACTIONS } from '../../lib/deploy-policy/resource-actions';
import { compareWithSchemas } from '../../scripts/deploy-policy';

/** `npm run deploy-policy -- --schemas <dir>`: the mapping against resource provider schemas, here small fixtures. */

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deploy-policy-schemas-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const writeSchema = (type: string, handlers: Record<string, { permissions: string[] }>) =>
  fs.writeFileSync(path.join(dir, `${type.toLowerCase().replace(/::/g, '-')}.json`), JSON.stringify({ typeName: type, handlers }));
const about = (type: string) => compareWithSchemas(dir).filter((d) => d.startsWith(`${type}:`));

describe('compareWithSchemas', () => {
  const type = 'AWS::Lambda::Permission';
  const actions = [...RESOURCE_ACTIONS[type]];

  test('a schema whose handlers list the mapped actions (in any case) matches', () => {
    writeSchema(type, { create: { permissions: actions.map((a) => a.toUpperCase()) }, list: { permissions: [actions[0]] } });
    expect(about(type)).toEqual([]);
  });

  test('fails when a handler lists an action the mapping lacks, or the mapping has one no handler lists', () => {
    writeSchema(type, { create: { permissions: [...actions.slice(1), 'lambda:NewThing'] } });
    expect(about(type)).toEqual([`${type}: the schema's handlers also list lambda:NewThing`, `${type}: no handler lists ${actions[0]}`]);
  });

  test('fails when a type has no schema in the folder, and when a file holds another type', () => {
    expect(about('AWS::SQS::Queue')).toEqual([`AWS::SQS::Queue: no schema aws-sqs-queue.json in ${dir}`]);
    fs.writeFileSync(path.join(dir, 'aws-sqs-queue.json'), JSON.stringify({ typeName: 'AWS::SNS::Topic', handlers: {} }));
    expect(() => compareWithSchemas(dir)).toThrow(`${path.join(dir, 'aws-sqs-queue.json')} holds AWS::SNS::Topic, expected AWS::SQS::Queue`);
  });

  test('permissions the IAM action data does not know are expected to be missing from the mapping', () => {
    const bucket = 'AWS::S3::Bucket';
    writeSchema(bucket, { create: { permissions: [...RESOURCE_ACTIONS[bucket], 's3:PutBucketReplication'] } });
    expect(about(bucket)).toEqual([]);
  });
});
