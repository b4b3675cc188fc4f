import * as net from 'node:net';
import * as tls from 'node:tls';
import { ValkeyCacheStore, type ValkeyStoreOptions } from '../../lambda/shared/cache/valkey-store';
import { type RedisServer, startRedisServer } from '../support/redis-server';

/**
 * The store's own behaviour (CacheStore over iovalkey: commands, lazy and shared connection,
 * credentials, the connection errors it reports) against one real server for the whole file.
 * Timings under load are cache-faults.test.ts's subject; here every bound is generous and each
 * outcome is exact. A missing redis-server fails the file (startRedisServer says how to install it).
 */
let server: RedisServer;
const open: ValkeyCacheStore[] = [];

beforeAll(async () => {
  server = await startRedisServer();
});

afterEach(() => {
  for (const store of open.splice(0)) store.disconnect();
});

afterAll(async () => {
  await server?.stop();
});

beforeEach(async () => {
  await server.command('FLUSHALL');
});

function store(options: Partial<ValkeyStoreOptions> = {}): ValkeyCacheStore {
  const s = new ValkeyCacheStore({ host: server.host, port: server.port, commandTimeoutMs: 2_000, ...options });
  open.push(s);
  return s;
}

/** An ACL user of its own for one test, so that its connections can be told apart and killed. */
async function user(name: string, password: string): Promise<void> {
  await server.command('ACL', 'SETUSER', name, 'reset', 'on', `>${password}`, '~*', '+@all');
}

