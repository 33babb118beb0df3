// The STS as one unit: the STS on loopback, behind a fault proxy (target "sts") on the run network's
// gateway address, so nodes and the host reach it at https://<gateway>:9443 (or a free port), with
// TLS from the run's CA. Faults: the proxy's latency, error rate, fail-next-N and outage, plus the
// STS's own clock skew. Requests land in the same RequestLog as the registry's.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CertificateAuthority } from '../pki/authority.ts';
import { FaultProxy } from '../proxy/fault-proxy.ts';
import type { RequestLog } from '../proxy/records.ts';
import { listenProxy } from '../registry/stack.ts';
import { redact } from '../util/secrets.ts';
import type { JwksSource } from './jwks.ts';
import { StsPolicy, type PolicyRule } from './policy.ts';
import { StsServer, type CredentialIssuer } from './sts.ts';

export const STS_HOSTNAME = 'sts.pullproof.test';
export const PREFERRED_STS_PORT = 9443;
export const DEFAULT_STS_AUDIENCE = 'sts.pullproof.test';

export interface StsStackOptions {
  ca: CertificateAuthority;
  log: RequestLog;
  tokens: CredentialIssuer;
  jwks: JwksSource;
  issuer: string;
  audience?: string;
  rules?: PolicyRule[];
  /** Where the proxy listens: the run network's gateway (reachable from containers) or 127.0.0.1. */
  listenHost: string;
  /** Preferred proxy port (falls back to a free one). Default 9443. */
  port?: number;
  credentialTtlSeconds?: number;
  leewaySeconds?: number;
}

export class StsStack {
  readonly sts: StsServer;
  readonly proxy: FaultProxy;
  readonly ca: CertificateAuthority;

  private constructor(sts: StsServer, proxy: FaultProxy, ca: CertificateAuthority) {
    this.sts = sts;
    this.proxy = proxy;
    this.ca = ca;
  }

  /** Base URL, e.g. https://172.29.1.1:9443 */
  get url(): string {
    return this.proxy.url;
  }

  /** The token-exchange endpoint the plugin calls. */
  get tokenUrl(): string {
    return `${this.proxy.url}/token`;
  }

  get policy(): StsPolicy {
    return this.sts.policy;
  }

  static async start(o: StsStackOptions, onStop: (name: string, fn: () => Promise<void>) => void): Promise<StsStack> {
    const [inner, outer] = await Promise.all([
      o.ca.issue({ commonName: 'sts', hosts: ['127.0.0.1', 'localhost'], purpose: 'server' }),
      o.ca.issue({ commonName: STS_HOSTNAME, hosts: [o.listenHost, STS_HOSTNAME, 'localhost'], purpose: 'server' }),
    ]);
    const sts = new StsServer({
      tokens: o.tokens, jwks: o.jwks, issuer: o.issuer, audience: o.audience ?? DEFAULT_STS_AUDIENCE,
      policy: new StsPolicy(o.rules), tls: { cert: inner.certPem, key: inner.keyPem }, listenHost: '127.0.0.1',
      credentialTtlSeconds: o.credentialTtlSeconds, leewaySeconds: o.leewaySeconds,
    });
    await sts.start();
    onStop('sts', () => sts.stop());
    const proxy = await listenProxy((port) => new FaultProxy({
      name: 'sts', target: 'sts', listenHost: o.listenHost, listenPort: port, log: o.log,
      tls: { cert: outer.certPem, key: outer.keyPem },
      upstream: { host: '127.0.0.1', port: sts.listenPort, servername: 'localhost', ca: o.ca.certPem },
    }), o.port ?? PREFERRED_STS_PORT);
    onStop('sts proxy', () => proxy.stop());
    return new StsStack(sts, proxy, o.ca);
  }

  /** Writes the exchange records (redacted) next to the request log. */
  exportLogs(dir: string): void {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'sts-exchanges.jsonl'), redact(this.sts.exchanges.map((e) => JSON.stringify(e)).join('\n') + '\n'));
  }
}
