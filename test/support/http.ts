import type * as http from 'node:http';

/** A request's whole body as UTF-8 text (the loopback fakes and servers of the tests). */
export async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Closes `server` now: open keep-alive connections too, so a test's teardown never waits on them. */
export async function closeServer(server: http.Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
