import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { BedrockControlFake } from '../support/bedrock-control-fake';

/**
 * The invocation logging custom resource handler, with the real Bedrock client against a loopback
 * fake of the control plane: the account setting is never overwritten silently and is put back.
 */
const fake = new BedrockControlFake();
let handler: (event: CloudFormationCustomResourceEvent) => Promise<{ PhysicalResourceId: string }>;

const OURS = {
  cloudWatchConfig: { logGroupName: '/genai-blueprint/invocations-ABC', roleArn: 'arn:aws:iam::123456789012:role/Logging-ABC' },
  textDataDeliveryEnabled: true,
  imageDataDeliveryEnabled: false,
  embeddingDataDeliveryEnabled: false,
};
const FOREIGN = {
  s3Config: { bucketName: 'security-team-bedrock-logs', keyPrefix: 'all' },
  textDataDeliveryEnabled: true,
  imageDataDeliveryEnabled: true,
  embeddingDataDeliveryEnabled: true,
};
const KEY = 'observability.invocationLogging';

const props = (config: object, takeOver = false) => ({
  ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:provider',
  Configuration: JSON.stringify(config),
  TakeOver: String(takeOver),
  TakeOverKey: KEY,
});
const base = {
  ServiceToken: 'x',
  ResponseURL: 'https://example.invalid',
  StackId: 'stack',
  RequestId: 'req',
  LogicalResourceId: 'InvocationLogging',
  ResourceType: 'Custom::BedrockInvocationLogging',
};
const createEvent = (config: object, takeOver = false): CloudFormationCustomResourceEvent => ({
  ...base,
  RequestType: 'Create',
  ResourceProperties: props(config, takeOver),
});
const updateEvent = (id: string, config: object, old: object, takeOver = false): CloudFormationCustomResourceEvent => ({
  ...base,
  RequestType: 'Update',
  PhysicalResourceId: id,
  ResourceProperties: props(config, takeOver),
  OldResourceProperties: props(old, takeOver),
});
const deleteEvent = (id: string, config: object): CloudFormationCustomResourceEvent => ({
  ...base,
  RequestType: 'Delete',
  PhysicalResourceId: id,
  ResourceProperties: props(config),
});
const operations = () => fake.calls.map((c) => c.operation);

beforeAll(async () => {
  await fake.start();
  process.env.AWS_ENDPOINT_URL_BEDROCK = fake.url;
  ({ handler } = await import('../../lambda/invocation-logging/handler'));
});
afterAll(async () => {
  delete process.env.AWS_ENDPOINT_URL_BEDROCK;
  await fake.stop();
});
beforeEach(() => fake.reset());

test('none existing: create puts ours; delete removes the setting', async () => {
  const { PhysicalResourceId: id } = await handler(createEvent(OURS));
  expect(fake.config).toEqual(OURS);
  expect(operations()).toEqual(['Get', 'Put']);
  await handler(deleteEvent(id, OURS));
  expect(fake.config).toBeUndefined();
  expect(operations()).toEqual(['Get', 'Put', 'Get', 'Delete']);
});

test('ours: an update puts the new destination and keeps the physical id', async () => {
  const { PhysicalResourceId: id } = await handler(createEvent(OURS));
  const moved = { ...OURS, cloudWatchConfig: { ...OURS.cloudWatchConfig, logGroupName: '/genai-blueprint/invocations-DEF' } };
  const updated = await handler(updateEvent(id, moved, OURS));
  expect(updated.PhysicalResourceId).toBe(id);
  expect(fake.config).toEqual(moved);
});

test('fails when a foreign configuration exists and take-over is not set: names its destination and the key, changes nothing', async () => {
  fake.reset(FOREIGN);
  const failure = handler(createEvent(OURS));
  await expect(failure).rejects.toThrow(/already configured .*S3 bucket security-team-bedrock-logs\/all.*observability\.invocationLogging = 'take-over'/);
  expect(fake.config).toEqual(FOREIGN);
  expect(operations()).toEqual(['Get']);
});

test('take-over: the foreign configuration is replaced, kept, and restored exactly on delete', async () => {
  fake.reset(FOREIGN);
  const { PhysicalResourceId: id } = await handler(createEvent(OURS, true));
  expect(fake.config).toEqual(OURS);
  // An update in between keeps what was there before the stack.
  const moved = { ...OURS, cloudWatchConfig: { ...OURS.cloudWatchConfig, roleArn: 'arn:aws:iam::123456789012:role/Logging-DEF' } };
  expect((await handler(updateEvent(id, moved, OURS, true))).PhysicalResourceId).toBe(id);
  await handler(deleteEvent(id, moved));
  expect(fake.config).toEqual(FOREIGN);
  expect(operations().at(-1)).toBe('Put');
});

test('a configuration someone set after us is left as it is by delete', async () => {
  const { PhysicalResourceId: id } = await handler(createEvent(OURS));
  fake.config = FOREIGN;
  await handler(deleteEvent(id, OURS));
  expect(fake.config).toEqual(FOREIGN);
  expect(operations()).not.toContain('Delete');
});

test('fails when an update finds a configuration changed outside the stack and take-over is not set', async () => {
  const { PhysicalResourceId: id } = await handler(createEvent(OURS));
  fake.config = FOREIGN;
  await expect(handler(updateEvent(id, OURS, OURS))).rejects.toThrow(/changed outside this stack .*security-team-bedrock-logs/);
  expect(fake.config).toEqual(FOREIGN);
});

