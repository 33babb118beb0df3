// On a run network with the real registry: credentials the STS issues to an allowed service account
// pull a private image, and the reference plugin, run inside the plain Debian bookworm base image (no
// Node.js installed), exchanges a token at the STS through the run network.
import test from 'ava';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { buildFixtureImage } from '../harness/image/fixtures.ts';
import { ensureBaseImage } from '../harness/host/base-image.ts';
import { LABEL, RUN_LABEL } from '../harness/host/network.ts';
import { RegistryStack } from '../harness/registry/stack.ts';
import { RunContext } from '../harness/run/context.ts';
import { staticJwks } from '../harness/identity/jwks.ts';
import { DEFAULT_STS_AUDIENCE, StsStack } from '../harness/identity/stack.ts';
import { TestIssuer, sampleServiceAccount } from '../harness/identity/test-issuer.ts';
import { exchangeToken } from '../harness/credprovider/plugin/exchange.ts';
import { packagePlugin, RUNTIME_DIR } from '../harness/credprovider/plugin/package.ts';
import { PLUGIN_NAME } from '../harness/credprovider/plugin/main.ts';
import type { CredentialProviderResponse } from '../harness/credprovider/types.ts';
import { run } from '../harness/util/exec.ts';

let ctx: RunContext;
let stack: RegistryStack;
let sts: StsStack;
let issuer: TestIssuer;
let digest: string;
const REPO = 'tenant-a/sts-app';
const allowed = sampleServiceAccount('team-a', 'puller');

test.before(async () => {
  ctx = RunContext.create({ label: 'test-sts-registry' });
  const network = await ctx.createNetwork();
  stack = await RegistryStack.start({ network }, (name, fn) => { ctx.cleanup.defer(name, fn); });
  stack.addStandardTenants();
  issuer = await TestIssuer.create();
  sts = await StsStack.start({
    ca: stack.ca, log: stack.log, tokens: stack.tokens, jwks: staticJwks(issuer.jwks()), issuer: issuer.issuer,
    rules: [{ namespace: 'team-a', serviceAccount: 'puller', repositories: ['tenant-a/*'] }], listenHost: network.gateway,
  }, (name, fn) => { ctx.cleanup.defer(name, fn); });
  const admin = stack.client(stack.admin);
  try {
    digest = await admin.push(REPO, 'v1', await buildFixtureImage({ scenario: 'sts-registry' }));
  } finally {
    admin.close();
  }
});
test.after.always(async () => {
  if (stack && sts) {
    await stack.exportLogs(join(ctx.reportDir, 'logs'));
    sts.exportLogs(join(ctx.reportDir, 'logs'));
  }
  await ctx?.finish();
});

test.serial('credentials the STS issues to an allowed service account pull a private image from the registry', async (t) => {
  const cred = await exchangeToken({ url: sts.tokenUrl, ca: stack.ca.certPem, token: await issuer.mint({ audience: DEFAULT_STS_AUDIENCE, ...allowed }) });
  const client = stack.client(cred);
  t.teardown(() => client.close());
  const pulled = await client.pull(REPO, 'v1');
  t.deepEqual(pulled, { status: 200, digest });
  t.true(stack.tokens.decisions.some((d) => d.identity === cred.username && d.outcome === 'issued'), 'the token service issued a token to the STS user');
});

test.serial('the reference plugin runs in the bookworm base image without Node.js and exchanges a token at the STS on the run network', async (t) => {
  const [{ tag }, plugin] = await Promise.all([ensureBaseImage(), packagePlugin()]);
  writeFileSync(join(ctx.workDir, 'sts-ca.pem'), stack.ca.certPem);
  const name = `pullproof-${ctx.id}-plugin`;
  ctx.cleanup.defer(`container ${name}`, async () => { await run(['docker', 'rm', '-f', name], { allowFailure: true }); });
  const token = await issuer.mint({ audience: DEFAULT_STS_AUDIENCE, ...allowed });
  const request = { kind: 'CredentialProviderRequest', apiVersion: 'credentialprovider.kubelet.k8s.io/v1', image: `${stack.host}/${REPO}`, serviceAccountToken: token };
  const r = await run(['docker', 'run', '--rm', '-i', '--name', name, '--network', stack.network.name,
    '--label', `${LABEL}=1`, '--label', `${RUN_LABEL}=${ctx.id}`,
    '-v', `${plugin.dir}:/usr/libexec/kubernetes/kubelet-plugins/credential-provider:ro`, '-v', `${ctx.workDir}/sts-ca.pem:/etc/pullproof/sts-ca.pem:ro`,
    tag, 'sh', '-c', `if command -v node >/dev/null; then echo "node is installed" >&2; exit 99; fi; exec /usr/libexec/kubernetes/kubelet-plugins/credential-provider/${PLUGIN_NAME} --mode=serviceaccount --registry=${stack.host} --sts-url=${sts.tokenUrl} --sts-ca=/etc/pullproof/sts-ca.pem`],
  { input: JSON.stringify(request), allowFailure: true, timeoutMs: 60_000 });
  t.is(r.exitCode, 0, r.stderr);
  const response = JSON.parse(r.stdout) as CredentialProviderResponse;
  t.like(response, { kind: 'CredentialProviderResponse', apiVersion: 'credentialprovider.kubelet.k8s.io/v1', cacheKeyType: 'Registry' });
  const auth = response.auth?.[stack.host];
  if (!auth) return t.fail(`no auth for ${stack.host}`);
  t.like(sts.sts.exchanges.at(-1), { decision: 'issued', identity: 'team-a/puller' });
  t.true((sts.sts.exchanges.at(-1) as { latencyMs: number }).latencyMs >= 0);
  const client = stack.client(auth);
  t.teardown(() => client.close());
  t.deepEqual(await client.pull(REPO, 'v1'), { status: 200, digest }, 'the credentials the plugin returned pull the image');
  t.is(r.stderr, '', 'the plugin wrote nothing on stderr');
  t.false(r.stdout.includes(token), 'the token is not echoed');
  t.true(plugin.node.endsWith(`${RUNTIME_DIR}/node`));
});
