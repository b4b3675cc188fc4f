import { Readable } from 'node:stream';

/**
 * AWS SDK clients answering from memory, for the adapters in lambda/shared/ tested in process (no
 * server, no network). Two depths:
 *
 * - `answering` replaces the client's `send`: the adapter's command input and the output it is
 *   given are all there is, so any reply shape (malformed ones too) can be given.
 * - `answeringHttp` replaces the client's request handler only: the SDK still builds, signs and
 *   retries each request and reads each reply (errors become the SDK's own exception classes), so
 *   the settings a factory gives the client (attempts, retry mode) show in what the caller sees.
 *
 * Tests that use them call `jest.restoreAllMocks()` after each test.
 */

/** A command as `send` received it. */
export interface SentCommand {
  /** The command's class name, e.g. `ConverseCommand`. */
  readonly command: string;
  readonly input: unknown;
  readonly abortSignal: unknown;
}

interface SendingClient {
  send(command: { readonly input: unknown }, options?: { readonly abortSignal?: unknown }): Promise<unknown>;
}

/**
 * `client.send` answers `answer(input, command)` (with empty `$metadata`) or rejects with what
 * `answer` throws; every command sent is recorded in the returned list.
 */
export function answering(client: object, answer: (input: unknown, command: string) => object | Promise<object>): SentCommand[] {
  const sent: SentCommand[] = [];
  jest.spyOn(client as SendingClient, 'send').mockImplementation(async (command, options) => {
    const name = command.constructor.name;
    sent.push({ command: name, input: command.input, abortSignal: options?.abortSignal });
    return { $metadata: {}, ...(await answer(command.input, name)) };
  });
  return sent;
}

/** An HTTP reply: status, headers, and a body sent as JSON (none when undefined). */
export interface HttpReply {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

/** A request as the SDK sent it over the wire (signed, its body serialized). */
export interface SentRequest {
  readonly method: string;
  readonly hostname: string;
  readonly path: string;
  readonly query: Readonly<Record<string, unknown>>;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

interface RequestHandler {
  handle(request: {
    method: string;
    hostname: string;
    path: string;
    query?: Record<string, unknown>;
    headers: Record<string, string>;
    body?: unknown;
  }): Promise<{ response: unknown }>;
}

/**
 * The client's request handler answers each request with `reply(request, attempt)` (attempt 1 for
 * the first request) instead of opening a connection; every request is recorded in the returned list.
 */
export function answeringHttp(
  client: { readonly config: { readonly requestHandler?: unknown } },
  reply: (request: SentRequest, attempt: number) => HttpReply,
): SentRequest[] {
  const sent: SentRequest[] = [];
  jest.spyOn(client.config.requestHandler as RequestHandler, 'handle').mockImplementation((request) => {
    // JSON protocols hand over a string or bytes (a Uint8Array that warns when read as a string).
    const body = typeof request.body === 'string' ? request.body : request.body === undefined ? '' : new TextDecoder().decode(request.body as Uint8Array);
    const recorded: SentRequest = {
      method: request.method,
      hostname: request.hostname,
      path: request.path,
      query: { ...request.query },
      headers: { ...request.headers },
      body,
    };
    sent.push(recorded);
    const { status, headers = {}, body: replyBody } = reply(recorded, sent.length);
    const bytes = replyBody === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(replyBody));
    return Promise.resolve({
      response: { statusCode: status, headers: { 'content-type': 'application/json', ...headers }, body: Readable.from([bytes]) },
    });
  });
  return sent;
}
