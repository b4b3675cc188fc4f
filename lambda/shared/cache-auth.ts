import { fromEnv } from '@aws-sdk/credential-provider-env';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { NodeSha256 } from './sha256';

/** AWS accepts an ElastiCache IAM auth token for 15 minutes after it is signed. */
export const TOKEN_EXPIRES_SECONDS = 900;
/** Re-sign before expiry so a token handed to a connection that is still opening stays valid. */
export const TOKEN_REUSE_MS = 10 * 60 * 1000;

export interface CacheAuthOptions {
  /** The serverless cache name (CACHE_NAME): the host part of the signed request. */
  readonly cacheName: string;
  /** The IAM-enabled user id (CACHE_USER_ID), also the user name to AUTH as. */
  readonly userId: string;
  /** @default process.env.AWS_REGION */
  readonly region?: string;
  /** @default the function's credentials from the environment (what the Lambda runtime sets) */
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Milliseconds since the epoch. @default Date.now */
  readonly now?: () => number;
  /** Ask for a serverless cache (`ResourceType=ServerlessCache`). @default true */
  readonly serverless?: boolean;
}

/**
 * The password for ElastiCache (Valkey/Redis OSS) IAM authentication, as AWS documents it: a SigV4
 * query-presigned `GET http://<cacheName>/?Action=connect&User=<userId>[&ResourceType=ServerlessCache]`
 * for the service `elasticache`, valid 900 s, with the URL scheme removed. Signing is local: no API
 * call, so it works in a VPC without an ElastiCache or STS endpoint.
 *
 * Tokens are re-used for `TOKEN_REUSE_MS` (they are only checked when a connection authenticates;
 * a connection outlives its token) and concurrent callers share one signing.
 */
export class CacheAuthTokenProvider {
  private readonly signer: SignatureV4;
  private readonly now: () => number;
  private current?: { readonly token: string; readonly signedAt: number };
  private pending?: Promise<string>;

  constructor(private readonly options: CacheAuthOptions) {
    const region = options.region ?? process.env.AWS_REGION;
    if (!region) throw new Error('cache auth needs a region: set AWS_REGION or pass region');
    if (!options.cacheName) throw new Error('cache auth needs the cache name (CACHE_NAME)');
    if (!options.userId) throw new Error('cache auth needs the user id (CACHE_USER_ID)');
    this.now = options.now ?? Date.now;
    this.signer = new SignatureV4({
      service: 'elasticache',
      region,
      credentials: options.credentials ?? fromEnv(),
      sha256: NodeSha256,
      uriEscapePath: true,
    });
  }

  /** The user name to AUTH with, beside the token. */
  public get userName(): string {
    return this.options.userId;
  }

  /** A token valid for at least 5 more minutes. */
  public async token(): Promise<string> {
    const now = this.now();
    if (this.current && now - this.current.signedAt < TOKEN_REUSE_MS) return this.current.token;
    if (!this.pending) {
      this.pending = this.sign(now)
        .then((token) => {
          this.current = { token, signedAt: now };
          return token;
        })
        .finally(() => (this.pending = undefined));
    }
    return this.pending;
  }

  private async sign(now: number): Promise<string> {
    const host = this.options.cacheName;
    const query: Record<string, string> = { Action: 'connect', User: this.options.userId };
    if (this.options.serverless ?? true) query.ResourceType = 'ServerlessCache';
    const signed = await this.signer.presign(
      { method: 'GET', protocol: 'http:', hostname: host, path: '/', query, headers: { host } },
      { expiresIn: TOKEN_EXPIRES_SECONDS, signingDate: new Date(now) },
    );
    const search = Object.entries(signed.query ?? {})
      .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((one) => `${encodeURIComponent(k)}=${encodeURIComponent(one ?? '')}`))
      .join('&');
    return `${host}/?${search}`;
  }
}
