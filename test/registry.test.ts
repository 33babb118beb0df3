// The harness registry against a real distribution registry, real TLS and real JWTs, on a run network
// with the egress fence. One stack for the file; every test uses its own repositories.
import test from 'ava';
import { decodeProtectedHeader, decodeJwt } from 'jose';
import { connect } from 'node:net';
import { RunContext } from '../harness/run/context.ts';
import { RegistryStack, REGISTRY_SERVICE } from '../harness/registry/stack.ts';
import { buildFixtureImage } from '../harness/image/fixtures.ts';
import type { Credential } from '../harness/registry/token-service.ts';
import https from 'node:https';

process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';

let ctx: RunContext;
let stack: RegistryStack;
let seq = 0;

test.before(async () => {
  ctx = RunContext.create({ label: 'test-registry' });
  const network = await ctx.createNetwork();
  stack = await RegistryStack.start({ network }, (name, fn) => ctx.cleanup.defer(name, fn));
  stack.addStandardTenants();
});

test.after.always(async () => {
  await ctx?.finish();
});

async function privateImage(tenant: string): Promise<{ repo: string; digest: string }> {
  const repo = `${tenant}/t${++seq}`;
  const admin = stack.client(stack.admin);
  const digest = await admin.push(repo, 'v1', await buildFixtureImage({ scenario: `registry-test-${seq}` }));
  admin.close();
  return { repo, digest };
}

