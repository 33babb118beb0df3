// AWS's ecr-credential-provider (built from the Go module proxy) in a real 1.35.4 kind cluster, against
// pullproof's AWS emulation (STS + ECR) on the run network, with no cloud: a pod whose service account
// carries the role annotation pulls a private "ECR" image that only the ECR-issued registry user can
// read, and runs; a pod whose service account the role does not trust ends in ErrImagePull. Both are
// checked in what the user sees (the pod) and in the records (the emulation's decisions, which registry
// user containerd presented). No packet may leave the machine (the fence's drop counter is 0).
import test from 'ava';
import { join } from 'node:path';
import { buildEcrCredentialProvider, type GoModuleBuild } from '../harness/build/cloud-plugins.ts';
import { grantAudience } from '../harness/cluster/credential-provider.ts';
import { configureEcrMirror, createServiceAccount, installEcrProvider, pushEcrImage } from '../harness/cluster/ecr.ts';
import { PULL_FAILURE_REASONS } from '../harness/cluster/kube.ts';
import { createClusterFromPlan, type Cluster } from '../harness/cluster/provider.ts';
import { AWS_STS_AUDIENCE, ECR_ROLE_ANNOTATION, ecrHost, ecrRepositoryPrefix } from '../harness/identity/aws/names.ts';
import { AwsStack } from '../harness/identity/aws/stack.ts';
import { apiServerIssuer, apiServerJwks } from '../harness/identity/jwks.ts';
import { buildFixtureImage } from '../harness/image/fixtures.ts';
import { RegistryStack } from '../harness/registry/stack.ts';
import { RunContext } from '../harness/run/context.ts';
import type { KindNode } from '../harness/node/kind-node.ts';

const KUBERNETES = 'v1.35.4';
const NS = 'team-ecr';
const ROLE = 'arn:aws:iam::123456789012:role/puller';
const HOST = ecrHost('123456789012', 'eu-west-1');

interface Env {
  ctx: RunContext;
  stack: RegistryStack;
  cluster: Cluster;
  aws: AwsStack;
  plugin: GoModuleBuild;
  worker: KindNode;
  images: { allowed: string; refused: string };
  setupSeconds: number;
}

let env: Env | undefined;
let ctx: RunContext | undefined;
let finished = false;
const t0 = performance.now();

function need(): Env {
  if (!env) throw new Error('the environment was not set up (see the before hook)');
  return env;
}

test.before(async () => {
  ctx = RunContext.create({ label: 'ecr' });
  const run = ctx;
  const network = await run.createNetwork();
  const stack = await RegistryStack.start({ network }, (n, fn) => run.cleanup.defer(n, fn));
  stack.addStandardTenants();
  const plugin = await buildEcrCredentialProvider();
  const cluster = await createClusterFromPlan(run, stack, { kubernetes: KUBERNETES, workers: [{}] });
  // The web identity tokens are the API server's: verify them against its own JWKS and issuer.
  const kubeconfig = join(run.workDir, `kubeconfig-${cluster.name}`);
  const aws = await AwsStack.start({
    ca: stack.ca, log: stack.log, tokens: stack.tokens, jwks: apiServerJwks(kubeconfig), issuer: await apiServerIssuer(kubeconfig),
    roles: [{ arn: ROLE, trust: [{ namespace: NS, serviceAccount: 'puller' }] }], listenHost: network.gateway,
  }, (n, fn) => run.cleanup.defer(n, fn));
  for (const node of [cluster.controlPlane, ...cluster.workers]) await configureEcrMirror(node, stack, [HOST]);
  const worker = cluster.workers[0];
  if (!worker) throw new Error('the cluster has no worker');
  await installEcrProvider(worker, KUBERNETES, { plugin, aws, stack, workDir: run.workDir });
  await grantAudience(cluster.controlPlane, AWS_STS_AUDIENCE);
  await cluster.kube.ensureNamespace(NS);
  await createServiceAccount(cluster.kube, NS, 'puller', { [ECR_ROLE_ANNOTATION]: ROLE });
  await createServiceAccount(cluster.kube, NS, 'intruder', { [ECR_ROLE_ANNOTATION]: ROLE });
  const images = {
    allowed: await pushEcrImage(stack, HOST, 'team/app', 'v1', await buildFixtureImage({ scenario: 'ecr', variant: 'allowed' })),
    refused: await pushEcrImage(stack, HOST, 'team/other', 'v1', await buildFixtureImage({ scenario: 'ecr', variant: 'refused' })),
  };
  env = { ctx: run, stack, cluster, aws, plugin, worker, images, setupSeconds: (performance.now() - t0) / 1000 };
});

test.after.always(async () => {
  if (ctx && !finished) {
    if (env) {
      await env.stack.exportLogs(join(ctx.reportDir, 'logs')).catch(() => undefined);
      env.aws.exportLogs(join(ctx.reportDir, 'logs'));
      await env.cluster.exportLogs(join(ctx.reportDir, 'logs', 'nodes')).catch(() => undefined);
    }
    await ctx.finish();
  }
});

