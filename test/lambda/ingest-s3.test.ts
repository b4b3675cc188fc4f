import { createHash } from 'node:crypto';
import * as http from 'node:http';
import https from 'node:https';
import * as net from 'node:net';
import { SignatureV4 } from '@smithy/signature-v4';
import { documentBucket, type DocumentBucketOptions } from '../../lambda/ingest/s3';
import { NodeSha256 } from '../../lambda/shared/sha256';
import { closeServer, readBody } from '../support/http';

/**
 * lambda/ingest/s3.ts on its own: the three object calls against a loopback HTTP server started for
 * this file, which records each request as S3 would receive it and answers from a script.
 */

interface Received {
  readonly method: string;
  /** The request target as sent (URI-encoded). */
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  /** When it arrived (ms, `performance.now()`). */
  readonly at: number;
}

/**
 * One scripted answer: a status and body, `hang` (never answered), `drop` (the connection is cut) or
 * `partial` (a 200 whose body is cut short).
 */
type Answer = { status: number; body?: string } | 'hang' | 'drop' | 'partial';

let server: http.Server;
let endpoint: string;
const received: Received[] = [];
let script: Answer[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    void readBody(req).then((body) => {
      received.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, at: performance.now() });
      const answer = script.shift() ?? { status: 200 };
      if (answer === 'hang') return;
      if (answer === 'drop') return void req.socket.destroy();
      if (answer === 'partial') {
        res.writeHead(200, { 'content-length': '100' });
        return void res.write('<Error>', () => setTimeout(() => req.socket.destroy(), 20));
      }
      res.writeHead(answer.status, answer.body === undefined ? {} : { 'content-type': 'application/xml' });
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
});

afterAll(() => closeServer(server));

beforeEach(() => {
  received.length = 0;
  script = [];
});

afterEach(() => jest.restoreAllMocks());

const REGION = 'eu-west-1';

function bucket(options: Partial<DocumentBucketOptions> = {}) {
  return documentBucket({
    bucket: 'docs-bucket',
    domainName: 'docs-bucket.s3.eu-west-1.amazonaws.com',
    region: REGION,
    maxAttempts: 3,
    attemptTimeoutMs: 5_000,
    endpoint,
    ...options,
  });
}

