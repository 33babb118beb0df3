// A TLS-terminating reverse proxy in front of one upstream (the registry, the token service or the
// STS). It records every request and injects faults: added latency, an error rate, failing the next N
// requests, and a full outage in which the port is closed, so clients get "connection refused" at once
// instead of a stalled connection.
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { decodeJwt } from 'jose';
import { classifyRegistryPath, type RequestKind, type RequestLog, type Target } from './records.ts';

export interface FaultSettings {
  /** Added to every request before it is forwarded. */
  latencyMs: number;
  /** Fraction (0..1) of requests answered with errorStatus instead of being forwarded. */
  errorRate: number;
  errorStatus: number;
}

export interface FaultProxyOptions {
  name: string;
  target: Target;
  listenHost: string;
  listenPort: number;
  tls: { cert: string; key: string };
  upstream: { host: string; port: number; servername: string; ca: string };
  log: RequestLog;
  /** Seed for the error-rate random draws, so a run can be replayed. */
  seed?: number;
}

/** mulberry32: a small seeded PRNG; reproducible error-rate draws. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function identityFromHeaders(req: IncomingMessage): string {
  const auth = req.headers.authorization ?? '';
  const [scheme, value] = auth.split(' ', 2);
  if (!scheme || !value) return 'anonymous';
  if (scheme.toLowerCase() === 'bearer') {
    try {
      const sub = decodeJwt(value).sub;
      return sub === undefined || sub === '' ? 'anonymous' : sub;
    } catch {
      return 'unparseable-token';
    }
  }
  if (scheme.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    return decoded.split(':', 1)[0] || 'anonymous';
  }
  if (scheme === 'AWS4-HMAC-SHA256') {
    // The access key id that signed (an identifier, not a secret).
    return /Credential=([A-Z0-9]{16,128})\//.exec(value)?.[1] ?? 'unparseable-signature';
  }
  return 'unknown-scheme';
}

function identityFromForm(body: Buffer): string | undefined {
  try {
    const form = new URLSearchParams(body.toString('utf8'));
    return form.get('username') ?? undefined;
  } catch {
    return undefined;
  }
}

/** The service account an STS exchange claims (unverified; for the request log only). */
function subjectFromExchangeForm(body: Buffer): string | undefined {
  try {
    const form = new URLSearchParams(body.toString('utf8'));
    // RFC 8693 (pullproof's STS) or AWS STS AssumeRoleWithWebIdentity.
    const token = form.get('subject_token') ?? form.get('WebIdentityToken');
    if (!token) return undefined;
    const sub = decodeJwt(token).sub ?? '';
    const m = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(sub);
    return m ? `${m[1]}/${m[2]}` : 'unparseable-token';
  } catch {
    return 'unparseable-token';
  }
}

/** The first repository named in a token request's scope (query string or POST form). */
export function scopeRepository(path: string, body?: Buffer): string | undefined {
  const scopes: string[] = [];
  const q = path.indexOf('?');
  if (q >= 0) scopes.push(...new URLSearchParams(path.slice(q + 1)).getAll('scope'));
  if (body?.length) {
    try {
      scopes.push(...new URLSearchParams(body.toString('utf8')).getAll('scope'));
    } catch { /* not a form */ }
  }
  for (const s of scopes.flatMap((x) => x.split(' '))) {
    const m = /^repository:(.+):[^:]+$/.exec(s);
    if (m?.[1]) return m[1];
  }
  return undefined;
}

export class FaultProxy {
  private server?: https.Server;
  private readonly sockets = new Set<Socket>();
  private readonly agent: https.Agent;
  private settings: FaultSettings = { latencyMs: 0, errorRate: 0, errorStatus: 503 };
  private failRemaining = 0;
  private failStatus = 503;
  private down = false;
  private readonly random: () => number;

  private readonly opts: FaultProxyOptions;

  constructor(opts: FaultProxyOptions) {
    this.opts = opts;
    this.agent = new https.Agent({ keepAlive: true, maxSockets: 64, ca: opts.upstream.ca, servername: opts.upstream.servername });
    this.random = prng(opts.seed ?? 0x5eed);
  }

  get url(): string {
    const host = this.opts.listenHost.includes(':') ? `[${this.opts.listenHost}]` : this.opts.listenHost;
    return `https://${host}:${this.opts.listenPort}`;
  }

  get port(): number {
    return this.opts.listenPort;
  }

  get isDown(): boolean {
    return this.down;
  }

