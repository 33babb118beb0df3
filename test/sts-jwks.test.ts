// The STS's cluster path: keys from the API server's /openid/v1/jwks, read through an admin kubeconfig
// (client certificate), refreshed when a token carries an unknown kid. A local HTTPS server that
// demands the client certificate stands in for the API server's JWKS endpoint.
import test from 'ava';
import https from 'node:https';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { jwtVerify, type JSONWebKeySet } from 'jose';
import { CertificateAuthority } from '../harness/pki/authority.ts';
import { apiServerJwks, JwksCache } from '../harness/identity/jwks.ts';
import { TestIssuer, sampleServiceAccount } from '../harness/identity/test-issuer.ts';

test('keys come from /openid/v1/jwks through the kubeconfig, and a rotated key is picked up on its first token', async (t) => {
  const ca = await CertificateAuthority.create('fake apiserver');
  const [serverCert, adminCert] = await Promise.all([
    ca.issue({ commonName: 'kube-apiserver', hosts: ['127.0.0.1'], purpose: 'server' }),
    ca.issue({ commonName: 'kubernetes-admin', purpose: 'client' }),
  ]);
  const first = await TestIssuer.create();
  const rotated = await TestIssuer.create();
  let served: JSONWebKeySet = first.jwks();
  const seen: { path: string; clientCert: boolean }[] = [];
  const server = https.createServer({ cert: serverCert.certPem, key: serverCert.keyPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    const authorized = (req.socket as import('node:tls').TLSSocket).authorized;
    seen.push({ path: req.url ?? '', clientCert: authorized });
    if (!authorized) {
      res.writeHead(401).end('{"kind":"Status","code":401}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(served));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const dir = mkdtempSync(join(tmpdir(), 'pullproof-jwks-'));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const port = (server.address() as { port: number }).port;
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const kubeconfig = join(dir, 'admin.conf');
  writeFileSync(kubeconfig, stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'admin',
    clusters: [{ name: 'c', cluster: { server: `https://127.0.0.1:${port}`, 'certificate-authority-data': b64(ca.certPem) } }],
    users: [{ name: 'admin', user: { 'client-certificate-data': b64(adminCert.certPem), 'client-key-data': b64(adminCert.keyPem) } }],
    contexts: [{ name: 'admin', context: { cluster: 'c', user: 'admin' } }],
  }), { mode: 0o600 });

  const keys = new JwksCache(apiServerJwks(kubeconfig), { minRefreshIntervalMs: 0 });
  const sa = sampleServiceAccount('ns', 'sa');
  const verify = async (issuer: TestIssuer): Promise<string | undefined> =>
    (await jwtVerify(await issuer.mint({ audience: 'aud', ...sa }), keys.resolve, { audience: 'aud' })).payload.sub;

  t.is(await verify(first), 'system:serviceaccount:ns:sa');
  served = rotated.jwks(); // the API server rotates its signing key
  t.is(await verify(rotated), 'system:serviceaccount:ns:sa');
  t.is(keys.refreshes, 2, 'one load at start and one refresh for the unknown kid');
  t.deepEqual(seen.map((s) => s.path), ['/openid/v1/jwks', '/openid/v1/jwks']);
  t.true(seen.every((s) => s.clientCert), 'every JWKS request authenticated with the kubeconfig client certificate');
});
