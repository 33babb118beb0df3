// The harness registry as one unit: the token service and the distribution registry, each behind its
// own fault proxy on the run network's gateway address (reachable from the host and from every
// container on that network), all with TLS from the run's CA. Every request through either proxy is
// recorded in one RequestLog.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CertificateAuthority } from '../pki/authority.ts';
import { FaultProxy } from '../proxy/fault-proxy.ts';
import { RequestLog } from '../proxy/records.ts';
import type { RunNetwork } from '../host/network.ts';
import { redact } from '../util/secrets.ts';
import { ensureRegistryImage } from './image.ts';
import { RegistryClient } from './client.ts';
import { startRegistry, type RunningRegistry } from './server.ts';
import { TokenService, type Credential } from './token-service.ts';

/** The name image references use for the harness registry; nodes map it to the proxy (hosts.toml). */
export const REGISTRY_HOSTNAME = 'registry.pullproof.test';
export const TOKEN_HOSTNAME = 'auth.pullproof.test';
export const REGISTRY_SERVICE = 'pullproof-registry';
export const TOKEN_ISSUER = 'pullproof-token-service';
const PREFERRED_REGISTRY_PORT = 5443;
const PREFERRED_TOKEN_PORT = 8443;

export interface Tenant {
  name: string;
  credential: Credential;
  repositories: string[];
}

export interface RegistryStackOptions {
  network: RunNetwork;
  ca?: CertificateAuthority;
  log?: RequestLog;
  /** Seconds a token is valid. */
  tokenTtlSeconds?: number;
  /** An official registry image (e.g. registry:3) instead of the one built from source; online hosts only. */
  image?: string;
}

export interface StartTimings {
  imageSeconds: number;
  startSeconds: number;
}

/** Starts a fault proxy on its preferred port, or on a free one when that is taken. */
export async function listenProxy(make: (port: number) => FaultProxy, preferred: number): Promise<FaultProxy> {
  const p = make(preferred);
  try {
    await p.start();
    return p;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    const fallback = make(0);
    await fallback.start();
    return fallback;
  }
}

export class RegistryStack {
  readonly tenants = new Map<string, Tenant>();
  admin!: Credential;
  timings: StartTimings = { imageSeconds: 0, startSeconds: 0 };

  readonly network: RunNetwork;
  readonly ca: CertificateAuthority;
  readonly log: RequestLog;
  readonly tokens: TokenService;
  readonly tokenProxy: FaultProxy;
  readonly registry: RunningRegistry;
  readonly proxy: FaultProxy;

  private constructor(parts: {
    network: RunNetwork; ca: CertificateAuthority; log: RequestLog; tokens: TokenService;
    tokenProxy: FaultProxy; registry: RunningRegistry; proxy: FaultProxy;
  }) {
    this.network = parts.network;
    this.ca = parts.ca;
    this.log = parts.log;
    this.tokens = parts.tokens;
    this.tokenProxy = parts.tokenProxy;
    this.registry = parts.registry;
    this.proxy = parts.proxy;
  }

  /** host[:port] to use in image references, e.g. registry.pullproof.test:5443 */
  get host(): string {
    return `${REGISTRY_HOSTNAME}:${this.proxy.port}`;
  }

  /** Where the registry is reached (the proxy on the gateway address). */
  get endpoint(): string {
    return this.proxy.url;
  }

  get realm(): string {
    return `${this.tokenProxy.url}/token`;
  }

