// The AWS emulation as one unit: one HTTPS server on loopback that answers STS and ECR, behind two
// fault proxies (target "sts", named aws-sts and aws-ecr) on the run network's gateway address (or
// 127.0.0.1), with TLS from the run's CA, so faults can hit one API and not the other and every
// request lands in the run's RequestLog. `pluginEnv` is what ecr-credential-provider needs to talk to
// it and to nothing else.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CertificateAuthority } from '../../pki/authority.ts';
import { FaultProxy } from '../../proxy/fault-proxy.ts';
import type { RequestLog } from '../../proxy/records.ts';
import { listenProxy } from '../../registry/stack.ts';
import { redact } from '../../util/secrets.ts';
import type { JwksSource } from '../jwks.ts';
import type { CredentialIssuer } from '../sts.ts';
import { AwsEmulator, type AwsRole } from './server.ts';

export const AWS_HOSTNAME = 'aws.pullproof.test';
export const PREFERRED_AWS_STS_PORT = 9444;
export const PREFERRED_AWS_ECR_PORT = 9445;

export interface AwsStackOptions {
  ca: CertificateAuthority;
  log: RequestLog;
  tokens: CredentialIssuer;
  jwks: JwksSource;
  issuer: string;
  audience?: string;
  roles?: AwsRole[];
  /** Where the proxies listen: the run network's gateway (reachable from nodes) or 127.0.0.1. */
  listenHost: string;
  /** Preferred proxy ports (fall back to free ones); 0 for any. */
  stsPort?: number;
  ecrPort?: number;
  sessionTtlSeconds?: number;
  ecrTokenTtlSeconds?: number;
}

export interface PluginEnvOptions {
  /** Path of the run's CA as the plugin sees it (on the host, or in the node). */
  caFile: string;
  /** AWS_REGION for calls whose region the image host does not give. Default us-east-1. */
  region?: string;
}

export class AwsStack {
  readonly aws: AwsEmulator;
  readonly stsProxy: FaultProxy;
  readonly ecrProxy: FaultProxy;

  private constructor(aws: AwsEmulator, stsProxy: FaultProxy, ecrProxy: FaultProxy) {
    this.aws = aws;
    this.stsProxy = stsProxy;
    this.ecrProxy = ecrProxy;
  }

  get stsUrl(): string {
    return this.stsProxy.url;
  }

  get ecrUrl(): string {
    return this.ecrProxy.url;
  }

  static async start(o: AwsStackOptions, onStop: (name: string, fn: () => Promise<void>) => void): Promise<AwsStack> {
    const [inner, outer] = await Promise.all([
      o.ca.issue({ commonName: 'aws emulation', hosts: ['127.0.0.1', 'localhost'], purpose: 'server' }),
      o.ca.issue({ commonName: AWS_HOSTNAME, hosts: [o.listenHost, AWS_HOSTNAME, 'localhost'], purpose: 'server' }),
    ]);
    const aws = new AwsEmulator({
      tokens: o.tokens, jwks: o.jwks, issuer: o.issuer, audience: o.audience, roles: o.roles,
      tls: { cert: inner.certPem, key: inner.keyPem }, listenHost: '127.0.0.1',
      sessionTtlSeconds: o.sessionTtlSeconds, ecrTokenTtlSeconds: o.ecrTokenTtlSeconds,
    });
    await aws.start();
    onStop('aws emulation', () => aws.stop());
    const proxy = (name: string) => (port: number) => new FaultProxy({
      name, target: 'sts', listenHost: o.listenHost, listenPort: port, log: o.log,
      tls: { cert: outer.certPem, key: outer.keyPem },
      upstream: { host: '127.0.0.1', port: aws.listenPort, servername: 'localhost', ca: o.ca.certPem },
    });
    const stsProxy = await listenProxy(proxy('aws-sts'), o.stsPort ?? PREFERRED_AWS_STS_PORT);
    onStop('aws sts proxy', () => stsProxy.stop());
    const ecrProxy = await listenProxy(proxy('aws-ecr'), o.ecrPort ?? PREFERRED_AWS_ECR_PORT);
    onStop('aws ecr proxy', () => ecrProxy.stop());
    return new AwsStack(aws, stsProxy, ecrProxy);
  }

  /**
   * The environment ecr-credential-provider needs (set in the provider config's `env`): the SDK's
   * per-service endpoint overrides, the CA bundle, a region, and IMDS off, so without a role
   * annotation it fails at once instead of knocking on 169.254.169.254.
   */
  pluginEnv(o: PluginEnvOptions): Record<string, string> {
    return {
      AWS_ENDPOINT_URL_STS: this.stsUrl,
      AWS_ENDPOINT_URL_ECR: this.ecrUrl,
      AWS_CA_BUNDLE: o.caFile,
      AWS_REGION: o.region ?? 'us-east-1',
      AWS_EC2_METADATA_DISABLED: 'true',
    };
  }

  /** Writes the exchange records (redacted) next to the request log. */
  exportLogs(dir: string): void {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'aws-exchanges.jsonl'), redact(this.aws.exchanges.map((e) => JSON.stringify(e)).join('\n') + '\n'));
  }
}
