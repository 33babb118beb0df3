// A small OCI distribution client with the Docker token flow: request, 401 challenge, token from the
// realm (GET with Basic auth, as every registry client supports), retry with the bearer token.
// Used to push fixture images and to probe the registry the way a node would.
import https from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import type { BuiltImage, Blob } from '../image/oci.ts';
import { MEDIA } from '../image/oci.ts';
import { HarnessError } from '../errors.ts';

export interface ClientOptions {
  /** Where to connect, e.g. https://172.29.1.1:5443 (the registry's fault proxy). */
  endpoint: string;
  /** TLS server name to verify (a SAN of the proxy's certificate). */
  servername?: string;
  ca: string;
  credentials?: { username: string; password: string };
}

export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface Challenge {
  realm: string;
  service: string;
  scope?: string;
}

export function parseChallenge(header: string | undefined): Challenge | undefined {
  if (!header || !/^bearer /i.test(header)) return undefined;
  const params: Record<string, string> = {};
  for (const m of header.slice(7).matchAll(/(\w+)="([^"]*)"/g)) params[m[1] as string] = m[2] as string;
  if (!params.realm) return undefined;
  return { realm: params.realm, service: params.service ?? '', scope: params.scope };
}

export class RegistryClient {
  private readonly agent: https.Agent;
  private readonly tokens = new Map<string, string>();

  private readonly opts: ClientOptions;

  constructor(opts: ClientOptions) {
    this.opts = opts;
    this.agent = new https.Agent({ keepAlive: true, ca: opts.ca, servername: opts.servername, maxSockets: 16 });
  }

  close(): void {
    this.agent.destroy();
  }

  /**
   * One plain HTTPS request, no auth flow. A request sent on a reused keep-alive socket that the server
   * closed at the same moment fails with ECONNRESET or "socket hang up" before any answer; it is sent
   * once more on a fresh socket (Node's documented remedy; every request here is safe to repeat: HEAD,
   * GET, starting an upload, a PUT of content by digest). Seen while mirroring node images on a loaded host.
   */
  async request(url: string, init: { method?: string; headers?: Record<string, string>; body?: Buffer } = {}): Promise<HttpResult> {
    try {
      return await this.requestOnce(url, init);
    } catch (err) {
      if (!(err as { reusedSocket?: boolean }).reusedSocket) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ECONNRESET' && (err as Error).message !== 'socket hang up') throw err;
      return this.requestOnce(url, init);
    }
  }

