import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer, readBody } from './http';

/**
 * A loopback fake of the S3 object calls ingestion makes (HeadObject, PutObject, DeleteObject),
 * path-style (`/<bucket>/<key>`, each segment URI-encoded) as a client sends them to
 * `AWS_ENDPOINT_URL_S3`. Answers as S3 does: HEAD 200 or 404 without a body, PUT 200, DELETE 204,
 * errors as XML with a `<Code>`. Every request is recorded with its headers (signature included).
 */
export interface S3Request {
  readonly method: string;
  readonly bucket: string;
  readonly key: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

export class S3Fake {
  /** Objects by `<bucket>/<key>`. */
  readonly objects = new Map<string, string>();
  readonly requests: S3Request[] = [];
  /** Errors to answer, in turn, before the fake answers normally again. */
  readonly faults: { status: number; code: string }[] = [];
  /** Called on every request, before it is answered (tests record what else had happened by then). */
  onRequest: (req: S3Request) => void = () => undefined;

  private constructor(private readonly server: http.Server) {}

  static async start(): Promise<S3Fake> {
    const server = http.createServer();
    const fake = new S3Fake(server);
    server.on('request', (req, res) => void fake.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  reset(): void {
    this.objects.clear();
    this.requests.length = 0;
    this.faults.length = 0;
    this.onRequest = () => undefined;
  }

  stop(): Promise<void> {
    return closeServer(this.server);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const [, bucket = '', ...segments] = (req.url ?? '/').split('?')[0].split('/');
    const key = segments.map(decodeURIComponent).join('/');
    const body = await readBody(req);
    const request: S3Request = { method: req.method ?? '', bucket, key, headers: req.headers, body };
    this.requests.push(request);
    this.onRequest(request);
    const fault = this.faults.shift();
    if (fault) {
      res.writeHead(fault.status, { 'content-type': 'application/xml' });
      res.end(req.method === 'HEAD' ? undefined : `<?xml version="1.0"?><Error><Code>${fault.code}</Code><Message>fake</Message></Error>`);
      return;
    }
    const id = `${bucket}/${key}`;
    switch (req.method) {
      case 'HEAD':
        res.writeHead(this.objects.has(id) ? 200 : 404);
        res.end();
        return;
      case 'PUT':
        this.objects.set(id, body);
        res.writeHead(200, { etag: '"fake"' });
        res.end();
        return;
      case 'DELETE':
        this.objects.delete(id);
        res.writeHead(204);
        res.end();
        return;
      default:
        res.writeHead(405, { 'content-type': 'application/xml' });
        res.end('<Error><Code>MethodNotAllowed</Code></Error>');
    }
  }
}