test('the ECR prefix of the harness registry cannot be read without credentials', async (t) => {
  const e = need();
  t.log(`setup (network, registry, plugin, 1+1 cluster ${KUBERNETES}, AWS emulation, provider) took ${e.setupSeconds.toFixed(0)}s; plugin ${e.plugin.version} sha256 ${e.plugin.sha256}`);
  const anonymous = e.stack.client();
  try {
    const repo = `${ecrRepositoryPrefix(HOST)}/team/app`;
    const { status } = await anonymous.pull(repo, 'v1');
    t.true(status === 401 || status === 403 || status === 404, `an anonymous manifest request for ${repo} answered ${status}`);
  } finally {
    anonymous.close();
  }
});

test('a pod whose service account names a role that trusts it pulls the private ECR image with the plugin\'s credentials and runs', async (t) => {
  t.timeout(5 * 60_000);
  const e = need();
  const worker = e.worker;
  const since = e.stack.log.cursor;
  const t1 = performance.now();
  await e.cluster.kube.createPod({ namespace: NS, name: 'allowed', node: worker.name, image: e.images.allowed, pullPolicy: 'Always', serviceAccount: 'puller' });
  const outcome = await e.cluster.kube.waitForOutcome(NS, 'allowed', { reasons: [], timeoutMs: 180_000 });
  t.log(`pod ran after ${((performance.now() - t1) / 1000).toFixed(1)}s (create to Running, polled every 0.5 s)`);
  t.true(outcome.running, `pod ${NS}/allowed: ${JSON.stringify(outcome)}`);
  // The plugin assumed the role with the pod's token and got an ECR authorization token...
  const sts = e.aws.aws.exchanges.filter((x) => x.api === 'sts:AssumeRoleWithWebIdentity' && x.identity === `${NS}/puller`);
  t.true(sts.some((x) => x.decision === 'issued'), JSON.stringify(e.aws.aws.exchanges));
  const ecr = e.aws.aws.exchanges.find((x) => x.api === 'ecr:GetAuthorizationToken' && x.decision === 'issued' && x.roleArn === ROLE);
  t.truthy(ecr?.username, JSON.stringify(e.aws.aws.exchanges));
  // ...and containerd presented that registry user for the ECR host's image at the harness registry.
  const repo = `${ecrRepositoryPrefix(HOST)}/team/app`;
  const manifests = e.stack.log.query({ target: 'registry', repository: repo, kind: 'manifest', since });
  t.true(manifests.some((r) => r.status === 200 && r.identity === ecr?.username), JSON.stringify(manifests));
  t.true(e.stack.tokens.decisions.some((d) => d.identity === ecr?.username && d.outcome === 'issued' && d.granted.some((g) => g.name === repo && g.actions.includes('pull'))));
});

test('a pod whose service account the role does not trust gets no credentials (AccessDenied) and ends in ErrImagePull', async (t) => {
  t.timeout(5 * 60_000);
  const e = need();
  const worker = e.worker;
  const since = e.stack.log.cursor;
  await e.cluster.kube.createPod({ namespace: NS, name: 'refused', node: worker.name, image: e.images.refused, pullPolicy: 'Always', serviceAccount: 'intruder' });
  const outcome = await e.cluster.kube.waitForOutcome(NS, 'refused', { reasons: PULL_FAILURE_REASONS, timeoutMs: 180_000 });
  t.false(outcome.running, JSON.stringify(outcome));
  t.true(outcome.waitingReason === 'ErrImagePull' || outcome.waitingReason === 'ImagePullBackOff', JSON.stringify(outcome));
  const refusals = e.aws.aws.exchanges.filter((x) => x.api === 'sts:AssumeRoleWithWebIdentity' && x.identity === `${NS}/intruder`);
  t.true(refusals.length > 0 && refusals.every((x) => x.decision === 'refused' && x.code === 'AccessDenied'), JSON.stringify(refusals));
  const repo = `${ecrRepositoryPrefix(HOST)}/team/other`;
  const manifests = e.stack.log.query({ target: 'registry', repository: repo, kind: 'manifest', since });
  t.true(manifests.length > 0, 'containerd asked the harness registry for the image');
  t.false(manifests.some((r) => r.status === 200), JSON.stringify(manifests));
});

test('cleanup removes everything and no packet left the run network', async (t) => {
  const e = need();
  await e.stack.exportLogs(join(e.ctx.reportDir, 'logs'));
  e.aws.exportLogs(join(e.ctx.reportDir, 'logs'));
  const outcomes = await e.ctx.finish();
  finished = true;
  t.deepEqual(outcomes.filter((o) => !o.ok).map((o) => `${o.name}: ${o.error ?? ''}`), []);
  t.is(e.ctx.fence?.droppedPackets, 0);
  t.log(`whole file: ${((performance.now() - t0) / 1000).toFixed(0)}s; report folder ${e.ctx.reportDir}`);
});