  static async start(o: RegistryStackOptions, onStop: (name: string, fn: () => Promise<void>) => void): Promise<RegistryStack> {
    const t0 = performance.now();
    const image = o.image ?? (await ensureRegistryImage());
    const t1 = performance.now();
    const ca = o.ca ?? (await CertificateAuthority.create(`pullproof run ${o.network.runId}`));
    const log = o.log ?? new RequestLog();
    const gw = o.network.gateway;
    const registryName = `pullproof-${o.network.runId}-registry`;
    const [signer, tokenTls, proxyTls, registryTls] = await Promise.all([
      ca.issue({ commonName: 'pullproof token signer', purpose: 'signing' }),
      ca.issue({ commonName: 'token-service', hosts: ['127.0.0.1', 'localhost'], purpose: 'server' }),
      ca.issue({ commonName: REGISTRY_HOSTNAME, hosts: [gw, REGISTRY_HOSTNAME, TOKEN_HOSTNAME], purpose: 'server' }),
      ca.issue({ commonName: registryName, hosts: [registryName], purpose: 'server' }),
    ]);

    const tokens = new TokenService({
      signer, issuer: TOKEN_ISSUER, service: REGISTRY_SERVICE, listenHost: '127.0.0.1',
      tls: { cert: tokenTls.certPem, key: tokenTls.keyPem }, tokenTtlSeconds: o.tokenTtlSeconds,
    });
    await tokens.start();
    onStop('token service', () => tokens.stop());
    const tokenProxy = await listenProxy((port) => new FaultProxy({
      name: 'token', target: 'token', listenHost: gw, listenPort: port, log,
      tls: { cert: proxyTls.certPem, key: proxyTls.keyPem },
      upstream: { host: '127.0.0.1', port: tokens.listenPort, servername: 'localhost', ca: ca.certPem },
    }), PREFERRED_TOKEN_PORT);
    onStop('token proxy', () => tokenProxy.stop());

    const registry = await startRegistry({
      image, network: o.network, name: registryName,
      tls: { cert: registryTls.certPem, key: registryTls.keyPem },
      tokenRootBundle: ca.certPem,
      realm: `${tokenProxy.url}/token`, service: REGISTRY_SERVICE, issuer: TOKEN_ISSUER,
    });
    onStop('registry container', () => registry.stop());
    const proxy = await listenProxy((port) => new FaultProxy({
      name: 'registry', target: 'registry', listenHost: gw, listenPort: port, log,
      tls: { cert: proxyTls.certPem, key: proxyTls.keyPem },
      upstream: { host: registry.ip, port: registry.port, servername: registryName, ca: ca.certPem },
    }), PREFERRED_REGISTRY_PORT);
    onStop('registry proxy', () => proxy.stop());

    const stack = new RegistryStack({ network: o.network, ca, log, tokens, tokenProxy, registry, proxy });
    stack.admin = tokens.addUser('pullproof-admin', { repositories: ['*'], actions: ['*'], origin: 'admin' });
    stack.timings = { imageSeconds: (t1 - t0) / 1000, startSeconds: (performance.now() - t1) / 1000 };
    return stack;
  }

  /** A tenant: a static user allowed only its own repositories (`<name>/*`). */
  addTenant(name: string, repositories: string[] = [`${name}/*`]): Tenant {
    const tenant = { name, repositories, credential: this.tokens.addUser(name, { repositories, origin: 'static' }) };
    this.tenants.set(name, tenant);
    return tenant;
  }

  tenant(name: string): Credential {
    const t = this.tenants.get(name);
    if (!t) throw new Error(`no tenant ${name}; tenants: ${[...this.tenants.keys()].join(', ')}`);
    return t.credential;
  }

  /** Standard cast: tenant-a, tenant-b, a user with no access at all, and anonymous pull for public/* and mirror/*. */
  addStandardTenants(): void {
    this.addTenant('tenant-a');
    this.addTenant('tenant-b');
    this.addTenant('no-access', []);
    this.tokens.addPublicRepositories('public/*', 'mirror/*');
  }

  client(credential?: Credential): RegistryClient {
    return new RegistryClient({ endpoint: this.endpoint, ca: this.ca.certPem, servername: REGISTRY_HOSTNAME, credentials: credential });
  }

  /** Writes the request records, token decisions and the registry's own log (all redacted) to dir. */
  async exportLogs(dir: string): Promise<void> {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'requests.jsonl'), redact(this.log.toJsonLines()));
    writeFileSync(join(dir, 'token-decisions.jsonl'), redact(this.tokens.decisions.map((d) => JSON.stringify(d)).join('\n') + '\n'));
    writeFileSync(join(dir, 'registry.log'), redact(await this.registry.logs()));
  }
}
