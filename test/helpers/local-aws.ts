// For tests that need no Docker: the token service, a test issuer and the AWS emulation (STS + ECR behind
// their fault proxies), all on 127.0.0.1 with TLS from a fresh CA; the CA written to a file for the
// plugin's AWS_CA_BUNDLE. Stop with `stop()` in t.teardown/after.always.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CertificateAuthority } from '../../harness/pki/authority.ts';
import { RequestLog } from '../../harness/proxy/records.ts';
import { TokenService } from '../../harness/registry/token-service.ts';
import { staticJwks } from '../../harness/identity/jwks.ts';
import type { AwsRole } from '../../harness/identity/aws/server.ts';
import { AwsStack } from '../../harness/identity/aws/stack.ts';
import { TestIssuer } from '../../harness/identity/test-issuer.ts';
import { Cleanup } from '../../harness/util/cleanup.ts';

export interface LocalAws {
  ca: CertificateAuthority;
  log: RequestLog;
  tokens: TokenService;
  issuer: TestIssuer;
  aws: AwsStack;
  /** A private folder (mode 0700) holding ca.pem. */
  dir: string;
  caFile: string;
  stop(): Promise<void>;
}

export async function startLocalAws(o: { roles?: AwsRole[]; sessionTtlSeconds?: number; ecrTokenTtlSeconds?: number } = {}): Promise<LocalAws> {
  const cleanup = new Cleanup();
  try {
    const dir = mkdtempSync(join(tmpdir(), 'pullproof-aws-'));
    cleanup.defer('folder', async () => rmSync(dir, { recursive: true, force: true }));
    const ca = await CertificateAuthority.create('pullproof test');
    const log = new RequestLog();
    const [signer, tls] = await Promise.all([
      ca.issue({ commonName: 'signer', purpose: 'signing' }),
      ca.issue({ commonName: 'token-service', hosts: ['127.0.0.1', 'localhost'], purpose: 'server' }),
    ]);
    const tokens = new TokenService({ signer, issuer: 'pullproof-token-service', service: 'pullproof-registry', listenHost: '127.0.0.1', tls: { cert: tls.certPem, key: tls.keyPem } });
    await tokens.start();
    cleanup.defer('token service', () => tokens.stop());
    const issuer = await TestIssuer.create();
    const aws = await AwsStack.start({
      ca, log, tokens, jwks: staticJwks(issuer.jwks()), issuer: issuer.issuer, roles: o.roles, listenHost: '127.0.0.1', stsPort: 0, ecrPort: 0,
      sessionTtlSeconds: o.sessionTtlSeconds, ecrTokenTtlSeconds: o.ecrTokenTtlSeconds,
    }, (name, fn) => { cleanup.defer(name, fn); });
    const caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, ca.certPem);
    return { ca, log, tokens, issuer, aws, dir, caFile, stop: async () => { await cleanup.runAll(); } };
  } catch (err) {
    await cleanup.runAll();
    throw err;
  }
}

/** The role certify's default service account (pullproof-certify/certify) may assume in the tests. */
export const CERTIFY_ROLE = 'arn:aws:iam::123456789012:role/puller';

/** Starts the emulation trusting certify's default service account before a file's tests; stops it after. */
export function useCertifyAws(test: { before: (fn: () => Promise<void>) => void; after: { always: (fn: () => Promise<void>) => void } }): () => LocalAws {
  let local: LocalAws | undefined;
  test.before(async () => {
    local = await startLocalAws({ roles: [{ arn: CERTIFY_ROLE, trust: [{ namespace: 'pullproof-certify', serviceAccount: 'certify' }] }] });
  });
  test.after.always(async () => {
    await local?.stop();
  });
  return () => {
    if (!local) throw new Error('the AWS emulation did not start (see the before hook)');
    return local;
  };
}
