// `pullproof certify --in-cluster` on AWS's ecr-credential-provider, as a vendor runs it: the protocol
// checks against pullproof's AWS emulation on 127.0.0.1 (as in ecr-certify.test.ts), then the plugin and
// the shipped provider config installed on a worker of each version and the vendor-plugin scenarios run
// by real kubelets against the emulation on the run network. CI runs 1.35; PULLPROOF_IN_CLUSTER_VERSIONS
// (e.g. "v1.34 v1.35 v1.36 v1.37") runs more, and PULLPROOF_WRITE_EXAMPLES=1 writes the report to
// docs/examples/. Needs root, Docker and the 1.35 node image (built on first use).
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildEcrCredentialProvider } from '../harness/build/cloud-plugins.ts';
import { ECR_PROVIDER_CONFIG_FILE } from '../harness/cluster/ecr.ts';
import { ECR_ROLE_ANNOTATION, ecrHost } from '../harness/identity/aws/names.ts';
import { PROJECT_ROOT } from '../harness/util/paths.ts';
import { pullproof, leftovers } from './helpers/cli.ts';
import { CERTIFY_ROLE, useCertifyAws } from './helpers/local-aws.ts';

const ROLE = CERTIFY_ROLE;
const IMAGE = `${ecrHost('123456789012', 'us-east-1')}/team/app`;
const VERSIONS = (process.env.PULLPROOF_IN_CLUSTER_VERSIONS ?? 'v1.35').split(/[\s,]+/).filter(Boolean);
// certify's default service account is pullproof-certify/certify, which the role trusts.
const local = useCertifyAws(test);

// The fields of certify's JSON report this test reads.
interface Report {
  verdict: string;
  plugin: { sha256: string };
  inCluster: {
    runId: string; reportDir: string; exitCode: number; verdict: string; fence?: { droppedPackets: number };
    plugin: { sha256: string; host: string };
    versions: { kubernetes: string; kubelet: string; verdict: string; config?: string; scenarios: { id: string; status: string; expected?: string; observed?: string }[] }[];
  };
}

test(`ecr-credential-provider passes certify --in-cluster on ${VERSIONS.join(', ')}: every scenario as the oracle predicts, the exact configs kept, no packet out, nothing left`, async (t) => {
  t.timeout(40 * 60_000);
  const plugin = await buildEcrCredentialProvider();
  const keyFile = join(local().dir, 'issuer.jwk');
  writeFileSync(keyFile, JSON.stringify(local().issuer.exportPrivateJwk()), { mode: 0o600 });
  const reportFile = join(local().dir, 'report.json');
  const reportDir = mkdtempSync(join(tmpdir(), 'pullproof-test-incluster-'));
  // Kept when the test fails (its path is in the output), for the engine's report and node logs.
  let passed = false;
  t.teardown(() => { if (passed) rmSync(reportDir, { recursive: true, force: true }); });
  const { AWS_REGION: _region, ...env } = local().aws.pluginEnv({ caFile: local().caFile });
  const r = await pullproof([
    'certify', '--plugin', plugin.path, '--config', ECR_PROVIDER_CONFIG_FILE, ...VERSIONS.flatMap((v) => ['--kubernetes', v]),
    ...Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
    '--sa-annotation', `${ECR_ROLE_ANNOTATION}=${ROLE}`, '--issuer-key', keyFile, '--image', IMAGE, '--report', reportFile,
    '--in-cluster', '--report-dir', reportDir,
  ]);
  t.log(r.stdout.split('\n').filter((l) => l.startsWith('in a cluster') || /^ {2}Kubernetes/.test(l)).join('\n'));
  const report = JSON.parse(readFileSync(reportFile, 'utf8')) as Report;
  const c = report.inCluster;
  const notPassed = c.versions.flatMap((v) => v.scenarios.filter((s) => s.status !== 'passed' && s.status !== 'flaky').map((s) => `${v.kubernetes} ${s.id}: ${s.status} (expected ${s.expected}, observed ${s.observed})`));
  t.deepEqual(notPassed, [], r.stdout.slice(-3000));
  t.is(r.code, 0, r.stderr.slice(-2000));
  t.deepEqual(c.versions.map((v) => `${v.kubernetes} ${v.verdict}`), VERSIONS.map((v) => `${v.replace(/^v/, '')} pass`));
  // Ten scenarios per version, the negative controls among them, judged by what the pods did.
  for (const v of c.versions) t.is(v.scenarios.length, 10, v.kubernetes);
  t.is(c.plugin.sha256, plugin.sha256);
  // The config each kubelet read: the shipped entry as written, plus the emulation's endpoints.
  for (const v of c.versions) {
    t.regex(v.config ?? '', /name: ecr-credential-provider/);
    t.regex(v.config ?? '', /serviceAccountTokenAudience: sts\.amazonaws\.com/);
    t.regex(v.config ?? '', /name: AWS_ENDPOINT_URL_STS\n\s+value: https:\/\/172\./);
  }
  t.is(c.fence?.droppedPackets, 0);
  t.deepEqual(leftovers(c.runId), []);
  passed = true;
  if (process.env.PULLPROOF_WRITE_EXAMPLES === '1') {
    const dir = join(PROJECT_ROOT, 'docs', 'examples');
    writeFileSync(join(dir, 'certify-in-cluster-ecr-credential-provider.txt'), r.stdout);
    writeFileSync(join(dir, 'certify-in-cluster-ecr-credential-provider.json'), readFileSync(reportFile, 'utf8'));
  }
});
