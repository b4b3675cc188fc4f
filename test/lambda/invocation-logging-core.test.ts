import {
  create,
  describe as describeConfig,
  explain,
  isSameDestination,
  type LoggingConfig,
  type LoggingConfigPort,
  LoggingSetupError,
  parsePhysicalId,
  physicalId,
  remove,
  type Settings,
  update,
} from '../../lambda/invocation-logging/core';

/**
 * The invocation logging custom resource's core with an in-memory account setting: what is put,
 * removed or left, the physical id that keeps what was there before, every message a stack event
 * or the log shows. The handler test (invocation-logging.test.ts) runs it through the real Bedrock
 * client against a loopback fake of the control plane.
 */

const OURS: LoggingConfig = {
  cloudWatchConfig: { logGroupName: '/genai-blueprint/invocations-ABC', roleArn: 'arn:aws:iam::123456789012:role/Logging-ABC' },
  textDataDeliveryEnabled: true,
};
/** The stack's previous configuration, before an update moved the log group. */
const OURS_BEFORE: LoggingConfig = {
  cloudWatchConfig: { logGroupName: '/genai-blueprint/invocations-OLD', roleArn: 'arn:aws:iam::123456789012:role/Logging-ABC' },
  textDataDeliveryEnabled: true,
};
const FOREIGN: LoggingConfig = { s3Config: { bucketName: 'security-team-bedrock-logs', keyPrefix: 'all' }, imageDataDeliveryEnabled: true };
const FOREIGN_TEXT = 'S3 bucket security-team-bedrock-logs/all';
const KEY = 'observability.invocationLogging';
const NONE_ID = 'bedrock-invocation-logging:none';

const settings = (takeOver = false): Settings => ({ desired: OURS, takeOver, takeOverKey: KEY });

/** The account's setting; every call recorded, and any operation made to fail. */
class InMemoryLoggingConfig implements LoggingConfigPort {
  readonly calls: string[] = [];
  readonly failing = new Set<'get' | 'put' | 'remove'>();
  constructor(public config: LoggingConfig | undefined = undefined) {}
  async get() {
    this.calls.push('get');
    if (this.failing.has('get')) throw new Error('get failed (AccessDeniedException)');
    return this.config;
  }
  async put(config: LoggingConfig) {
    this.calls.push(`put ${describeConfig(config)}`);
    if (this.failing.has('put')) throw new Error('put failed (ValidationException)');
    this.config = config;
  }
  async remove() {
    this.calls.push('remove');
    if (this.failing.has('remove')) throw new Error('remove failed (ThrottlingException)');
    this.config = undefined;
  }
}

/** A Note that keeps what it is told. */
const notes = () => {
  const said: { message: string; details?: Record<string, unknown> }[] = [];
  return { said, note: (message: string, details?: Record<string, unknown>) => void said.push({ message, details }) };
};

const savedId = (previous: LoggingConfig) => physicalId(previous);
const OURS_TEXT = 'CloudWatch Logs log group /genai-blueprint/invocations-ABC';

describe('create', () => {
  test('nothing configured: puts ours, and the id says there was nothing', async () => {
    const port = new InMemoryLoggingConfig();
    const { said, note } = notes();
    expect(await create(settings(), port, note)).toBe(NONE_ID);
    expect(port.calls).toEqual(['get', `put ${OURS_TEXT}`]);
    expect(port.config).toBe(OURS);
    expect(said).toEqual([]);
  });

  test('ours already configured (Bedrock added its defaults): puts ours again, nothing to keep', async () => {
    const port = new InMemoryLoggingConfig({ ...OURS, embeddingDataDeliveryEnabled: false, videoDataDeliveryEnabled: false });
    const { said, note } = notes();
    expect(await create(settings(), port, note)).toBe(NONE_ID);
    expect(port.calls).toEqual(['get', `put ${OURS_TEXT}`]);
    expect(said).toEqual([]);
  });

  test('fails when another configuration is there and taking over is not allowed, naming it and the key; nothing changes', async () => {
    const port = new InMemoryLoggingConfig(FOREIGN);
    const failure = create(settings(false), port, notes().note);
    await expect(failure).rejects.toThrow(LoggingSetupError);
    await expect(failure).rejects.toThrow(
      `Bedrock model invocation logging is already configured in this account and Region (destination: ${FOREIGN_TEXT}). ` +
        'It was not changed. To replace it (it is kept and restored when this stack is deleted), ' +
        "set observability.invocationLogging = 'take-over'; to leave it, set 'off'.",
    );
    expect(port.calls).toEqual(['get']);
    expect(port.config).toBe(FOREIGN);
  });

  test('takes over another configuration when allowed: puts ours, notes it, and the id keeps the previous one', async () => {
    const port = new InMemoryLoggingConfig(FOREIGN);
    const { said, note } = notes();
    const id = await create(settings(true), port, note);
    expect(id.startsWith('bedrock-invocation-logging:saved:')).toBe(true);
    expect(parsePhysicalId(id)).toEqual({ previous: FOREIGN });
    expect(port.calls).toEqual(['get', `put ${OURS_TEXT}`]);
    expect(said).toEqual([{ message: 'taking over the invocation logging configuration', details: { previous: FOREIGN_TEXT } }]);
  });

  test('fails when the configuration to take over is too large to keep in the id; nothing changes', async () => {
    const port = new InMemoryLoggingConfig({ s3Config: { bucketName: 'b', keyPrefix: 'p'.repeat(800) } });
    await expect(create(settings(true), port, notes().note)).rejects.toThrow(
      `The existing invocation logging configuration (S3 bucket b/${'p'.repeat(800)}) is too large to keep for restoring (1161 > 1024 characters); ` +
        "it was not changed. Remove it yourself or leave invocation logging 'off'.",
    );
    expect(port.calls).toEqual(['get']);
  });
});

