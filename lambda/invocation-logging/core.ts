/**
 * Bedrock model invocation logging is one setting per account and Region, with no CloudFormation
 * resource. This core decides, for each custom resource event, what to do with it so that an
 * existing configuration is never overwritten silently, and is put back when the stack goes.
 *
 * What was there before is kept in the custom resource's physical id: CloudFormation stores it
 * and hands it back on every update and delete (returned Data is not handed back on delete), and
 * it needs no store of its own. An update keeps the id, so CloudFormation never sees a
 * replacement (which would send a delete for the old id after the update).
 */

/** The configuration as the Bedrock API reads and writes it (the fields this core compares and keeps). */
export interface LoggingConfig {
  readonly cloudWatchConfig?: {
    readonly logGroupName?: string;
    readonly roleArn?: string;
    readonly largeDataDeliveryS3Config?: { readonly bucketName?: string; readonly keyPrefix?: string };
  };
  readonly s3Config?: { readonly bucketName?: string; readonly keyPrefix?: string };
  readonly textDataDeliveryEnabled?: boolean;
  readonly imageDataDeliveryEnabled?: boolean;
  readonly embeddingDataDeliveryEnabled?: boolean;
  readonly videoDataDeliveryEnabled?: boolean;
  readonly audioDataDeliveryEnabled?: boolean;
}

/** The account's setting: Get, Put, Delete of the Bedrock control plane. */
export interface LoggingConfigPort {
  get(): Promise<LoggingConfig | undefined>;
  put(config: LoggingConfig): Promise<void>;
  remove(): Promise<void>;
}

export interface Settings {
  /** The configuration this stack wants. */
  readonly desired: LoggingConfig;
  /** Replace a configuration that is not this stack's (kept and restored on delete). */
  readonly takeOver: boolean;
  /** The configuration key that allows taking over, named in the failure message. */
  readonly takeOverKey: string;
}

/** Logs what happened (no prompt data: configurations only name destinations). */
export type Note = (message: string, details?: Record<string, unknown>) => void;

const PREFIX = 'bedrock-invocation-logging';
/** CloudFormation's limit on a physical resource id. */
const MAX_PHYSICAL_ID = 1_024;

/** A failure whose message is meant for the person reading the stack events. */
export class LoggingSetupError extends Error {
  override readonly name = 'LoggingSetupError';
}

/** Create: put ours, unless someone else's is there and taking over was not allowed. */
export async function create(settings: Settings, port: LoggingConfigPort, note: Note): Promise<string> {
  const current = await port.get();
  if (current && !isSameDestination(current, settings.desired)) {
    if (!settings.takeOver) {
      throw new LoggingSetupError(
        `Bedrock model invocation logging is already configured in this account and Region (destination: ${describe(current)}). ` +
          'It was not changed. To replace it (it is kept and restored when this stack is deleted), ' +
          `set ${settings.takeOverKey} = 'take-over'; to leave it, set 'off'.`,
      );
    }
    const id = physicalId(current);
    note('taking over the invocation logging configuration', { previous: describe(current) });
    await port.put(settings.desired);
    return id;
  }
  await port.put(settings.desired);
  return physicalId(undefined);
}

/**
 * Update: put ours again (a new log group or role), keeping the physical id and so what was there
 * before this stack. A configuration set by someone else since is replaced only with take-over.
 */
export async function update(settings: Settings, previousDesired: LoggingConfig, id: string, port: LoggingConfigPort, note: Note): Promise<string> {
  const current = await port.get();
  const ours = (c: LoggingConfig) => isSameDestination(c, settings.desired) || isSameDestination(c, previousDesired);
  if (current && !ours(current)) {
    if (!settings.takeOver) {
      throw new LoggingSetupError(
        `Bedrock model invocation logging was changed outside this stack (destination: ${describe(current)}). ` +
          `It was not changed. To replace it, set ${settings.takeOverKey} = 'take-over'; to leave it, set 'off'.`,
      );
    }
    note('replacing an invocation logging configuration set outside this stack', { replaced: describe(current) });
  }
  await port.put(settings.desired);
  return id;
}

/**
 * Delete: only if the current configuration is still ours, put back what was there before (or
 * remove the setting if nothing was). A configuration someone set after us is left as it is.
 *
 * Best-effort: the setting is not a resource of the stack, and a failure here would leave the
 * stack in DELETE_FAILED (every retry failing the same way, e.g. when the saved configuration's
 * role or log group no longer exists). Each failure is noted and the delete succeeds.
 */
