import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * A real Redis-compatible server (Debian's `redis-server`) on a free loopback port, for the cache
 * tests and bench. A missing binary is an error, never a skip: CI installs it (`apt-get install
 * redis-server`), and a cache test that silently did not run would protect nothing.
 */
export interface RedisServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly url: string;
  /** Sends one command (RESP) on a fresh connection and returns the raw reply text. */
  command(...args: string[]): Promise<string>;
  /** SIGSTOP: the server keeps its connections open but answers nothing (a "slow" server). */
  pause(): void;
  /** SIGCONT after `pause()`. */
  resume(): void;
  /** SIGKILL, as a crash: no clean shutdown, connections reset. Resolves when the process is gone. */
  kill(): Promise<void>;
  /** Starts the server again on the same port (after `kill()` or `stop()`). */
  restart(): Promise<void>;
  /** SIGTERM and wait; safe to call twice. */
  stop(): Promise<void>;
}

export interface RedisServerOptions {
  /** Run in cluster mode with one node holding all 16384 slots (CROSSSLOT checks apply). @default false */
  readonly cluster?: boolean;
  /** @default REDIS_SERVER_BIN or `redis-server` on PATH */
  readonly binary?: string;
  /** More server arguments, e.g. `['--user', 'app', 'on', '>secret', '~genai:*', '+@all']`. @default none */
  readonly extraArgs?: readonly string[];
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const binary = options.binary ?? process.env.REDIS_SERVER_BIN ?? 'redis-server';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'genai-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;

  const launch = async () => {
    const args = [
      '--bind',
      '127.0.0.1',
      '--port',
      String(port),
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
      '--dir',
      dir,
      '--loglevel',
      'warning',
    ];
    // A lone node does not know its own address (CLUSTER SLOTS would name an empty host): announce it.
    if (options.cluster) args.push('--cluster-enabled', 'yes', '--cluster-config-file', path.join(dir, 'nodes.conf'), '--cluster-announce-ip', '127.0.0.1');
    args.push(...(options.extraArgs ?? []));
    const proc = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    running.add(proc);
    let stderr = '';
    proc.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<never>((_, reject) => {
      proc.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          error.code === 'ENOENT'
            ? new Error(
                `redis-server not found (tried "${binary}"). ` +
                  'The cache tests need a real server: install it (apt-get install redis-server) or set REDIS_SERVER_BIN.',
              )
            : error,
        ),
      );
      proc.once('exit', (code, signal) => reject(new Error(`redis-server exited during start (code ${code}, signal ${signal}): ${stderr.trim()}`)));
    });
    proc.once('exit', () => running.delete(proc));
    await Promise.race([exited, waitForPong(port, 10_000)]);
    if (options.cluster) {
      // A fresh node keeps its slots in nodes.conf across restarts; add them only once.
      const info = await send(port, ['CLUSTER', 'INFO']);
      if (!info.includes('cluster_slots_assigned:16384')) await send(port, ['CLUSTER', 'ADDSLOTSRANGE', '0', '16383']);
      const deadline = Date.now() + 10_000;
      while (!(await send(port, ['CLUSTER', 'INFO'])).includes('cluster_state:ok')) {
        if (Date.now() > deadline) throw new Error('single-node cluster did not reach cluster_state:ok');
        await sleep(50);
      }
    }
  };

  const waitExit = (proc: ChildProcess | undefined) =>
    new Promise<void>((resolve) => {
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return resolve();
      proc.once('exit', () => resolve());
    });

  await launch();
  return {
    host: '127.0.0.1',
    port,
    url: `redis://127.0.0.1:${port}`,
    command: (...args) => send(port, args),
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    async kill() {
      const proc = child;
      proc?.kill('SIGKILL');
      await waitExit(proc);
    },
    async restart() {
      await waitExit(child);
      await launch();
    },
    async stop() {
      const proc = child;
      if (proc && proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGCONT'); // a paused server cannot act on SIGTERM
        proc.kill('SIGTERM');
      }
      await waitExit(proc);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPong(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await send(port, ['PING'])).startsWith('+PONG')) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** One RESP command on a fresh connection; the reply as text once the server stops sending (simple replies only). */
function send(port: number, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection({ host: '127.0.0.1', port });
    let reply = '';
    socket.setTimeout(2_000, () => socket.destroy(new Error(`no reply from redis-server on port ${port}`)));
    socket.once('error', reject);
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (complete(reply)) {
        socket.end();
        resolve(reply);
      }
    });
    socket.once('connect', () => socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`));
  });
}

/** A whole simple reply: status, error, integer, or one bulk string. */
function complete(reply: string): boolean {
  if (!reply.endsWith('\r\n')) return false;
  if (reply[0] !== '$') return true;
  const header = reply.indexOf('\r\n');
  const length = Number(reply.slice(1, header));
  return length < 0 || Buffer.byteLength(reply) >= header + 2 + length + 2;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