  async start(): Promise<void> {
    const server = https.createServer({ cert: this.opts.tls.cert, key: this.opts.tls.key }, (req, res) => {
      void this.handle(req, res);
    });
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    server.on('tlsClientError', () => { /* a client that gives up mid-handshake is not our failure */ });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.listenPort, this.opts.listenHost, () => {
        server.off('error', reject);
        resolve();
      });
    });
    if (this.opts.listenPort === 0) this.opts.listenPort = (server.address() as { port: number }).port;
    this.server = server;
    this.down = false;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) {
      for (const s of this.sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    this.agent.destroy();
  }

  // ---- fault controls -------------------------------------------------------------------------
  setLatency(ms: number): void {
    this.settings.latencyMs = ms;
  }

  setErrorRate(rate: number, status = 503): void {
    if (rate < 0 || rate > 1) throw new RangeError(`errorRate must be within 0..1, got ${rate}`);
    this.settings.errorRate = rate;
    this.settings.errorStatus = status;
  }

  failNext(count: number, status = 503): void {
    this.failRemaining = count;
    this.failStatus = status;
  }

  /** Full outage: closes the listening port and every open connection (clients see ECONNREFUSED). */
  async outage(): Promise<void> {
    if (this.down || !this.server) return;
    const server = this.server;
    this.server = undefined;
    this.down = true;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async restore(): Promise<void> {
    if (!this.down) return;
    await this.start();
  }

  resetFaults(): void {
    this.settings = { latencyMs: 0, errorRate: 0, errorStatus: 503 };
    this.failRemaining = 0;
  }

  faults(): FaultSettings & { failNext: number; outage: boolean } {
    return { ...this.settings, failNext: this.failRemaining, outage: this.down };
  }

  // ---- request path ---------------------------------------------------------------------------
  private classify(path: string): { kind: RequestKind; repository?: string; reference?: string } {
    if (this.opts.target === 'registry') return classifyRegistryPath(path);
    if (this.opts.target === 'token') return { kind: 'token' };
    return { kind: 'exchange' };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const t0 = performance.now();
    const at = new Date().toISOString();
    const path = req.url ?? '/';
    const cls = this.classify(path);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    let identity = identityFromHeaders(req);
    if (identity === 'anonymous' && this.opts.target === 'token' && req.method === 'POST') {
      identity = identityFromForm(body) ?? 'anonymous';
    }
    if (identity === 'anonymous' && this.opts.target === 'sts' && req.method === 'POST') {
      identity = subjectFromExchangeForm(body) ?? 'anonymous';
    }
    if (this.opts.target === 'token') {
      // The repository a token is asked for (scope=repository:<name>:pull), so token requests can be
      // attributed to the scenario that owns the repository.
      const repository = scopeRepository(path, req.method === 'POST' ? body : undefined);
      if (repository) cls.repository = repository;
    }
    const scheme = (req.headers.authorization ?? '').split(' ', 1)[0]?.toLowerCase();
    const auth: 'none' | 'basic' | 'bearer' | 'form' = scheme === 'basic' ? 'basic' : scheme === 'bearer' ? 'bearer'
      : this.opts.target === 'token' && req.method === 'POST' && identity !== 'anonymous' ? 'form' : 'none';
    const finish = (status: number, fault?: string): void => {
      this.opts.log.add({
        target: this.opts.target, at, method: req.method ?? 'GET', path: path.split('?')[0] ?? path, ...cls,
        status, durationMs: performance.now() - t0, identity, auth, client: req.socket.remoteAddress,
        ...(fault ? { fault } : {}),
      });
    };

    let fault: string | undefined;
    if (this.settings.latencyMs > 0) {
      fault = `latency ${this.settings.latencyMs}ms`;
      await new Promise((r) => setTimeout(r, this.settings.latencyMs));
    }
    let injected: number | undefined;
    if (this.failRemaining > 0) {
      this.failRemaining--;
      injected = this.failStatus;
    } else if (this.settings.errorRate > 0 && this.random() < this.settings.errorRate) {
      injected = this.settings.errorStatus;
    }
    if (injected !== undefined) {
      const payload = JSON.stringify({ errors: [{ code: 'UNAVAILABLE', message: `injected by pullproof fault proxy ${this.opts.name}` }] });
      res.writeHead(injected, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
      res.end(payload);
      finish(injected, `status ${injected}${fault ? `, ${fault}` : ''}`);
      return;
    }

    const headers = { ...req.headers, 'x-forwarded-proto': 'https', 'x-forwarded-for': req.socket.remoteAddress ?? '' };
    delete headers['content-length'];
    if (body.length > 0) headers['content-length'] = String(body.length);
    const forward = (attempt: number): void => {
      let answered = false;
      const upstreamReq = https.request({
        host: this.opts.upstream.host, port: this.opts.upstream.port, method: req.method, path, headers,
        // A retry goes on a fresh connection, never on a pooled keep-alive socket.
        agent: attempt === 1 ? this.agent : false, ca: this.opts.upstream.ca,
        servername: this.opts.upstream.servername,
      }, (upstreamRes) => {
        answered = true;
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
        const note = attempt > 1 ? [fault, 'retried upstream on a fresh connection'].filter(Boolean).join(', ') : fault;
        upstreamRes.on('end', () => finish(upstreamRes.statusCode ?? 502, note));
        upstreamRes.on('error', () => finish(upstreamRes.statusCode ?? 502, note));
      });
      upstreamReq.on('error', (err: NodeJS.ErrnoException) => {
        // A pooled keep-alive socket the upstream server closed at the same moment (read ECONNRESET, EPIPE):
        // the request never reached it, so it is sent again once, on a fresh connection. The body is buffered.
        if (!answered && attempt === 1 && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) {
          forward(2);
          return;
        }
        if (!res.headersSent) {
          const payload = JSON.stringify({ errors: [{ code: 'UNAVAILABLE', message: `upstream ${this.opts.name}: ${err.message}` }] });
          res.writeHead(502, { 'content-type': 'application/json' });
          res.end(payload);
        } else {
          res.destroy();
        }
        finish(502, `upstream error: ${err.message}`);
      });
      upstreamReq.end(body);
    };
    forward(1);
  }
}