export async function remove(desired: LoggingConfig, id: string, port: LoggingConfigPort, note: Note): Promise<void> {
  const saved = parsePhysicalId(id);
  if (!saved) {
    note('this resource never set invocation logging: nothing to undo', { physicalResourceId: id });
    return;
  }
  let current: LoggingConfig | undefined;
  try {
    current = await port.get();
  } catch (error) {
    // Whose configuration is there is unknown: removing it could delete someone else's.
    note('could not read the invocation logging configuration: left as it is', { reason: reasonOf(error) });
    return;
  }
  if (!current) return;
  if (!isSameDestination(current, desired)) {
    note('invocation logging was changed outside this stack: left as it is', { current: describe(current) });
    return;
  }
  if (saved.previous) {
    try {
      await port.put(saved.previous);
      note('restored the invocation logging configuration found at creation', { restored: describe(saved.previous) });
      return;
    } catch (error) {
      // Ours points at a log group and role this stack is deleting: removing it beats keeping it.
      note('could not restore the invocation logging configuration found at creation: removing ours instead', {
        previous: describe(saved.previous),
        reason: reasonOf(error),
      });
    }
  }
  try {
    await port.remove();
  } catch (error) {
    note('could not remove the invocation logging configuration: left as it is', { current: describe(current), reason: reasonOf(error) });
  }
}

/** Two configurations write to the same place (Bedrock may add fields it defaults). */
export function isSameDestination(a: LoggingConfig, b: LoggingConfig): boolean {
  return (
    a.cloudWatchConfig?.logGroupName === b.cloudWatchConfig?.logGroupName &&
    a.cloudWatchConfig?.roleArn === b.cloudWatchConfig?.roleArn &&
    a.s3Config?.bucketName === b.s3Config?.bucketName &&
    a.s3Config?.keyPrefix === b.s3Config?.keyPrefix
  );
}

/** Where a configuration delivers, for messages: names only. */
export function describe(config: LoggingConfig): string {
  const parts = [
    config.cloudWatchConfig?.logGroupName && `CloudWatch Logs log group ${config.cloudWatchConfig.logGroupName}`,
    config.s3Config?.bucketName && `S3 bucket ${config.s3Config.bucketName}${config.s3Config.keyPrefix ? `/${config.s3Config.keyPrefix}` : ''}`,
  ].filter(Boolean);
  return parts.length ? parts.join(' and ') : 'no destination';
}

export function physicalId(previous: LoggingConfig | undefined): string {
  if (!previous) return `${PREFIX}:none`;
  const id = `${PREFIX}:saved:${Buffer.from(JSON.stringify(previous)).toString('base64url')}`;
  if (id.length > MAX_PHYSICAL_ID) {
    throw new LoggingSetupError(
      `The existing invocation logging configuration (${describe(previous)}) is too large to keep for restoring ` +
        `(${id.length} > ${MAX_PHYSICAL_ID} characters); it was not changed. Remove it yourself or leave invocation logging 'off'.`,
    );
  }
  return id;
}

/** What a physical id says was there before; undefined when the id is not one this core made. */
export function parsePhysicalId(id: string): { previous?: LoggingConfig } | undefined {
  if (id === `${PREFIX}:none`) return {};
  const saved = id.startsWith(`${PREFIX}:saved:`) ? id.slice(`${PREFIX}:saved:`.length) : undefined;
  if (saved === undefined) return undefined;
  try {
    const previous = JSON.parse(Buffer.from(saved, 'base64url').toString('utf8')) as unknown;
    return typeof previous === 'object' && previous !== null && !Array.isArray(previous) ? { previous: previous as LoggingConfig } : undefined;
  } catch {
    return undefined;
  }
}

/** A port failure for the log (the handler's port throws `explain`ed errors: no service text). */
function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * An SDK error as the stack events show it: what failed and the error's name, never the
 * service's own message (it may quote request content).
 */
export function explain(operation: string, error: unknown): Error {
  if (error instanceof LoggingSetupError) return error;
  const name = (error as { name?: unknown })?.name;
  const code = typeof name === 'string' && /^[A-Za-z]{1,64}$/.test(name) ? name : 'UnknownError';
  const hint: Record<string, string> = {
    AccessDeniedException: 'the function role lacks a bedrock:*ModelInvocationLoggingConfiguration or iam:PassRole permission',
    ValidationException:
      'Bedrock could not use the destination: check that the logging role trusts bedrock.amazonaws.com and may write to the log group, ' +
      'and that the log group exists',
    ThrottlingException: 'Bedrock throttled the call after retries; deploy again',
  };
  return new LoggingSetupError(`Could not ${operation} the Bedrock model invocation logging configuration (${code}): ${hint[code] ?? 'see the function logs'}`);
}
