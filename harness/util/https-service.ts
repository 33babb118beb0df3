// A small HTTPS JSON service (the token service and the STS): listen on a host and port (0 = any free
// port), route every request to one handler, answer handler errors with a JSON 500, and stop by closing
// every connection.
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';

export function replyJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...headers });
  res.end(payload);
}

export interface HttpsServiceOptions {
  tls: { cert: string; key: string };
  host: string;
  port?: number;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** The JSON body of a 500 answer when the handler throws. */
  errorBody(err: Error): unknown;
}

export class HttpsService {
  private server?: https.Server;
  private boundPort = 0;
  private readonly opts: HttpsServiceOptions;

  constructor(opts: HttpsServiceOptions) {
    this.opts = opts;
  }

  get port(): number {
    return this.boundPort;
  }

  async start(): Promise<void> {
    const server = https.createServer({ cert: this.opts.tls.cert, key: this.opts.tls.key }, (req, res) => {
      this.opts.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) replyJson(res, 500, this.opts.errorBody(err as Error));
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port ?? 0, this.opts.host, () => resolve());
    });
    this.boundPort = (server.address() as { port: number }).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }
}