describe('physicalId and parsePhysicalId', () => {
  /** A configuration whose JSON is `bytes` long. */
  const ofJsonBytes = (bytes: number): LoggingConfig => {
    const empty = JSON.stringify({ s3Config: { bucketName: 'b', keyPrefix: '' } }).length;
    return { s3Config: { bucketName: 'b', keyPrefix: 'p'.repeat(bytes - empty) } };
  };

  test('nothing before is "none"; a configuration is kept whole and read back', () => {
    expect(physicalId(undefined)).toBe(NONE_ID);
    expect(parsePhysicalId(NONE_ID)).toEqual({});
    for (const config of [FOREIGN, OURS, { s3Config: { bucketName: 'ünïcode-ß' } }, {}])
      expect(parsePhysicalId(physicalId(config))).toEqual({ previous: config });
    expect(physicalId({ s3Config: { bucketName: 'b' } })).toBe(
      `bedrock-invocation-logging:saved:${Buffer.from('{"s3Config":{"bucketName":"b"}}').toString('base64url')}`,
    );
  });

  test("an id of CloudFormation's longest, 1024 characters, is kept; one more fails naming both lengths", () => {
    // 33 characters of prefix and 743 bytes as 991 base64url characters.
    expect(physicalId(ofJsonBytes(743))).toHaveLength(1024);
    expect(() => physicalId(ofJsonBytes(744))).toThrow(/too large to keep for restoring \(1025 > 1024 characters\)/);
  });

  test('an id this core did not make says nothing: undefined', () => {
    const encoded = (json: string) => `bedrock-invocation-logging:saved:${Buffer.from(json).toString('base64url')}`;
    expect(parsePhysicalId('InvocationLogging-1A2B3C')).toBeUndefined();
    expect(parsePhysicalId('bedrock-invocation-logging:none:x')).toBeUndefined();
    expect(parsePhysicalId(`x${physicalId(FOREIGN)}`)).toBeUndefined();
    expect(parsePhysicalId(encoded('[1]'))).toBeUndefined();
    expect(parsePhysicalId(encoded('null'))).toBeUndefined();
    expect(parsePhysicalId(encoded('"text"'))).toBeUndefined();
    expect(parsePhysicalId(encoded('{"s3Config":'))).toBeUndefined();
  });
});

describe('update', () => {
  test.each([
    ['ours', OURS],
    ["the stack's previous configuration", OURS_BEFORE],
    ['nothing', undefined],
  ])('when %s is configured: puts ours, keeps the id, notes nothing', async (_, current) => {
    const port = new InMemoryLoggingConfig(current);
    const { said, note } = notes();
    const id = savedId(FOREIGN);
    expect(await update(settings(), OURS_BEFORE, id, port, note)).toBe(id);
    expect(port.calls).toEqual(['get', `put ${OURS_TEXT}`]);
    expect(said).toEqual([]);
  });

  test('fails when the configuration was changed outside the stack and taking over is not allowed; nothing changes', async () => {
    const port = new InMemoryLoggingConfig(FOREIGN);
    const failure = update(settings(false), OURS_BEFORE, NONE_ID, port, notes().note);
    await expect(failure).rejects.toThrow(LoggingSetupError);
    await expect(failure).rejects.toThrow(
      `Bedrock model invocation logging was changed outside this stack (destination: ${FOREIGN_TEXT}). ` +
        "It was not changed. To replace it, set observability.invocationLogging = 'take-over'; to leave it, set 'off'.",
    );
    expect(port.calls).toEqual(['get']);
  });

  test('replaces a configuration changed outside the stack when allowed, notes it, keeps the id', async () => {
    const port = new InMemoryLoggingConfig(FOREIGN);
    const { said, note } = notes();
    expect(await update(settings(true), OURS_BEFORE, NONE_ID, port, note)).toBe(NONE_ID);
    expect(port.calls).toEqual(['get', `put ${OURS_TEXT}`]);
    expect(said).toEqual([{ message: 'replacing an invocation logging configuration set outside this stack', details: { replaced: FOREIGN_TEXT } }]);
  });
});

