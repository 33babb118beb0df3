// The reference plugin (packaged: esbuild bundle + the Node.js binary beside it + a /bin/sh launcher)
// passes `pullproof certify` for 1.33, 1.34 and 1.35, each with the right config for that version,
// exchanging certify's tokens at a real STS.
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { CertifyReport } from '../harness/certify/report.ts';
import { packagePlugin, type PackagedPlugin } from '../harness/credprovider/plugin/package.ts';
import { PROJECT_ROOT } from '../harness/util/paths.ts';
import { run } from '../harness/util/exec.ts';
import { startLocalIdentity, type LocalIdentity } from './helpers/local-identity.ts';

const REGISTRY = 'registry.pullproof.test:5443';
let id: LocalIdentity;
let plugin: PackagedPlugin;
let dir: string;

test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pullproof-certify-ref-'));
  id = await startLocalIdentity({ rules: [{ namespace: 'pullproof-certify', serviceAccount: 'certify', annotations: { 'pullproof.test/tenant': 'tenant-a' }, repositories: ['tenant-a/*'] }] });
  plugin = await packagePlugin();
  writeFileSync(join(dir, 'issuer.jwk'), JSON.stringify(id.issuer.exportPrivateJwk()), { mode: 0o600 });
  writeFileSync(join(dir, 'sts-ca.pem'), id.ca.certPem);
  writeFileSync(join(dir, 'static.json'), JSON.stringify({ username: 'static-user', password: 'static-password-42' }), { mode: 0o600 });
});
test.after.always(async () => {
  await id?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function saConfig(file: string, withCacheType: boolean): string {
  const path = join(dir, file);
  writeFileSync(path, stringify({
    apiVersion: 'kubelet.config.k8s.io/v1', kind: 'CredentialProviderConfig',
    providers: [{
      name: 'pullproof-credential-provider', matchImages: [REGISTRY], defaultCacheDuration: '1m', apiVersion: 'credentialprovider.kubelet.k8s.io/v1',
      args: ['--mode=serviceaccount', `--registry=${REGISTRY}`],
      env: [{ name: 'PULLPROOF_STS_URL', value: id.sts.tokenUrl }, { name: 'PULLPROOF_STS_CA', value: join(dir, 'sts-ca.pem') }],
      tokenAttributes: {
        serviceAccountTokenAudience: 'sts.pullproof.test', requireServiceAccount: true,
        requiredServiceAccountAnnotationKeys: ['pullproof.test/tenant'], optionalServiceAccountAnnotationKeys: ['pullproof.test/team'],
        ...(withCacheType ? { cacheType: 'ServiceAccount' } : {}),
      },
    }],
  }));
  return path;
}

async function certifyCli(args: string[]): Promise<{ code: number; report: CertifyReport; stderr: string }> {
  const reportFile = join(dir, `report-${Math.random().toString(36).slice(2)}.json`);
  const r = await run([process.execPath, join(PROJECT_ROOT, 'bin', 'pullproof.js'), 'certify', '--plugin', plugin.launcher,
    '--issuer-key', join(dir, 'issuer.jwk'), '--timeout', '20s', '--report', reportFile, ...args], { allowFailure: true, timeoutMs: 120_000 });
  return { code: r.exitCode, stderr: r.stderr, report: JSON.parse(readFileSync(reportFile, 'utf8')) as CertifyReport };
}

function statusOf(r: CertifyReport, id: string): string | undefined {
  return r.results[0]?.checks.find((c) => c.id === id)?.status;
}

const VERSIONS: { version: string; cacheType: boolean; extra: string[] }[] = [
  { version: 'v1.33', cacheType: false, extra: ['--feature-gates', 'KubeletServiceAccountTokenForCredentialProviders=true'] },
  { version: 'v1.34', cacheType: true, extra: [] },
  { version: 'v1.35', cacheType: true, extra: [] },
];

/** CI builds the kubelet judge for v1.35.4 only; PULLPROOF_DIFFERENTIAL=all judges every version with its own kubelet code. */
const judged = (version: string): boolean => version === 'v1.35' || process.env.PULLPROOF_DIFFERENTIAL === 'all';

for (const v of VERSIONS) {
  test.serial(`the reference plugin passes certify for ${v.version} (service account mode${v.cacheType ? ', cacheType ServiceAccount' : ', no cacheType, gate on'})`, async (t) => {
    const cursor = id.sts.sts.exchanges.length;
    const { code, report, stderr } = await certifyCli(['--config', saConfig(`sa-${v.version}.yaml`, v.cacheType), '--kubernetes', v.version,
      '--sa-annotation', 'pullproof.test/tenant=tenant-a', ...v.extra, ...(judged(v.version) ? [] : ['--no-kubelet-judge'])]);
    const failures = report.results.flatMap((x) => x.checks).filter((c) => c.status === 'fail');
    t.is(code, 0, `${JSON.stringify(failures)}\n${stderr.slice(-1500)}`);
    t.is(report.verdict, 'pass');
    for (const check of ['exec.valid-exit', 'response.auth-matches-image', 'sa.expired-token', 'sa.wrong-audience', 'sa.required-annotations-only', 'stderr.no-secrets']) {
      t.is(statusOf(report, check), 'pass', check);
    }
    t.is(statusOf(report, 'response.token-echo'), v.cacheType ? 'pass' : 'not-run');
    t.is(statusOf(report, 'kubelet.judge'), judged(v.version) ? 'pass' : 'not-run', 'the kubelet\'s own code got the credentials');
    const reasons = id.sts.sts.exchanges.slice(cursor).map((e) => e.reason).sort();
    t.deepEqual([...new Set(reasons)], ['expired', 'issued', 'wrong-audience'], 'the plugin really exchanged every token at the STS');
    t.is(report.plugin.version, 'pullproof-credential-provider 0.1.0');
    t.regex(report.plugin.sha256, /^[0-9a-f]{64}$/);
    t.deepEqual(report.env, ['PULLPROOF_STS_URL=<redacted>', 'PULLPROOF_STS_CA=<redacted>']);
    t.true(report.config.provider.env?.every((e) => e.value === '<redacted>'));
  });
}

test.serial('the reference plugin passes certify in static mode, and its password never appears in the report', async (t) => {
  const { code, report } = await certifyCli(['--image', `${REGISTRY}/tenant-a/app`, '--kubernetes', 'v1.35',
    '--arg=--mode=static', `--arg=--registry=${REGISTRY}`, '--env', `PULLPROOF_CREDENTIALS_FILE=${join(dir, 'static.json')}`]);
  t.is(code, 0, JSON.stringify(report.results));
  t.false(JSON.stringify(report).includes('static-password-42'));
  t.deepEqual(report.args, ['--mode=static', `--registry=${REGISTRY}`], 'plain arguments are shown (finding 7)');
});
