// For tests that need no Docker: the token service, a test issuer and the STS (behind its fault
// proxy), all on 127.0.0.1 with TLS from a fresh CA. Stop with `stop()` in t.teardown/after.always.
import { CertificateAuthority } from '../../harness/pki/authority.ts';
import { RequestLog } from '../../harness/proxy/records.ts';
import { TokenService } from '../../harness/registry/token-service.ts';
import { staticJwks } from '../../harness/identity/jwks.ts';
import type { PolicyRule } from '../../harness/identity/policy.ts';
import { StsStack } from '../../harness/identity/stack.ts';
import { TestIssuer } from '../../harness/identity/test-issuer.ts';
import { Cleanup } from '../../harness/util/cleanup.ts';

export interface LocalIdentity {
  ca: CertificateAuthority;
  log: RequestLog;
  tokens: TokenService;
  issuer: TestIssuer;
  sts: StsStack;
  stop(): Promise<void>;
}

export async function startLocalIdentity(o: { rules?: PolicyRule[]; audience?: string; credentialTtlSeconds?: number } = {}): Promise<LocalIdentity> {
  const cleanup = new Cleanup();
  try {
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
    const sts = await StsStack.start({
      ca, log, tokens, jwks: staticJwks(issuer.jwks()), issuer: issuer.issuer, audience: o.audience, rules: o.rules,
      listenHost: '127.0.0.1', port: 0, credentialTtlSeconds: o.credentialTtlSeconds,
    }, (name, fn) => { cleanup.defer(name, fn); });
    return { ca, log, tokens, issuer, sts, stop: async () => { await cleanup.runAll(); } };
  } catch (err) {
    await cleanup.runAll();
    throw err;
  }
}