describe('delete is best-effort: a failure is logged and the stack still deletes', () => {
  let info: jest.SpyInstance;
  beforeEach(async () => {
    const { logger } = await import('../../lambda/shared/observability');
    info = jest.spyOn(logger, 'info').mockImplementation(() => undefined);
  });
  afterEach(() => info.mockRestore());
  const noted = () => info.mock.calls.map(([message, details]) => ({ message: message as string, details: details as Record<string, unknown> }));

  test('the saved configuration cannot be restored (its role or log group is gone): ours is removed, the reason logged', async () => {
    fake.reset(FOREIGN);
    const { PhysicalResourceId: id } = await handler(createEvent(OURS, true));
    fake.failNext('Put', { status: 400, type: 'ValidationException', message: 'role does not exist' });
    await expect(handler(deleteEvent(id, OURS))).resolves.toEqual({ PhysicalResourceId: id });
    expect(fake.config).toBeUndefined();
    expect(operations().slice(-3)).toEqual(['Get', 'Put', 'Delete']);
    expect(noted()).toContainEqual({
      message: 'could not restore the invocation logging configuration found at creation: removing ours instead',
      details: { previous: 'S3 bucket security-team-bedrock-logs/all', reason: expect.stringMatching(/Could not set .* \(ValidationException\)/) },
    });
  });

  test('neither restore nor removal works: the delete succeeds, ours is left, both reasons logged', async () => {
    fake.reset(FOREIGN);
    const { PhysicalResourceId: id } = await handler(createEvent(OURS, true));
    fake.failNext('Put', { status: 400, type: 'ValidationException', message: 'role does not exist' });
    fake.failNext('Delete', { status: 403, type: 'AccessDeniedException', message: 'not authorized' });
    await expect(handler(deleteEvent(id, OURS))).resolves.toEqual({ PhysicalResourceId: id });
    expect(fake.config).toEqual(OURS);
    expect(noted().map((n) => [n.message, n.details.reason])).toEqual(
      expect.arrayContaining([
        ['could not restore the invocation logging configuration found at creation: removing ours instead', expect.stringContaining('(ValidationException)')],
        ['could not remove the invocation logging configuration: left as it is', expect.stringContaining('(AccessDeniedException)')],
      ]),
    );
  });

  test('the configuration cannot be read: nothing is changed (it may not be ours), the delete succeeds', async () => {
    const { PhysicalResourceId: id } = await handler(createEvent(OURS));
    fake.failNext('Get', { status: 403, type: 'AccessDeniedException', message: 'not authorized' });
    await expect(handler(deleteEvent(id, OURS))).resolves.toEqual({ PhysicalResourceId: id });
    expect(fake.config).toEqual(OURS);
    expect(operations()).toEqual(['Get', 'Put', 'Get']);
    expect(noted()).toContainEqual({
      message: 'could not read the invocation logging configuration: left as it is',
      details: { reason: expect.stringContaining('(AccessDeniedException)') },
    });
  });
});

test('delete after a create that never took effect touches nothing', async () => {
  fake.reset(FOREIGN);
  await handler(deleteEvent('2f6c1a0e-failed-create-request-id', OURS));
  expect(fake.config).toEqual(FOREIGN);
  expect(operations()).toEqual([]);
});

test('fails when the configuration to keep would not fit in a physical id, before changing anything', async () => {
  const huge = { ...FOREIGN, s3Config: { bucketName: 'b'.repeat(63), keyPrefix: 'p'.repeat(900) } };
  fake.reset(huge);
  await expect(handler(createEvent(OURS, true))).rejects.toThrow(/too large to keep .* it was not changed/);
  expect(fake.config).toEqual(huge);
});

describe('API errors become a message for the stack events, without the service text', () => {
  const SECRET = 'User: arn:aws:sts::123456789012:assumed-role/x is not authorized; request body quoted here';

  test.each([
    ['Get', 403, 'AccessDeniedException', /Could not read .* \(AccessDeniedException\): the function role lacks/],
    ['Put', 400, 'ValidationException', /Could not set .* \(ValidationException\): Bedrock could not use the destination/],
    ['Put', 429, 'ThrottlingException', /Could not set .* \(ThrottlingException\): Bedrock throttled the call after retries/],
    ['Get', 500, 'InternalServerException', /Could not read .* \(InternalServerException\): see the function logs/],
  ] as const)('%s answers %i %s', async (operation, status, type, message) => {
    fake.failNext(operation, { status, type, message: SECRET }, 10);
    const failure = handler(createEvent(OURS)).catch((e: Error) => e);
    const error = (await failure) as Error;
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('not authorized');
    expect(error.message).not.toContain('arn:aws:sts');
  });

  test('a throttled call is retried by the SDK and succeeds', async () => {
    fake.failNext('Put', { status: 429, type: 'ThrottlingException', message: 'slow down' }, 2);
    await handler(createEvent(OURS));
    expect(fake.config).toEqual(OURS);
    expect(operations()).toEqual(['Get', 'Put', 'Put', 'Put']);
  });

  test('fails when the properties are not what the construct sends, naming the field', async () => {
    const event = {
      ...createEvent(OURS),
      ResourceProperties: { ServiceToken: 'x', Configuration: '{}', TakeOver: 'yes', TakeOverKey: KEY },
    } as CloudFormationCustomResourceEvent;
    await expect(handler(event)).rejects.toThrow('Custom resource properties are invalid: TakeOver');
  });
});