describe('remove', () => {
  test('an id this core did not make: nothing to undo, nothing read', async () => {
    const port = new InMemoryLoggingConfig(OURS);
    const { said, note } = notes();
    await remove(OURS, 'InvocationLogging-1A2B3C', port, note);
    expect(port.calls).toEqual([]);
    expect(said).toEqual([
      { message: 'this resource never set invocation logging: nothing to undo', details: { physicalResourceId: 'InvocationLogging-1A2B3C' } },
    ]);
  });

  test('ours, with nothing before: removes the setting', async () => {
    const port = new InMemoryLoggingConfig(OURS);
    const { said, note } = notes();
    await remove(OURS, NONE_ID, port, note);
    expect(port.calls).toEqual(['get', 'remove']);
    expect(port.config).toBeUndefined();
    expect(said).toEqual([]);
  });

  test('ours, with a configuration before: puts it back and notes it', async () => {
    const port = new InMemoryLoggingConfig(OURS);
    const { said, note } = notes();
    await remove(OURS, savedId(FOREIGN), port, note);
    expect(port.calls).toEqual(['get', `put ${FOREIGN_TEXT}`]);
    expect(port.config).toEqual(FOREIGN);
    expect(said).toEqual([{ message: 'restored the invocation logging configuration found at creation', details: { restored: FOREIGN_TEXT } }]);
  });

  test('nothing configured any more: nothing to do', async () => {
    const port = new InMemoryLoggingConfig();
    const { said, note } = notes();
    await remove(OURS, savedId(FOREIGN), port, note);
    expect(port.calls).toEqual(['get']);
    expect(said).toEqual([]);
  });

  test('a configuration someone set after us is left as it is', async () => {
    const port = new InMemoryLoggingConfig(FOREIGN);
    const { said, note } = notes();
    await remove(OURS, savedId(OURS_BEFORE), port, note);
    expect(port.calls).toEqual(['get']);
    expect(port.config).toBe(FOREIGN);
    expect(said).toEqual([{ message: 'invocation logging was changed outside this stack: left as it is', details: { current: FOREIGN_TEXT } }]);
  });

  test('the setting cannot be read: left as it is, the reason noted, the delete succeeds', async () => {
    const port = new InMemoryLoggingConfig(OURS);
    port.failing.add('get');
    const { said, note } = notes();
    await remove(OURS, NONE_ID, port, note);
    expect(port.calls).toEqual(['get']);
    expect(said).toEqual([
      { message: 'could not read the invocation logging configuration: left as it is', details: { reason: 'get failed (AccessDeniedException)' } },
    ]);
  });

  test('a failure that is not an Error is noted as text', async () => {
    const port = new InMemoryLoggingConfig(OURS);
    port.get = () => Promise.reject('socket hang up');
    const { said, note } = notes();
    await remove(OURS, NONE_ID, port, note);
    expect(said).toEqual([{ message: 'could not read the invocation logging configuration: left as it is', details: { reason: 'socket hang up' } }]);
  });

  test('the previous configuration cannot be put back: ours is removed instead, and both are noted', async () => {
    const port = new InMemoryLoggingConfig(OURS);
    port.failing.add('put');
    const { said, note } = notes();
    await remove(OURS, savedId(FOREIGN), port, note);
    expect(port.calls).toEqual(['get', `put ${FOREIGN_TEXT}`, 'remove']);
    expect(port.config).toBeUndefined();
    expect(said).toEqual([
      {
        message: 'could not restore the invocation logging configuration found at creation: removing ours instead',
        details: { previous: FOREIGN_TEXT, reason: 'put failed (ValidationException)' },
      },
    ]);
  });

  test('neither put back nor removed: both failures noted, the delete succeeds', async () => {
    const port = new InMemoryLoggingConfig(OURS);
    port.failing.add('put');
    port.failing.add('remove');
    const { said, note } = notes();
    await remove(OURS, savedId(FOREIGN), port, note);
    expect(port.config).toBe(OURS);
    expect(said.map((s) => s.message)).toEqual([
      'could not restore the invocation logging configuration found at creation: removing ours instead',
      'could not remove the invocation logging configuration: left as it is',
    ]);
    expect(said[1]?.details).toEqual({ current: OURS_TEXT, reason: 'remove failed (ThrottlingException)' });
  });
});

