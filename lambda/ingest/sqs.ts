import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { fromEnv } from '@aws-sdk/credential-provider-env';
import { SignatureV4 } from '@smithy/signature-v4';

/**
 * SQS SendMessage over the AWS JSON 1.0 protocol, signed with the SDK's own SigV4 signer.
 *
 * Why not `@aws-sdk/client-sqs`: it is not a dependency of this project yet (it cannot be typed
 * or tested here without it). Once it is, this file becomes `new SQSClient({}).send(new
 * SendMessageCommand(...))`. The request is the one the SDK sends: same target header, same body,
 * same signature, to the queue URL's own endpoint.
 */
export interface SqsSender {
  send(body: string, delaySeconds: number): Promise<void>;
}

export function sqsSender(queueUrl: string, region: string, opts: { maxAttempts?: number; timeoutMs?: number } = {}): SqsSender {
  const endpoint = new URL(queueUrl);
  const signer = new SignatureV4({ service: 'sqs', region, credentials: fromEnv(), sha256: Sha256, uriEscapePath: true, applyChecksum: true });
  const maxAttempts = opts.maxAttempts ?? 3;
  return {
    async send(body, delaySeconds) {
      const payload = JSON.stringify({ QueueUrl: queueUrl, MessageBody: body, DelaySeconds: delaySeconds });
      for (let attempt = 1; ; attempt++) {
        const signed = await signer.sign({
          method: 'POST',
          protocol: endpoint.protocol,
          hostname: endpoint.hostname,
          port: endpoint.port ? Number(endpoint.port) : undefined,
          path: '/',
          query: {},
          headers: { host: endpoint.host, 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.SendMessage' },
          body: payload,
        });
        const res = await fetch(`${endpoint.origin}/`, {
          method: 'POST',
          headers: signed.headers,
          body: payload,
          signal: AbortSignal.timeout(opts.timeoutMs ?? 5_000),
        }).catch((error: unknown) => ({ ok: false, status: 0, error }) as const);
        if (res.ok) return;
        // Throttling, 5xx and network errors are worth another try; a 4xx (no such queue, denied) is not.
        const retryable = res.status === 0 || res.status >= 500 || res.status === 429;
        if (!retryable || attempt >= maxAttempts) {
          const detail = 'error' in res ? String(res.error) : await errorType(res);
          throw new Error(`SQS SendMessage failed (${res.status || 'network'}): ${detail}`);
        }
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 100 * 2 ** attempt));
      }
    },
  };
}

async function errorType(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const json = JSON.parse(text) as { __type?: unknown };
    if (typeof json.__type === 'string') return json.__type.split('#').pop()!;
  } catch {
    // not JSON: fall through
  }
  return 'unexpected answer';
}

/** SHA-256 and HMAC-SHA-256 in the shape the signer asks for (node:crypto, no extra package). */
class Sha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: string | Uint8Array) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', secret);
  }
  update(data: string | Uint8Array): void {
    this.hash.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    // one-shot: the signer creates a new instance per digest
  }
}
