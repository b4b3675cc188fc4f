import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'iovalkey';
import type { CacheStore } from './store';

export interface ValkeyStoreOptions {
  readonly host: string;
  readonly port: number;
  /** TLS to the server; ElastiCache Serverless requires it. @default false */
  readonly tls?: boolean;
  /**
   * Speak the cluster protocol (follow MOVED, route by slot); ElastiCache Serverless endpoints
   * need it. @default false
   */
  readonly cluster?: boolean;
  /** Time to open a connection (TCP + TLS + ready check). @default 1000 */
  readonly connectTimeoutMs?: number;
  /**
   * A command with no reply after this long fails. It bounds what a paused or overloaded server
   * costs a request, and keeps commands from piling up behind it. @default 50
   */
  readonly commandTimeoutMs?: number;
  /** Longest wait between reconnection attempts after the connection drops. @default 2000 */
  readonly maxReconnectDelayMs?: number;
  /**
   * Log in as `username` with a password fetched before each (re)connection: ElastiCache IAM
   * authentication, where the password is a SigV4 token valid for 15 minutes. @default no AUTH
   */
  readonly credentials?: { readonly username: string; readonly password: () => Promise<string> };
  /** Connection-level errors (refused, reset, TLS); the store fails the commands itself. @default ignored */
  readonly onConnectionError?: (error: Error) => void;
}

type Client = Redis | Cluster;

/**
 * A `CacheStore` on one iovalkey client, tuned to fail fast: no offline queue and no per-request
 * retries, so while the server is unreachable a command fails at once instead of waiting for a
 * reconnection; a tight command timeout for a server that is up but slow. Reconnection keeps going
 * in the background with capped backoff.
 *
 * The connection opens on first use (`lazyConnect`) so that module-scope construction in a Lambda
 * function does no I/O during init; call `connect()` there to open it early.
 */
export class ValkeyCacheStore implements CacheStore {
  public readonly client: Client;
  private connecting?: Promise<void>;
  private readonly credentials?: ValkeyStoreOptions['credentials'];

  constructor(options: ValkeyStoreOptions) {
    const commandTimeout = options.commandTimeoutMs ?? 50;
    const maxDelay = options.maxReconnectDelayMs ?? 2_000;
    const retryStrategy = (times: number) => Math.min(50 * 2 ** Math.min(times, 10), maxDelay);
    const common: RedisOptions = {
      lazyConnect: true,
      connectTimeout: options.connectTimeoutMs ?? 1_000,
      commandTimeout,
      maxRetriesPerRequest: 0,
      // A reply lost to a reset connection is a cache miss, not something to send again later.
      autoResendUnfulfilledCommands: false,
      ...(options.tls ? { tls: { servername: options.host } } : {}),
    };
    if (options.cluster) {
      const clusterOptions: ClusterOptions = {
        lazyConnect: true,
        enableOfflineQueue: false,
        clusterRetryStrategy: retryStrategy,
        slotsRefreshTimeout: options.connectTimeoutMs ?? 1_000,
        // ElastiCache with TLS: connect by the DNS name the certificate is for, not a resolved IP.
        dnsLookup: (address, callback) => callback(null, address),
        redisOptions: common,
      };
      this.client = new Cluster([{ host: options.host, port: options.port }], clusterOptions);
    } else {
      this.client = new Redis({ ...common, host: options.host, port: options.port, enableOfflineQueue: false, retryStrategy });
    }
    // Without a listener, iovalkey prints every connection error to the console.
    this.client.on('error', (error: Error) => options.onConnectionError?.(error));
    this.credentials = options.credentials;
    // A reconnection after the token expired needs a new one; the next retry uses it.
    if (this.credentials) this.client.on('reconnecting', () => void this.login().catch((error: Error) => options.onConnectionError?.(error)));
  }

  /** Puts fresh credentials into the options iovalkey reads when it (re)connects. */
  private async login(): Promise<void> {
    if (!this.credentials) return;
    const password = await this.credentials.password();
    const target = this.client instanceof Cluster ? (this.client.options.redisOptions ??= {}) : this.client.options;
    target.username = this.credentials.username;
    target.password = password;
  }

  /**
   * Resolves when the connection is ready. The first call opens it; while iovalkey reconnects after
   * a drop it rejects at once (the cache is down: callers answer without it).
   */
  public async connect(): Promise<void> {
    const status = this.client.status;
    if (status === 'ready') return;
    if (this.connecting) return this.connecting;
    if (status === 'wait' || status === 'end') {
      this.connecting = this.login()
        .then(() => this.client.connect())
        .finally(() => (this.connecting = undefined));
      return this.connecting;
    }
    throw new Error(`cache connection is ${status}`);
  }

  public async get(key: string): Promise<string | null> {
    await this.connect();
    return this.client.get(key);
  }

  public async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    await this.connect();
    await this.client.set(key, value, 'EX', ttlSeconds);
  }

  public async getMany(keys: readonly string[]): Promise<(string | null)[]> {
    if (keys.length === 0) return [];
    await this.connect();
    return this.client.mget(...keys);
  }

  public async readLists(keys: readonly string[], count: number): Promise<string[][]> {
    if (keys.length === 0) return [];
    await this.connect();
    const pipeline = this.client.pipeline();
    for (const key of keys) pipeline.lrange(key, 0, count - 1);
    return unwrap(await pipeline.exec()) as string[][];
  }

  public async putBounded(
    entry: { readonly key: string; readonly value: string },
    lists: readonly string[],
    member: string,
    maxPerList: number,
    ttlSeconds: number,
  ): Promise<void> {
    await this.connect();
    const multi = this.client.multi().set(entry.key, entry.value, 'EX', ttlSeconds);
    for (const list of lists) {
      // LREM first so that storing the same entry again moves it to the head instead of duplicating it.
      multi
        .lrem(list, 0, member)
        .lpush(list, member)
        .ltrim(list, 0, maxPerList - 1)
        .expire(list, ttlSeconds);
    }
    unwrap(await multi.exec());
  }

  /** Waits for pending replies, then closes. */
  public async quit(): Promise<void> {
    if (this.client.status === 'wait' || this.client.status === 'end') return;
    await this.client.quit().catch(() => this.client.disconnect());
  }

  /** Closes at once; pending commands fail. */
  public disconnect(): void {
    this.client.disconnect();
  }
}

function unwrap(results: [error: Error | null, result: unknown][] | null): unknown[] {
  // exec() answers null when a MULTI was discarded.
  if (!results) throw new Error('cache transaction was discarded');
  return results.map(([error, result]) => {
    if (error) throw error;
    return result;
  });
}