/** The number of client connections logged in as `name`. */
async function connectionsOf(name: string): Promise<number> {
  const list = await server.command('CLIENT', 'LIST', 'TYPE', 'normal');
  return list.split('\n').filter((line) => line.includes(` user=${name} `)).length;
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000, everyMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** The reply or the error of `run`, or `'no answer'` after `ms`: for outcomes that a broken store would never give. */
async function within<T>(ms: number, run: Promise<T>): Promise<T | 'no answer'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'no answer'>((resolve) => (timer = setTimeout(() => resolve('no answer'), ms)));
  try {
    return await Promise.race([run, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A loopback port nothing listens on. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const outcome = (run: Promise<unknown>) =>
  run.then(
    () => 'answered',
    () => 'failed',
  );

const ttl = async (key: string) => Number((await server.command('TTL', key)).replace(/^:|\r\n$/g, ''));

describe('commands', () => {
  test('set stores a value with its time to live; get reads it, and null for a missing key', async () => {
    const s = store();
    await s.set('genai:k', 'value', 60);
    expect(await s.get('genai:k')).toBe('value');
    expect(await s.get('genai:missing')).toBeNull();
    expect(await ttl('genai:k')).toBeGreaterThan(50);
    expect(await ttl('genai:k')).toBeLessThanOrEqual(60);
  });

  test('getMany reads values in the order asked, null where missing; no keys answers [] without connecting', async () => {
    const idle = store();
    expect(await idle.getMany([])).toEqual([]);
    expect(idle.client.status).toBe('wait');
    const s = store();
    await s.set('genai:a', 'A', 60);
    await s.set('genai:c', 'C', 60);
    expect(await s.getMany(['genai:c', 'genai:b', 'genai:a'])).toEqual(['C', null, 'A']);
  });

  test('readLists reads the first `count` members of each list, [] for a missing one; no keys answers [] without connecting', async () => {
    const idle = store();
    expect(await idle.readLists([], 5)).toEqual([]);
    expect(idle.client.status).toBe('wait');
    await server.command('RPUSH', 'genai:l1', 'a', 'b', 'c');
    await server.command('RPUSH', 'genai:l2', 'x');
    expect(await store().readLists(['genai:l1', 'genai:none', 'genai:l2'], 2)).toEqual([['a', 'b'], [], ['x']]);
  });

  test('readLists fails with the server error of a key that holds no list', async () => {
    const s = store();
    await s.set('genai:text', 'not a list', 60);
    await expect(s.readLists(['genai:text'], 2)).rejects.toThrow(/WRONGTYPE/);
  });

  test('putBounded stores the entry, puts the member first in each list, moves it there when stored again, and bounds the lists', async () => {
    const s = store();
    await server.command('RPUSH', 'genai:l1', 'm1', 'm2', 'm3');
    await s.putBounded({ key: 'genai:e', value: 'entry' }, ['genai:l1', 'genai:l2'], 'm3', 3, 60);
    expect(await s.get('genai:e')).toBe('entry');
    expect(await s.readLists(['genai:l1', 'genai:l2'], 10)).toEqual([['m3', 'm1', 'm2'], ['m3']]);
    await s.putBounded({ key: 'genai:e4', value: 'entry 4' }, ['genai:l1'], 'm4', 3, 60);
    expect(await s.readLists(['genai:l1'], 10)).toEqual([['m4', 'm3', 'm1']]);
    for (const key of ['genai:e', 'genai:l1', 'genai:l2']) {
      expect(await ttl(key)).toBeGreaterThan(50);
      expect(await ttl(key)).toBeLessThanOrEqual(60);
    }
  });

  test('putBounded fails with the server error of a list key that holds no list', async () => {
    const s = store();
    await s.set('genai:text', 'not a list', 60);
    await expect(s.putBounded({ key: 'genai:e', value: 'entry' }, ['genai:text'], 'm', 3, 60)).rejects.toThrow(/WRONGTYPE/);
  });
});

describe('connection', () => {
  test('opens nothing until first used, then one connection for concurrent first commands', async () => {
    await user('lazy', 'pw');
    let fetched = 0;
    const s = store({ credentials: { username: 'lazy', password: async () => (fetched++, 'pw') } });
    expect(s.client.status).toBe('wait');
    expect(await connectionsOf('lazy')).toBe(0);
    await s.set('genai:k', 'v', 60);
    expect(await Promise.all([s.get('genai:k'), s.get('genai:k'), s.getMany(['genai:k'])])).toEqual(['v', 'v', ['v']]);
    expect(fetched).toBe(1);
    expect(await connectionsOf('lazy')).toBe(1);
  });

  test('concurrent first commands share the connection being opened', async () => {
    const s = store();
    await s.set('genai:k', 'v', 60);
    s.disconnect();
    await eventually(async () => s.client.status === 'end');
    const fresh = store();
    expect(await Promise.all([fresh.get('genai:k'), fresh.get('genai:k'), fresh.connect()])).toEqual(['v', 'v', undefined]);
  });

  test('quit closes the connection, and the store opens a new one when used again; quit of an unused store opens none', async () => {
    await user('reopen', 'pw');
    const s = store({ credentials: { username: 'reopen', password: async () => 'pw' } });
    await s.set('genai:k', 'v', 60);
    await s.quit();
    await eventually(async () => (await connectionsOf('reopen')) === 0);
    expect(await s.get('genai:k')).toBe('v');
    expect(await connectionsOf('reopen')).toBe(1);

    const unused = store();
    await unused.quit();
    expect(unused.client.status).toBe('wait');
  });

  test('a dropped connection: commands fail at once while it reconnects, then work again', async () => {
    await user('dropped', 'pw');
    const s = store({ credentials: { username: 'dropped', password: async () => 'pw' }, maxReconnectDelayMs: 200 });
    await s.set('genai:k', 'v', 60);
    await server.command('CLIENT', 'KILL', 'USER', 'dropped');
    // Once the drop is seen (a command sent as it happens may fail otherwise), a command fails at once with the state.
    await eventually(async () => (await s.get('genai:k').then(String, (error: Error) => error.message)) === 'cache connection is reconnecting', 3_000, 2);
    await eventually(async () => (await s.get('genai:k').catch(() => undefined)) === 'v');
  });

  test('quit while the connection is down closes it for good', async () => {
    await user('closing', 'pw');
    const s = store({ credentials: { username: 'closing', password: async () => 'pw' } });
    await s.set('genai:k', 'v', 60);
    await server.command('CLIENT', 'KILL', 'USER', 'closing');
    await eventually(async () => (await s.get('genai:k').then(String, (error: Error) => error.message)) === 'cache connection is reconnecting', 3_000, 2);
    let connects = 0;
    s.client.on('connect', () => connects++);
    await s.quit();
    // No reconnection follows: well past the first retry (100 ms), the user has no connection.
    await sleep(1_000);
    expect(connects).toBe(0);
    expect(await connectionsOf('closing')).toBe(0);
    expect(s.client.status).not.toBe('ready');
  });

  test('quit twice, then used again: after a drop the store still reconnects in the background', async () => {
    await user('twice', 'pw');
    const s = store({ credentials: { username: 'twice', password: async () => 'pw' } });
    await s.set('genai:k', 'v', 60);
    await s.quit();
    await eventually(async () => s.client.status === 'end');
    await s.quit();
    expect(await s.get('genai:k')).toBe('v');
    let reconnecting = 0;
    s.client.on('reconnecting', () => reconnecting++);
    await server.command('CLIENT', 'KILL', 'USER', 'twice');
    await eventually(async () => reconnecting > 0, 3_000);
    await eventually(async () => (await s.get('genai:k').catch(() => undefined)) === 'v');
  });

  test('while the server is unreachable, reconnects after 100 ms, then twice as long each time, up to maxReconnectDelayMs', async () => {
    const s = store({ port: await closedPort(), maxReconnectDelayMs: 300 });
    const delays: number[] = [];
    s.client.on('reconnecting', (delay: number) => delays.push(delay));
    await expect(s.get('genai:k')).rejects.toThrow();
    await eventually(async () => delays.length >= 4);
    expect(delays.slice(0, 4)).toEqual([100, 200, 300, 300]);
  });

  test('a command with no reply fails after the command timeout (default 50 ms, asserted only against a paused server)', async () => {
    const s = new ValkeyCacheStore({ host: server.host, port: server.port });
    open.push(s);
    await s.set('genai:k', 'v', 60);
    server.pause();
    try {
      const outcome = await within(
        3_000,
        s.get('genai:k').catch((error: Error) => error),
      );
      expect(outcome).toBeInstanceOf(Error);
      expect(String(outcome)).toMatch(/Command timed out/);
    } finally {
      server.resume();
    }
  });
});

describe('credentials', () => {
  test('logs in as the user with a password fetched for each connection, so a rotated token is used after a drop', async () => {
    await user('rotating', 'token-1');
    let token = 'token-1';
    let fetched = 0;
    const s = store({ credentials: { username: 'rotating', password: async () => (fetched++, token) }, maxReconnectDelayMs: 200 });
    await s.set('genai:k', 'v', 60);
    expect(fetched).toBe(1);
    await user('rotating', 'token-2');
    token = 'token-2';
    await server.command('CLIENT', 'KILL', 'USER', 'rotating');
    await eventually(async () => (await s.get('genai:k').catch(() => undefined)) === 'v');
    expect(fetched).toBeGreaterThanOrEqual(2);
    expect(await connectionsOf('rotating')).toBe(1);
  });

  test('a password that cannot be fetched fails the first command, and is reported when it fails on a reconnection', async () => {
    const errors: Error[] = [];
    await user('unfetched', 'pw');
    let fail = true;
    const s = store({
      credentials: {
        username: 'unfetched',
        password: async () => {
          if (fail) throw new Error('token service down');
          return 'pw';
        },
      },
      maxReconnectDelayMs: 200,
      onConnectionError: (e) => errors.push(e),
    });
    await expect(s.get('genai:k')).rejects.toThrow('token service down');
    fail = false;
    expect(await s.get('genai:k')).toBeNull();
    fail = true;
    await server.command('CLIENT', 'KILL', 'USER', 'unfetched');
    await eventually(async () => errors.some((e) => e.message === 'token service down'));
  });

  test('without onConnectionError, a password that cannot be fetched on a reconnection is dropped quietly', async () => {
    await user('quiet', 'pw');
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      let failures = 0;
      let fail = false;
      const s = store({
        credentials: {
          username: 'quiet',
          password: async () => {
            if (!fail) return 'pw';
            failures++;
            throw new Error('token service down');
          },
        },
        maxReconnectDelayMs: 200,
      });
      await s.set('genai:k', 'v', 60);
      fail = true;
      await server.command('CLIENT', 'KILL', 'USER', 'quiet');
      // The fetch fails once; the reconnection then goes on with the password it has (still valid here).
      await eventually(async () => failures >= 1 && (await s.get('genai:k').catch(() => undefined)) === 'v');
      await sleep(50);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  test('a wrong password fails the command and reaches onConnectionError', async () => {
    await user('wrong', 'right');
    const errors: Error[] = [];
    const s = store({ credentials: { username: 'wrong', password: async () => 'expired' }, onConnectionError: (e) => errors.push(e) });
    await expect(s.get('genai:k')).rejects.toThrow();
    expect(errors.map(String).join('\n')).toMatch(/WRONGPASS|invalid username-password/);
  });
});

describe('transport', () => {
  test('tls: a plain server leaves the handshake unanswered; the command fails within the connect timeout, reported if asked', async () => {
    const errors: Error[] = [];
    const s = store({ tls: true, onConnectionError: (e) => errors.push(e) });
    expect(await within(5_000, outcome(s.get('genai:k')))).toBe('failed');
    expect(errors.length).toBeGreaterThan(0);
    // The handshake gets no answer from a plain server: the connect timeout ends it (a generous bound over 100 ms).
    const quiet = store({ tls: true, connectTimeoutMs: 100 });
    expect(await within(800, outcome(quiet.get('genai:k')))).toBe('failed');
  });

  test('tls: the host given is sent as the server name (SNI), which the certificate is checked against', async () => {
    // A TLS server that records the name the client asks for and refuses the handshake: no certificate needed.
    const names: string[] = [];
    const tlsServer = tls.createServer({ SNICallback: (name, refuse) => (names.push(name), refuse(new Error('no certificate here'))) });
    await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
    try {
      const s = store({ tls: true, host: 'localhost', port: (tlsServer.address() as net.AddressInfo).port });
      expect(await within(5_000, outcome(s.get('genai:k')))).toBe('failed');
      // Without servername, Node.js sends no SNI at all.
      expect(names[0]).toBe('localhost');
    } finally {
      await new Promise((resolve) => tlsServer.close(resolve));
    }
  });

  test('cluster: speaks the cluster protocol, which a plain server refuses (as the user given)', async () => {
    // The user may not run CLUSTER: logged in, the refusal is NOPERM; as the default user, "cluster support disabled".
    await server.command('ACL', 'SETUSER', 'clustered', 'reset', 'on', '>right', '~*', '+@all', '-cluster');
    const errors: Error[] = [];
    // By the DNS name, as ElastiCache's certificate requires: the cluster connects to the name it was given.
    const s = store({ cluster: true, host: 'localhost', onConnectionError: (e) => errors.push(e) });
    expect(s.client.status).toBe('wait');
    expect(await within(5_000, outcome(s.get('genai:k')))).toBe('failed');
    const causes = (list: Error[]) => list.map((e) => `${e.message} ${String((e as { lastNodeError?: Error }).lastNodeError ?? '')}`).join('\n');
    expect(causes(errors)).toMatch(/cluster support disabled/);

    const loggedIn: Error[] = [];
    const w = store({ cluster: true, credentials: { username: 'clustered', password: async () => 'right' }, onConnectionError: (e) => loggedIn.push(e) });
    expect(await within(5_000, outcome(w.get('genai:k')))).toBe('failed');
    expect(causes(loggedIn)).toMatch(/NOPERM/);
  });

  test('cluster: the slot map must come within connectTimeoutMs (a paused server; a generous bound over 100 ms)', async () => {
    const s = store({ cluster: true, connectTimeoutMs: 100 });
    server.pause();
    try {
      expect(await within(600, outcome(s.get('genai:k')))).toBe('failed');
    } finally {
      server.resume();
    }
  });
});