  private requestOnce(url: string, init: { method?: string; headers?: Record<string, string>; body?: Buffer }): Promise<HttpResult> {
    return new Promise((resolve, reject) => {
      const req = https.request(url, { method: init.method ?? 'GET', headers: init.headers, agent: this.agent, servername: this.opts.servername, timeout: 30_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`request to ${url} timed out`)));
      req.on('error', (err) => reject(Object.assign(err, { reusedSocket: req.reusedSocket })));
      req.end(init.body);
    });
  }

  /** Fetches a token from the realm of a challenge (GET with Basic auth, or anonymous). */
  async fetchToken(challenge: Challenge, scope?: string): Promise<{ status: number; token?: string }> {
    const url = new URL(challenge.realm);
    url.searchParams.set('service', challenge.service);
    const s = scope ?? challenge.scope;
    if (s) url.searchParams.set('scope', s);
    const headers: Record<string, string> = {};
    if (this.opts.credentials) {
      headers.authorization = `Basic ${Buffer.from(`${this.opts.credentials.username}:${this.opts.credentials.password}`).toString('base64')}`;
    }
    const res = await this.request(url.toString(), { headers });
    if (res.status !== 200) return { status: res.status };
    const body = JSON.parse(res.body.toString('utf8')) as { token?: string; access_token?: string };
    return { status: 200, token: body.token ?? body.access_token };
  }

  /** A registry request with the token flow; `scope` is what the token is requested for. */
  async call(method: string, path: string, scope: string, init: { headers?: Record<string, string>; body?: Buffer } = {}): Promise<HttpResult> {
    const url = path.startsWith('https://') ? path : `${this.opts.endpoint}${path}`;
    const cached = this.tokens.get(scope);
    const withToken = (t?: string): Record<string, string> => ({ ...init.headers, ...(t ? { authorization: `Bearer ${t}` } : {}) });
    let res = await this.request(url, { method, headers: withToken(cached), body: init.body });
    if (res.status !== 401) return res;
    const challenge = parseChallenge(res.headers['www-authenticate'] as string | undefined);
    if (!challenge) return res;
    const token = await this.fetchToken(challenge, scope);
    if (!token.token) return res;
    this.tokens.set(scope, token.token);
    res = await this.request(url, { method, headers: withToken(token.token), body: init.body });
    return res;
  }

  headManifest(repository: string, reference: string): Promise<HttpResult> {
    return this.call('HEAD', `/v2/${repository}/manifests/${reference}`, `repository:${repository}:pull`, {
      headers: { accept: [MEDIA.manifest, MEDIA.index, MEDIA.dockerManifest, MEDIA.dockerManifestList].join(', ') },
    });
  }

  getManifest(repository: string, reference: string): Promise<HttpResult> {
    return this.call('GET', `/v2/${repository}/manifests/${reference}`, `repository:${repository}:pull`, {
      headers: { accept: [MEDIA.manifest, MEDIA.index, MEDIA.dockerManifest, MEDIA.dockerManifestList].join(', ') },
    });
  }

  getBlob(repository: string, digest: string): Promise<HttpResult> {
    return this.call('GET', `/v2/${repository}/blobs/${digest}`, `repository:${repository}:pull`);
  }

  /** Pulls manifest, config and layers the way a runtime does; returns the manifest digest. */
  async pull(repository: string, reference: string): Promise<{ status: number; digest?: string }> {
    const m = await this.getManifest(repository, reference);
    if (m.status !== 200) return { status: m.status };
    const manifest = JSON.parse(m.body.toString('utf8')) as { config: { digest: string }; layers: { digest: string }[] };
    for (const d of [manifest.config.digest, ...manifest.layers.map((l) => l.digest)]) {
      const b = await this.getBlob(repository, d);
      if (b.status !== 200) return { status: b.status };
    }
    return { status: 200, digest: m.headers['docker-content-digest'] as string | undefined };
  }

  async pushBlob(repository: string, b: Blob): Promise<void> {
    const scope = `repository:${repository}:pull,push`;
    const head = await this.call('HEAD', `/v2/${repository}/blobs/${b.digest}`, scope);
    if (head.status === 200) return;
    const start = await this.call('POST', `/v2/${repository}/blobs/uploads/`, scope, { headers: { 'content-length': '0' } });
    if (start.status !== 202) throw new HarnessError(`push of ${repository}: starting a blob upload answered ${start.status}`, start.body.toString('utf8').slice(0, 300));
    const location = new URL(start.headers.location as string, this.opts.endpoint);
    location.searchParams.set('digest', b.digest);
    const put = await this.call('PUT', location.toString(), scope, {
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(b.size) }, body: b.data,
    });
    if (put.status !== 201) throw new HarnessError(`push of ${repository}: blob ${b.digest} answered ${put.status}`, put.body.toString('utf8').slice(0, 300));
  }

  /** Puts a manifest (or index) whose blobs are already in the repository. */
  async putManifest(repository: string, reference: string, mediaType: string, data: Buffer): Promise<void> {
    const res = await this.call('PUT', `/v2/${repository}/manifests/${reference}`, `repository:${repository}:pull,push`, {
      headers: { 'content-type': mediaType }, body: data,
    });
    if (res.status !== 201) throw new HarnessError(`push of ${repository}:${reference}: manifest answered ${res.status}`, res.body.toString('utf8').slice(0, 300));
  }

  /** Pushes an image under a tag; returns the manifest digest. */
  async push(repository: string, tag: string, image: BuiltImage): Promise<string> {
    for (const b of [...image.layers, image.config]) await this.pushBlob(repository, b);
    const res = await this.call('PUT', `/v2/${repository}/manifests/${tag}`, `repository:${repository}:pull,push`, {
      headers: { 'content-type': image.manifest.mediaType }, body: image.manifest.data,
    });
    if (res.status !== 201) throw new HarnessError(`push of ${repository}:${tag}: manifest answered ${res.status}`, res.body.toString('utf8').slice(0, 300));
    return image.manifest.digest;
  }
}
