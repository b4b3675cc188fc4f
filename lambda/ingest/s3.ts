import * as http from 'node:http';
import * as https from 'node:https';
import { fromEnv } from '@aws-sdk/credential-provider-env';
import { SignatureV4 } from '@smithy/signature-v4';
import { NodeSha256 } from '../shared/sha256';
import type { DocumentStorePort } from './core';

/**
 * The three S3 object calls ingestion makes (HeadObject, PutObject, DeleteObject), signed with
 * SigV4 by the SDK's own signer. The blueprint ships no S3 client: these three requests are all
 * the sidecars need, and the REST shape of each is fixed by the S3 API reference
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html, API_PutObject.html,
 * API_DeleteObject.html). test/support/iam/commands.ts reads S3_OPERATIONS from the bundle to
 * simulate their IAM actions, as it reads SDK commands.
 */
export const S3_OPERATIONS = { HeadObject: 'HEAD', PutObject: 'PUT', DeleteObject: 'DELETE' } as const;

export interface DocumentBucketOptions {
  readonly bucket: string;
  /** The bucket's regional domain name (virtual-hosted style), from the stack. */
  readonly domainName: string;
  readonly region: string;
  readonly maxAttempts: number;
  readonly attemptTimeoutMs: number;
  /** `AWS_ENDPOINT_URL_S3`, as the SDK clients honour it: path-style requests to that endpoint (tests). */
  readonly endpoint?: string;
}

/** Answers worth another attempt: throttling and server faults (S3's 503 SlowDown included). */
const RETRYABLE = (status: number) => status === 429 || status >= 500;

export function documentBucket(options: DocumentBucketOptions): DocumentStorePort {
  const signer = new SignatureV4({ service: 's3', region: options.region, credentials: fromEnv(), sha256: NodeSha256, uriEscapePath: false });
  const target = options.endpoint ? new URL(options.endpoint) : new URL(`https://${options.domainName}`);
  const pathOf = (key: string) => `${options.endpoint ? `/${options.bucket}` : ''}/${key.split('/').map(rfc3986).join('/')}`;

  async function send(operation: keyof typeof S3_OPERATIONS, key: string, body?: string): Promise<number> {
    const request = {
      method: S3_OPERATIONS[operation],
      protocol: target.protocol,
      hostname: target.hostname,
      port: target.port ? Number(target.port) : undefined,
      path: pathOf(key),
      query: {},
      headers: {
        host: target.host,
        ...(body === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }),
      },
      body,
    };
    let lastError: unknown;
    for (let attempt = 1; attempt <= options.maxAttempts; attempt++) {
      try {
        const signed = await signer.sign(request);
        const { status, text } = await exchange(target.protocol, { ...request, headers: signed.headers }, options.attemptTimeoutMs);
        if (!RETRYABLE(status)) {
          if (status >= 400 && !(operation === 'HeadObject' && status === 404)) throw new S3Error(operation, status, text);
          return status;
        }
        lastError = new S3Error(operation, status, text);
      } catch (error) {
        if (error instanceof S3Error) throw error;
        lastError = error;
      }
      if (attempt < options.maxAttempts) await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt * Math.random()));
    }
    throw lastError;
  }

  return {
    // Without s3:ListBucket a missing key answers 403, not 404: the role has ListBucket for this.
    exists: async (key) => (await send('HeadObject', key)) === 200,
    put: async (key, body) => void (await send('PutObject', key, body)),
    remove: async (key) => void (await send('DeleteObject', key)),
  };
}

/** S3's error answer, named by its XML `<Code>` (a HEAD answer has no body: the status names it). */
export class S3Error extends Error {
  constructor(operation: string, status: number, body: string) {
    const code = /<Code>([^<]{1,100})<\/Code>/.exec(body)?.[1] ?? `HTTP ${status}`;
    super(`${operation} answered ${status} ${code}`);
    this.name = code;
  }
}

/** S3's canonical URI encodes every byte but the unreserved characters (RFC 3986), '/' kept between segments. */
function rfc3986(segment: string): string {
  return encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function exchange(
  protocol: string,
  request: { method: string; hostname: string; port?: number; path: string; headers: Record<string, string>; body?: string },
  timeoutMs: number,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = (protocol === 'http:' ? http : https).request(
      { method: request.method, hostname: request.hostname, port: request.port, path: request.path, headers: request.headers, timeout: timeoutMs },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text = (text + chunk).slice(0, 4_096)));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`S3 did not answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(request.body);
  });
}