/** A call's rejection, or a failure of the test when it resolves. */
async function rejection(call: Promise<unknown>): Promise<Error> {
  return call.then(
    (value) => {
      throw new Error(`expected a failure, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => {
      // Node.js's own errors are of another realm than the test's `Error`.
      if (typeof error !== 'object' || error === null || !('message' in error)) throw new Error(`expected an Error, got ${String(error)}`);
      return error as Error;
    },
  );
}

function xmlError(code: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>m</Message><RequestId>r</RequestId></Error>`;
}

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=AKIAFAKEFAKEFAKEFAKE\/(\d{8})\/eu-west-1\/s3\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/;

/**
 * Checks the request's SigV4 signature as S3 does: recomputed over the request as received (the
 * path as sent, not encoded again; the signed headers only) with the same key and date.
 */
async function expectValidSignature(r: Received): Promise<void> {
  const authorization = String(r.headers.authorization);
  const match = AUTHORIZATION.exec(authorization);
  if (!match) throw new Error(`not a SigV4 S3 authorization for ${REGION}: ${authorization}`);
  const [, , signedHeaders] = match;
  const headers: Record<string, string> = {};
  for (const name of signedHeaders.split(';')) headers[name] = String(r.headers[name]);
  const amzDate = String(r.headers['x-amz-date']);
  const signingDate = new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`);
  const verifier = new SignatureV4({
    service: 's3',
    region: REGION,
    credentials: { accessKeyId: 'AKIAFAKEFAKEFAKEFAKE', secretAccessKey: 'fake-secret-for-loopback-tests-only' },
    sha256: NodeSha256,
    uriEscapePath: false,
  });
  const expected = await verifier.sign(
    { method: r.method, protocol: 'http:', hostname: String(r.headers.host), path: r.path, query: {}, headers, body: r.body === '' ? undefined : r.body },
    { signingDate },
  );
  expect(expected.headers.authorization).toBe(authorization);
}

const sha256Hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

describe('requests, path-style to the endpoint', () => {
  test('put: PUT /<bucket>/<key> with the JSON body, its type and byte length, signed with SigV4 for s3 in the region', async () => {
    const body = '{"label":"café"}';
    await expect(bucket().put('tenant-a/reports/q1.pdf.metadata.json', body)).resolves.toBeUndefined();
    expect(received).toHaveLength(1);
    const [r] = received;
    expect(r).toMatchObject({ method: 'PUT', path: '/docs-bucket/tenant-a/reports/q1.pdf.metadata.json', body });
    expect(r.headers).toMatchObject({
      host: new URL(endpoint).host,
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      'x-amz-content-sha256': sha256Hex(body),
    });
    expect(Number(r.headers['content-length'])).toBe(body.length + 1); // é is two bytes
    const signed = AUTHORIZATION.exec(String(r.headers.authorization))?.[2].split(';');
    expect(signed).toEqual(expect.arrayContaining(['content-length', 'content-type', 'host', 'x-amz-content-sha256', 'x-amz-date']));
    await expectValidSignature(r);
  });

  test('exists: HEAD with no body, no content type; 200 is true, 404 is false (not an error, not retried)', async () => {
    await expect(bucket().exists('tenant-a/a.pdf')).resolves.toBe(true);
    script = [{ status: 404 }];
    await expect(bucket().exists('tenant-a/missing.pdf')).resolves.toBe(false);
    expect(received.map((r) => `${r.method} ${r.path}`)).toEqual(['HEAD /docs-bucket/tenant-a/a.pdf', 'HEAD /docs-bucket/tenant-a/missing.pdf']);
    for (const r of received) {
      expect(r.body).toBe('');
      expect(r.headers['content-type']).toBeUndefined();
      expect(r.headers['x-amz-content-sha256']).toBe(sha256Hex(''));
      await expectValidSignature(r);
    }
  });

  test('exists: any other success than 200 is not taken for the object being there', async () => {
    script = [{ status: 204 }];
    await expect(bucket().exists('a.pdf')).resolves.toBe(false);
  });

  test('remove: DELETE /<bucket>/<key>; S3’s 204 resolves', async () => {
    script = [{ status: 204 }];
    await expect(bucket().remove('tenant-a/old.pdf.metadata.json')).resolves.toBeUndefined();
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ method: 'DELETE', path: '/docs-bucket/tenant-a/old.pdf.metadata.json', body: '' });
    await expectValidSignature(received[0]);
  });

  test('each key segment is URI-encoded as S3’s canonical URI wants (RFC 3986: !\'()* too), "/" kept, and signed as sent', async () => {
    await bucket().put("dir one/Q1 (final)!*'~._-ü&=+.pdf", '{}');
    expect(received[0].path).toBe('/docs-bucket/dir%20one/Q1%20%28final%29%21%2A%27~._-%C3%BC%26%3D%2B.pdf');
    await expectValidSignature(received[0]);
  });
});

describe('answers and retries', () => {
  test('503 SlowDown, 429 and 500 are retried; the call succeeds on the next 2xx', async () => {
    script = [{ status: 503, body: xmlError('SlowDown') }, { status: 429 }, { status: 200 }];
    await expect(bucket({ maxAttempts: 3 }).put('k.json', '{}')).resolves.toBeUndefined();
    expect(received).toHaveLength(3);
    script = [{ status: 500, body: xmlError('InternalError') }];
    await expect(bucket({ maxAttempts: 2 }).remove('k.json')).resolves.toBeUndefined();
    expect(received).toHaveLength(5);
    // Every attempt is signed again and sent whole.
    for (const r of received.slice(0, 3)) expect(r).toMatchObject({ method: 'PUT', body: '{}' });
  });

  test('gives up after maxAttempts retryable answers with the last one as the error', async () => {
    script = [{ status: 503, body: xmlError('SlowDown') }, { status: 429 }, { status: 503, body: xmlError('SlowDown') }, { status: 200 }];
    const error = await rejection(bucket({ maxAttempts: 3 }).put('k.json', '{}'));
    expect(received).toHaveLength(3);
    expect(error).toMatchObject({ name: 'SlowDown', message: 'PutObject answered 503 SlowDown' });
    script = [{ status: 429 }, { status: 429 }];
    const single = await rejection(bucket({ maxAttempts: 1 }).exists('k.json'));
    expect(received).toHaveLength(4);
    expect(single).toMatchObject({ name: 'HTTP 429', message: 'HeadObject answered 429 HTTP 429' });
  });

  test.each([
    [400, 'InvalidRequest'],
    [403, 'AccessDenied'],
    [404, 'NoSuchBucket'],
    [499, 'Whatever'],
  ])('a %i is not retried: the caller gets an error named by S3’s <Code>', async (status, code) => {
    script = [{ status, body: xmlError(code) }];
    const error = await rejection(bucket({ maxAttempts: 3 }).put('k.json', '{}'));
    expect(received).toHaveLength(1);
    expect(error).toMatchObject({ name: code, message: `PutObject answered ${status} ${code}` });
  });

  test('a 404 is an error for DeleteObject and PutObject, false for HeadObject only; a HEAD error is named by its status', async () => {
    script = [{ status: 404, body: xmlError('NoSuchKey') }];
    expect(await rejection(bucket().remove('k.json'))).toMatchObject({ name: 'NoSuchKey', message: 'DeleteObject answered 404 NoSuchKey' });
    script = [{ status: 403 }];
    expect(await rejection(bucket().exists('k.json'))).toMatchObject({ name: 'HTTP 403', message: 'HeadObject answered 403 HTTP 403' });
    expect(received).toHaveLength(2);
  });

  test('the <Code> is read only when it is 1 to 100 characters of text', async () => {
    const cases: [string, string][] = [
      ['<Error><Code></Code></Error>', 'HTTP 403'],
      [`<Error><Code>${'A'.repeat(100)}</Code></Error>`, 'A'.repeat(100)],
      [`<Error><Code>${'A'.repeat(101)}</Code></Error>`, 'HTTP 403'],
      ['<Error><Code>X</Code><Code>Y</Code></Error>', 'X'],
      ['<Error><Code>Access Denied</Code></Error>', 'Access Denied'],
      ['<Code>AccessDenied</Code', 'HTTP 403'],
      ['<Error>AccessDenied</Code></Error>', 'HTTP 403'],
    ];
    for (const [body, name] of cases) {
      script = [{ status: 403, body }];
      expect(await rejection(bucket().put('k.json', '{}'))).toMatchObject({ name, message: `PutObject answered 403 ${name}` });
    }
  });

  test('the <Code> is read from the first 4 KiB of the answer only', async () => {
    script = [{ status: 403, body: `<Error>${' '.repeat(4_096)}<Code>AccessDenied</Code></Error>` }];
    expect(await rejection(bucket().put('k.json', '{}'))).toMatchObject({ name: 'HTTP 403' });
    script = [{ status: 403, body: `<Error>${' '.repeat(4_000)}<Code>AccessDenied</Code></Error>` }];
    expect(await rejection(bucket().put('k.json', '{}'))).toMatchObject({ name: 'AccessDenied' });
    // The last character kept is the code's closing '>'.
    const code = '<Code>AccessDenied</Code>';
    script = [{ status: 403, body: `<Error>${' '.repeat(4_096 - '<Error>'.length - code.length)}${code}</Error>` }];
    expect(await rejection(bucket().put('k.json', '{}'))).toMatchObject({ name: 'AccessDenied' });
    script = [{ status: 403, body: `<Error>${' '.repeat(4_097 - '<Error>'.length - code.length)}${code}</Error>` }];
    expect(await rejection(bucket().put('k.json', '{}'))).toMatchObject({ name: 'HTTP 403' });
  });

  test.each([
    ['drop', 'a cut connection'],
    ['partial', 'an answer cut off in its body'],
  ] as const)('%s: %s is retried; after maxAttempts the network error itself reaches the caller', async (fault, _what) => {
    script = [fault, { status: 200 }];
    await expect(bucket({ maxAttempts: 2 }).put('k.json', '{}')).resolves.toBeUndefined();
    expect(received).toHaveLength(2);
    script = [fault, fault];
    const error = await rejection(bucket({ maxAttempts: 2 }).put('k.json', '{}'));
    expect(received).toHaveLength(4);
    expect(error).toMatchObject({ code: 'ECONNRESET' });
  });

  test('an attempt unanswered within attemptTimeoutMs is abandoned and retried; then the timeout is the error', async () => {
    script = ['hang', { status: 200 }];
    await expect(bucket({ maxAttempts: 2, attemptTimeoutMs: 300 }).put('k.json', '{}')).resolves.toBeUndefined();
    expect(received).toHaveLength(2);
    script = ['hang', 'hang'];
    const started = performance.now();
    const error = await rejection(bucket({ maxAttempts: 2, attemptTimeoutMs: 300 }).exists('k.json'));
    expect(error.message).toBe('S3 did not answer within 300 ms');
    expect(received).toHaveLength(4);
    // Two attempts of 300 ms each at least; far under the jest timeout (generous bound).
    expect(performance.now() - started).toBeGreaterThanOrEqual(550);
  });

  test('the wait between attempts is a random share of 200 ms, then 400 ms (full jitter)', async () => {
    jest.spyOn(Math, 'random').mockReturnValue(1);
    script = [{ status: 503 }, { status: 503 }, { status: 200 }];
    await bucket({ maxAttempts: 3 }).put('k.json', '{}');
    const [a, b, c] = received.map((r) => r.at);
    expect(b - a).toBeGreaterThanOrEqual(190);
    expect(c - b).toBeGreaterThanOrEqual(390);
    // Half the share: half the wait (generous upper bounds: a busy machine only adds time, the 800 and 1600 ms of a wrong formula would show).
    jest.spyOn(Math, 'random').mockReturnValue(0.25);
    received.length = 0;
    script = [{ status: 503 }, { status: 503 }, { status: 200 }];
    const started = performance.now();
    await bucket({ maxAttempts: 3 }).put('k.json', '{}');
    const [d, e, f] = received.map((r) => r.at);
    expect(e - d).toBeGreaterThanOrEqual(45);
    expect(f - e).toBeGreaterThanOrEqual(95);
    expect(performance.now() - started).toBeLessThan(1_500);
  });

  test('no wait after the last attempt: the failure is reported at once', async () => {
    // A share of 1000 would make a wait after the third attempt last 800 s.
    jest.spyOn(Math, 'random').mockReturnValueOnce(0).mockReturnValueOnce(0).mockReturnValue(1_000);
    script = [{ status: 503 }, { status: 503 }, { status: 503 }];
    const started = performance.now();
    expect(await rejection(bucket({ maxAttempts: 3 }).put('k.json', '{}'))).toMatchObject({ name: 'HTTP 503' });
    expect(received).toHaveLength(3);
    expect(performance.now() - started).toBeLessThan(10_000);
  }, 20_000);
});

describe('virtual-hosted style without an endpoint', () => {
  test('HTTPS to the bucket’s regional domain on port 443, the key alone as the path', async () => {
    // The TLS connection is replaced by a plain one to the loopback server, so what would go to S3 is seen here.
    const connections: unknown[] = [];
    const port = (server.address() as net.AddressInfo).port;
    jest.spyOn(https.globalAgent, 'createConnection').mockImplementation((options) => {
      connections.push({ host: options.host, port: Number(options.port) });
      return net.connect(port, '127.0.0.1');
    });
    const store = bucket({ endpoint: undefined, domainName: 'docs-bucket.s3.eu-west-1.amazonaws.com' });
    await store.put('tenant-a/a b.pdf.metadata.json', '{}');
    script = [{ status: 404 }];
    await expect(store.exists('tenant-a/a b.pdf')).resolves.toBe(false);
    // One connection, or two when the first was not kept alive: always to the bucket's domain.
    expect(connections.length).toBeGreaterThanOrEqual(1);
    for (const c of connections) expect(c).toEqual({ host: 'docs-bucket.s3.eu-west-1.amazonaws.com', port: 443 });
    expect(received.map((r) => `${r.method} ${r.headers.host} ${r.path}`)).toEqual([
      'PUT docs-bucket.s3.eu-west-1.amazonaws.com /tenant-a/a%20b.pdf.metadata.json',
      'HEAD docs-bucket.s3.eu-west-1.amazonaws.com /tenant-a/a%20b.pdf',
    ]);
    for (const r of received) await expectValidSignature(r);
  });
});
