import { createHash, createHmac } from 'node:crypto';
import { CacheAuthTokenProvider, TOKEN_REUSE_MS } from '../../lambda/shared/cache-auth';

const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'session/token+with=chars' };
const T0 = Date.UTC(2026, 10, 5, 12, 34, 56);
const CACHE = 'genaiblueprint-cache-0a1b2c3d';
const USER = 'genaiblueprint-cache-0a1b2c3d-app';

function provider(opts: { now?: () => number; calls?: { n: number } } = {}) {
  return new CacheAuthTokenProvider({
    cacheName: CACHE,
    userId: USER,
    region: 'eu-west-3',
    now: opts.now ?? (() => T0),
    credentials: async () => {
      if (opts.calls) opts.calls.n += 1;
      return CREDENTIALS;
    },
  });
}

function parse(token: string): { host: string; path: string; query: Map<string, string> } {
  const url = new URL(`http://${token}`);
  return { host: url.host, path: url.pathname, query: new Map(url.searchParams) };
}

/** SigV4 written out from the AWS documentation, independent of @smithy/signature-v4. */
function expectedSignature(query: Map<string, string>): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const canonicalQuery = [...query]
    .filter(([k]) => k !== 'X-Amz-Signature')
    .map(([k, v]) => [enc(k), enc(v)])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonicalRequest = ['GET', '/', canonicalQuery, `host:${CACHE}\n`, 'host', createHash('sha256').update('').digest('hex')].join('\n');
  const amzDate = query.get('X-Amz-Date')!;
  const scope = `${amzDate.slice(0, 8)}/eu-west-3/elasticache/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
  const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
  const kSigning = hmac(hmac(hmac(hmac(`AWS4${CREDENTIALS.secretAccessKey}`, amzDate.slice(0, 8)), 'eu-west-3'), 'elasticache'), 'aws4_request');
  return createHmac('sha256', kSigning).update(stringToSign).digest('hex');
}

describe('CacheAuthTokenProvider', () => {
  test('the token is the presigned connect request for the serverless cache, without a scheme', async () => {
    const token = await provider().token();
    expect(token.startsWith(`${CACHE}/?`)).toBe(true);
    expect(token).not.toMatch(/^https?:/);
    const { host, path, query } = parse(token);
    expect(host).toBe(CACHE);
    expect(path).toBe('/');
    expect(query.get('Action')).toBe('connect');
    expect(query.get('User')).toBe(USER);
    expect(query.get('ResourceType')).toBe('ServerlessCache');
    expect(query.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect(query.get('X-Amz-Credential')).toBe('AKIDEXAMPLE/20261105/eu-west-3/elasticache/aws4_request');
    expect(query.get('X-Amz-Date')).toBe('20261105T123456Z');
    expect(query.get('X-Amz-Expires')).toBe('900');
    expect(query.get('X-Amz-SignedHeaders')).toBe('host');
    expect(query.get('X-Amz-Security-Token')).toBe(CREDENTIALS.sessionToken);
    expect(query.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
  });

  test('the signature is the SigV4 signature of that request (checked by an independent implementation)', async () => {
    const { query } = parse(await provider().token());
    expect(query.get('X-Amz-Signature')).toBe(expectedSignature(query));
  });

  test('is re-used for 10 minutes, then signed again', async () => {
    let now = T0;
    const calls = { n: 0 };
    const p = provider({ now: () => now, calls });
    const first = await p.token();
    now = T0 + TOKEN_REUSE_MS - 1;
    expect(await p.token()).toBe(first);
    expect(calls.n).toBe(1);
    now = T0 + TOKEN_REUSE_MS;
    const second = await p.token();
    expect(second).not.toBe(first);
    expect(calls.n).toBe(2);
    expect(parse(second).query.get('X-Amz-Date')).toBe('20261105T124456Z');
    expect(parse(second).query.get('X-Amz-Signature')).toBe(expectedSignature(parse(second).query));
  });

  test('concurrent callers share one signing', async () => {
    const calls = { n: 0 };
    const p = provider({ calls });
    const tokens = await Promise.all([p.token(), p.token(), p.token()]);
    expect(new Set(tokens).size).toBe(1);
    expect(calls.n).toBe(1);
  });

  test('a node-based replication group is signed without ResourceType', async () => {
    const p = new CacheAuthTokenProvider({
      cacheName: 'my-group',
      userId: 'app',
      region: 'eu-west-3',
      serverless: false,
      now: () => T0,
      credentials: CREDENTIALS,
    });
    expect(parse(await p.token()).query.has('ResourceType')).toBe(false);
  });

  test('defaults to the region and credentials the Lambda runtime puts in the environment', async () => {
    const p = new CacheAuthTokenProvider({ cacheName: CACHE, userId: USER, now: () => T0 });
    const credential = parse(await p.token()).query.get('X-Amz-Credential');
    expect(credential).toBe(`${process.env.AWS_ACCESS_KEY_ID}/20261105/${process.env.AWS_REGION}/elasticache/aws4_request`);
    expect(p.userName).toBe(USER);
  });

  test('fails when the region, the cache name or the user id is missing', () => {
    const region = process.env.AWS_REGION;
    delete process.env.AWS_REGION;
    try {
      expect(() => new CacheAuthTokenProvider({ cacheName: CACHE, userId: USER })).toThrow('cache auth needs a region: set AWS_REGION or pass region');
    } finally {
      process.env.AWS_REGION = region;
    }
    expect(() => new CacheAuthTokenProvider({ cacheName: '', userId: USER })).toThrow('cache auth needs the cache name (CACHE_NAME)');
    expect(() => new CacheAuthTokenProvider({ cacheName: CACHE, userId: '' })).toThrow('cache auth needs the user id (CACHE_USER_ID)');
  });

  test('a signing failure is not cached: the next call signs again', async () => {
    let fail = true;
    const p = new CacheAuthTokenProvider({
      cacheName: CACHE,
      userId: USER,
      region: 'eu-west-3',
      now: () => T0,
      credentials: async () => {
        if (fail) throw new Error('no credentials');
        return CREDENTIALS;
      },
    });
    await expect(p.token()).rejects.toThrow('no credentials');
    fail = false;
    expect(parse(await p.token()).host).toBe(CACHE);
  });
});