describe('isSameDestination', () => {
  test('the same log group, role, bucket and prefix: the same, whatever the delivery flags', () => {
    expect(isSameDestination(OURS, { ...OURS, textDataDeliveryEnabled: false, audioDataDeliveryEnabled: true })).toBe(true);
    expect(isSameDestination(FOREIGN, { s3Config: { bucketName: 'security-team-bedrock-logs', keyPrefix: 'all' } })).toBe(true);
    expect(isSameDestination({}, {})).toBe(true);
  });

  test('any of log group, role, bucket or prefix differing: not the same', () => {
    const both: LoggingConfig = { cloudWatchConfig: { logGroupName: 'g', roleArn: 'r' }, s3Config: { bucketName: 'b', keyPrefix: 'p' } };
    expect(isSameDestination(both, { ...both, cloudWatchConfig: { logGroupName: 'g2', roleArn: 'r' } })).toBe(false);
    expect(isSameDestination(both, { ...both, cloudWatchConfig: { logGroupName: 'g', roleArn: 'r2' } })).toBe(false);
    expect(isSameDestination(both, { ...both, s3Config: { bucketName: 'b2', keyPrefix: 'p' } })).toBe(false);
    expect(isSameDestination(both, { ...both, s3Config: { bucketName: 'b', keyPrefix: 'p2' } })).toBe(false);
    expect(isSameDestination(both, { s3Config: both.s3Config })).toBe(false);
    expect(isSameDestination(both, { cloudWatchConfig: both.cloudWatchConfig })).toBe(false);
    expect(isSameDestination({}, both)).toBe(false);
  });
});

describe('describe', () => {
  test('names the log group and the bucket (with its prefix), nothing else', () => {
    expect(describeConfig(OURS)).toBe(OURS_TEXT);
    expect(describeConfig({ s3Config: { bucketName: 'logs' } })).toBe('S3 bucket logs');
    expect(describeConfig({ s3Config: { bucketName: 'logs', keyPrefix: '' } })).toBe('S3 bucket logs');
    expect(describeConfig({ cloudWatchConfig: { logGroupName: 'g' }, s3Config: { bucketName: 'logs', keyPrefix: 'a/b' } })).toBe(
      'CloudWatch Logs log group g and S3 bucket logs/a/b',
    );
    expect(describeConfig({ cloudWatchConfig: { logGroupName: 'g', largeDataDeliveryS3Config: { bucketName: 'large' } } })).toBe('CloudWatch Logs log group g');
  });

  test('"no destination" when neither is named', () => {
    expect(describeConfig({})).toBe('no destination');
    expect(describeConfig({ cloudWatchConfig: { logGroupName: '', roleArn: 'r' }, s3Config: { bucketName: '', keyPrefix: 'p' } })).toBe('no destination');
  });
});

describe('explain', () => {
  const message = (error: unknown) => {
    const explained = explain('put', error);
    expect(explained).toBeInstanceOf(LoggingSetupError);
    expect(explained.name).toBe('LoggingSetupError');
    return explained.message;
  };
  const named = (name: unknown) => Object.assign(new Error('the service text, which may quote a request'), { name });

  test('names the operation and the error, with what to do for the errors a deploy meets', () => {
    expect(message(named('AccessDeniedException'))).toBe(
      'Could not put the Bedrock model invocation logging configuration (AccessDeniedException): ' +
        'the function role lacks a bedrock:*ModelInvocationLoggingConfiguration or iam:PassRole permission',
    );
    expect(message(named('ValidationException'))).toBe(
      'Could not put the Bedrock model invocation logging configuration (ValidationException): Bedrock could not use the destination: ' +
        'check that the logging role trusts bedrock.amazonaws.com and may write to the log group, and that the log group exists',
    );
    expect(explain('delete', named('ThrottlingException')).message).toBe(
      'Could not delete the Bedrock model invocation logging configuration (ThrottlingException): Bedrock throttled the call after retries; deploy again',
    );
    expect(message(named('ServiceUnavailableException'))).toBe(
      'Could not put the Bedrock model invocation logging configuration (ServiceUnavailableException): see the function logs',
    );
    expect(message(named('A'.repeat(64)))).toContain(`(${'A'.repeat(64)})`);
  });

  test('never repeats a name that is not a plain error name, nor the service text', () => {
    const unknown = 'Could not put the Bedrock model invocation logging configuration (UnknownError): see the function logs';
    for (const name of ['', 'Access Denied', 'x<script>', 'A'.repeat(65), 'Error1', 42]) expect(message(named(name))).toBe(unknown);
    expect(message(null)).toBe(unknown);
    expect(message(undefined)).toBe(unknown);
    expect(message('boom')).toBe(unknown);
  });

  test('a LoggingSetupError is already meant for the reader: returned as it is', () => {
    const own = new LoggingSetupError('it was not changed');
    expect(explain('put', own)).toBe(own);
  });
});
