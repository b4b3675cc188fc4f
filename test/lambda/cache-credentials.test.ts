import { ValkeyCacheStore } from '../../lambda/shared/cache';
import { type RedisServer, startRedisServer } from '../support/redis-server';

/** IAM-style login against a real server: an ACL user whose password is fetched per connection. */
let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer({ extraArgs: ['--user', 'app', 'on', '>token-1', '~genai:*', '+@all'] });
});
afterAll(() => server.stop());

test('logs in as the user with a freshly fetched password, and may use only its keys', async () => {
  let fetched = 0;
  const store = new ValkeyCacheStore({ host: server.host, port: server.port, credentials: { username: 'app', password: async () => (fetched++, 'token-1') } });
  try {
    await store.set('genai:exact:x', 'answer', 60);
    expect(await store.get('genai:exact:x')).toBe('answer');
    expect(fetched).toBe(1);
    await expect(store.get('other:key')).rejects.toThrow(/NOPERM/);
  } finally {
    store.disconnect();
  }
});

test('a wrong or expired token fails the connection, which the cache layer treats as down', async () => {
  const errors: Error[] = [];
  const store = new ValkeyCacheStore({
    host: server.host,
    port: server.port,
    credentials: { username: 'app', password: async () => 'expired' },
    onConnectionError: (e) => errors.push(e),
  });
  try {
    await expect(store.get('genai:exact:x')).rejects.toThrow();
    expect(errors.map(String).join('\n')).toMatch(/WRONGPASS|invalid username-password/);
  } finally {
    store.disconnect();
  }
});