function postToken(form: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const body = new URLSearchParams(form).toString();
    const req = https.request(stack.realm, { method: 'POST', ca: stack.ca.certPem, servername: 'registry.pullproof.test', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => { text += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('the registry itself refuses a pull without credentials', async (t) => {
  const { repo } = await privateImage('tenant-a');
  const res = await stack.client().getManifest(repo, 'v1');
  t.is(res.status, 401);
});

test("the registry refuses tenant B's pull of tenant A's repository", async (t) => {
  const { repo } = await privateImage('tenant-a');
  const res = await stack.client(stack.tenant('tenant-b')).getManifest(repo, 'v1');
  t.true(res.status === 401 || res.status === 403, `status ${res.status}`);
  t.regex(String(res.headers['www-authenticate']), /error="insufficient_scope"/);
});

test('the registry serves tenant A its own repository', async (t) => {
  const { repo, digest } = await privateImage('tenant-a');
  const res = await stack.client(stack.tenant('tenant-a')).pull(repo, 'v1');
  t.deepEqual(res, { status: 200, digest });
});

test('the registry serves public repositories anonymously', async (t) => {
  const { repo, digest } = await privateImage('public');
  const res = await stack.client().pull(repo, 'v1');
  t.deepEqual(res, { status: 200, digest });
});

test('one anonymous 401, one token fetch (attributed to its repository by scope) and one authorised HEAD each appear as exactly one record', async (t) => {
  const { repo } = await privateImage('tenant-a');
  const client = stack.client(stack.tenant('tenant-a'));
  const since = stack.log.cursor;
  const res = await client.headManifest(repo, 'v1');
  t.is(res.status, 200);
  const records = stack.log.query({ since }).map((r) => `${r.target} ${r.method} ${r.kind} ${r.repository ?? '-'} ${r.status} ${r.identity}`);
  t.deepEqual(records, [
    `registry HEAD manifest ${repo} 401 anonymous`,
    `token GET token ${repo} 200 tenant-a`,
    `registry HEAD manifest ${repo} 200 tenant-a`,
  ]);
});

test("the registry's own log cross-checks the proxy's record of an authorised pull", async (t) => {
  const { repo } = await privateImage('tenant-a');
  await stack.client(stack.tenant('tenant-a')).headManifest(repo, 'v1');
  const logs = await stack.registry.logs();
  t.regex(logs, new RegExp(`response completed.*auth.user.name=tenant-a.*http.request.method=HEAD.*${repo.replace('/', '\\/')}/manifests/v1`));
});

test('tokens are ES256 with an x5c chain, no jwk, no kid, and a string audience', async (t) => {
  const { repo } = await privateImage('tenant-a');
  const client = stack.client(stack.tenant('tenant-a'));
  const r = await client.fetchToken({ realm: stack.realm, service: REGISTRY_SERVICE }, `repository:${repo}:pull`);
  t.is(r.status, 200);
  const header = decodeProtectedHeader(r.token ?? '');
  const claims = decodeJwt(r.token ?? '');
  t.deepEqual({ alg: header.alg, x5c: Array.isArray(header.x5c) && header.x5c.length === 1, jwk: header.jwk, kid: header.kid }, { alg: 'ES256', x5c: true, jwk: undefined, kid: undefined });
  t.deepEqual({ aud: claims.aud, sub: claims.sub, access: claims.access }, { aud: REGISTRY_SERVICE, sub: 'tenant-a', access: [{ type: 'repository', name: repo, actions: ['pull'] }] });
});

test('the token service accepts the OAuth2 password-grant POST that containerd sends first', async (t) => {
  const { repo } = await privateImage('tenant-a');
  const cred = stack.tenant('tenant-a');
  const res = await postToken({ grant_type: 'password', username: cred.username, password: cred.password, service: REGISTRY_SERVICE, scope: `repository:${repo}:pull`, client_id: 'containerd-client' });
  t.is(res.status, 200);
  t.deepEqual((decodeJwt((JSON.parse(res.body) as { access_token: string }).access_token)).access, [{ type: 'repository', name: repo, actions: ['pull'] }]);
});

test('the token service refuses a wrong password', async (t) => {
  const res = await postToken({ grant_type: 'password', username: 'tenant-a', password: 'wrong-password-123', service: REGISTRY_SERVICE, scope: 'repository:tenant-a/x:pull' });
  t.is(res.status, 401);
});

test('a user revoked at run time is refused by the token service', async (t) => {
  const { repo } = await privateImage('tenant-a');
  const user: Credential = stack.tokens.addUser(`revoked-${seq}`, { repositories: ['tenant-a/*'] });
  t.is((await stack.client(user).headManifest(repo, 'v1')).status, 200);
  stack.tokens.revokeUser(user.username);
  const since = stack.log.cursor;
  t.is((await stack.client(user).headManifest(repo, 'v1')).status, 401);
  t.deepEqual(stack.log.query({ since, target: 'token' }).map((r) => r.status), [401]);
});

test('a pull through the fault proxy sees the injected latency', async (t) => {
  const { repo } = await privateImage('public');
  const client = stack.client();
  await client.headManifest(repo, 'v1');
  stack.proxy.setLatency(250);
  t.teardown(() => stack.proxy.resetFaults());
  const t0 = performance.now();
  const res = await client.headManifest(repo, 'v1');
  const ms = performance.now() - t0;
  t.is(res.status, 200);
  t.true(ms >= 250, `took ${ms.toFixed(0)} ms`);
});

test('a pull through the fault proxy sees the injected errors', async (t) => {
  const { repo } = await privateImage('public');
  const client = stack.client();
  await client.headManifest(repo, 'v1');
  stack.proxy.failNext(2, 503);
  t.teardown(() => stack.proxy.resetFaults());
  const statuses = [];
  for (let i = 0; i < 3; i++) statuses.push((await client.pull(repo, 'v1')).status);
  t.deepEqual(statuses, [503, 503, 200]);
});

test('an error rate of 1 fails every request and 0 none', async (t) => {
  const { repo } = await privateImage('public');
  const client = stack.client();
  await client.headManifest(repo, 'v1');
  t.teardown(() => stack.proxy.resetFaults());
  stack.proxy.setErrorRate(1, 500);
  const failing = [];
  for (let i = 0; i < 5; i++) failing.push((await client.headManifest(repo, 'v1')).status);
  stack.proxy.setErrorRate(0);
  const passing = [];
  for (let i = 0; i < 5; i++) passing.push((await client.headManifest(repo, 'v1')).status);
  t.deepEqual([failing, passing], [[500, 500, 500, 500, 500], [200, 200, 200, 200, 200]]);
});

test('an outage refuses connections at once, and the proxy comes back', async (t) => {
  const url = new URL(stack.endpoint);
  await stack.proxy.outage();
  t.teardown(() => stack.proxy.restore());
  const t0 = performance.now();
  const code = await new Promise<string>((resolve) => {
    const s = connect(Number(url.port), url.hostname);
    s.on('connect', () => { s.destroy(); resolve('connected'); });
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
  });
  t.is(code, 'ECONNREFUSED');
  t.true(performance.now() - t0 < 1000);
  await stack.proxy.restore();
  t.is((await stack.client().headManifest('public/none', 'v1')).status, 404);
});
