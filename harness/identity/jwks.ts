// Where the STS gets the keys that verify service-account tokens. Without a cluster: a test issuer's
// JWKS. With a cluster: the API server's /openid/v1/jwks, fetched through the admin kubeconfig (an
// anonymous client cannot read it, and the issuer URL is not reachable from outside the cluster).
// Keys are cached; a token whose kid is unknown triggers one refresh (rate-limited), so a key
// rotation on the API server is picked up without restarting the STS.
import https from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import { createLocalJWKSet, errors as joseErrors, type JSONWebKeySet, type JWSHeaderParameters, type FlattenedJWSInput } from 'jose';

export interface JwksSource {
  /** For logs and reports, e.g. "test issuer" or "API server https://172.29.1.2:6443". */
  describe: string;
  load(): Promise<JSONWebKeySet>;
}

export function staticJwks(jwks: JSONWebKeySet | (() => JSONWebKeySet), describe = 'test issuer'): JwksSource {
  return { describe, load: async () => (typeof jwks === 'function' ? jwks() : jwks) };
}

// The API server serves /openid/v1/jwks only as application/jwk-set+json (406 for application/json)
// and the discovery document as application/json.
function getJson(url: string, options: https.RequestOptions, accept = 'application/json'): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { ...options, method: 'GET', headers: { ...options.headers, accept }, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) {
          reject(new Error(`GET ${url} answered ${res.statusCode}: ${body.slice(0, 200)}`));
          return;
        }
        try {
          resolve(JSON.parse(body));
        } catch {
          reject(new Error(`GET ${url} did not return JSON`));
        }
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out after 10s`)));
    req.on('error', reject);
    req.end();
  });
}

/** The API server's service-account JWKS through a kubeconfig (client certificate or bearer token). */
export function apiServerJwks(kubeconfig: string | KubeConfig): JwksSource {
  const kc = typeof kubeconfig === 'string' ? (() => {
    const k = new KubeConfig();
    k.loadFromFile(kubeconfig);
    return k;
  })() : kubeconfig;
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  const server = cluster.server.replace(/\/$/, '');
  const fetchPath = async (path: string, accept: string): Promise<unknown> => {
    const opts: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(opts);
    return getJson(`${server}${path}`, opts, accept);
  };
  return {
    describe: `API server ${server}`,
    load: async () => {
      const body = await fetchPath('/openid/v1/jwks', 'application/jwk-set+json, application/json');
      if (!body || typeof body !== 'object' || !Array.isArray((body as { keys?: unknown }).keys)) {
        throw new Error(`${server}/openid/v1/jwks did not return a JWKS ({"keys": [...]})`);
      }
      return body as JSONWebKeySet;
    },
  };
}

/** The API server's issuer (from /.well-known/openid-configuration, through the same kubeconfig). */
export async function apiServerIssuer(kubeconfig: string): Promise<string> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  const opts: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(opts);
  const doc = (await getJson(`${cluster.server.replace(/\/$/, '')}/.well-known/openid-configuration`, opts)) as { issuer?: string };
  if (!doc.issuer) throw new Error('the API server\'s openid-configuration has no issuer');
  return doc.issuer;
}

export interface JwksCacheOptions {
  /** A refresh on an unknown kid happens at most this often. */
  minRefreshIntervalMs?: number;
}

/** Cached keys with refresh-on-unknown-kid; `resolve` is a jose key resolver for jwtVerify. */
export class JwksCache {
  private current?: ReturnType<typeof createLocalJWKSet>;
  private lastLoad = 0;
  private loading?: Promise<void>;
  refreshes = 0;
  readonly source: JwksSource;
  private readonly minRefreshIntervalMs: number;

  constructor(source: JwksSource, o: JwksCacheOptions = {}) {
    this.source = source;
    this.minRefreshIntervalMs = o.minRefreshIntervalMs ?? 10_000;
  }

  async refresh(): Promise<void> {
    this.loading ??= (async () => {
      try {
        const jwks = await this.source.load();
        this.current = createLocalJWKSet(jwks);
        this.lastLoad = Date.now();
        this.refreshes++;
      } finally {
        this.loading = undefined;
      }
    })();
    await this.loading;
  }

  readonly resolve = async (header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey> => {
    if (!this.current) await this.refresh();
    try {
      return await (this.current as ReturnType<typeof createLocalJWKSet>)(header, token);
    } catch (err) {
      if (!(err instanceof joseErrors.JWKSNoMatchingKey) || Date.now() - this.lastLoad < this.minRefreshIntervalMs) throw err;
      await this.refresh();
      return (this.current as ReturnType<typeof createLocalJWKSet>)(header, token);
    }
  };
}
