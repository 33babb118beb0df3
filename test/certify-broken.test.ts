// certify fails each deliberately broken plugin (fixtures/plugins) for its own reason (and, where the
// kubelet's own code then gets no credentials, kubelet.judge with it), kills a hung plugin within the
// time limit, and refuses bad usage with exit code 2.
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { certify } from '../harness/certify/certify.ts';
import type { CertifyReport } from '../harness/certify/report.ts';
import { TestIssuer } from '../harness/identity/test-issuer.ts';
import { PROJECT_ROOT } from '../harness/util/paths.ts';
import { run } from '../harness/util/exec.ts';

const FIXTURES = join(PROJECT_ROOT, 'fixtures', 'plugins');
const IMAGE = 'registry.pullproof.test:5443/tenant-a/app';
let dir: string;
let issuer: TestIssuer;

test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pullproof-certify-broken-'));
  issuer = await TestIssuer.create();
});
test.after.always(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A service-account-mode config for one fixture (cacheType ServiceAccount, so echoing the token is refused). */
function saConfig(name: string): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, stringify({
    apiVersion: 'kubelet.config.k8s.io/v1', kind: 'CredentialProviderConfig',
    providers: [{
      name, matchImages: ['registry.pullproof.test:5443'], defaultCacheDuration: '1m', apiVersion: 'credentialprovider.kubelet.k8s.io/v1',
      tokenAttributes: { serviceAccountTokenAudience: 'sts.pullproof.test', requireServiceAccount: true, cacheType: 'ServiceAccount' },
    }],
  }));
  return file;
}

async function certifyFixture(name: string, o: { sa?: boolean; timeoutMs?: number } = {}): Promise<CertifyReport> {
  return certify({
    plugin: join(FIXTURES, name), configPath: o.sa ? saConfig(name) : undefined, versions: ['1.35'], timeoutMs: o.timeoutMs ?? 10_000,
    env: {}, args: [], image: IMAGE, issuer,
  });
}

const failed = (r: CertifyReport): string[] => (r.results[0]?.checks ?? []).filter((c) => c.status === 'fail').map((c) => c.id);
const reasonOf = (r: CertifyReport, id: string): string => r.results[0]?.checks.find((c) => c.id === id)?.reason ?? '';

const CASES: { plugin: string; sa?: boolean; fails: string[]; reason: RegExp }[] = [
  { plugin: 'crash.sh', fails: ['exec.valid-exit', 'stderr.on-error', 'kubelet.judge'], reason: /killed by SIGSEGV/ },
  { plugin: 'garbage.sh', fails: ['response.json', 'kubelet.judge'], reason: /not JSON/ },
  { plugin: 'wrong-api-version.sh', fails: ['response.apiVersion', 'kubelet.judge'], reason: /v1beta1/ },
  { plugin: 'bad-cache-key-type.sh', fails: ['response.cacheKeyType', 'kubelet.judge'], reason: /"ServiceAccount"/ },
  { plugin: 'wrong-host.sh', fails: ['response.auth-matches-image', 'kubelet.judge'], reason: /other-registry\.example\.com.*do not match/ },
  { plugin: 'token-echo.sh', sa: true, fails: ['response.token-echo', 'kubelet.judge'], reason: /returned the service account token as the password/ },
  { plugin: 'secret-on-stderr.sh', sa: true, fails: ['stderr.no-secrets'], reason: /the service account token appeared on stderr|the service account token/ },
  { plugin: 'child-holds-stdout.sh', fails: ['exec.stdout-closed', 'kubelet.judge'], reason: /\(sleep\) still held stdout/ },
];

for (const c of CASES) {
  test(`certify fails ${c.plugin} for ${c.fails.join(' + ')}`, async (t) => {
    const r = await certifyFixture(c.plugin, { sa: c.sa });
    t.is(r.verdict, 'fail');
    t.deepEqual(failed(r), c.fails);
    t.regex(reasonOf(r, c.fails[0] as string), c.reason);
  });
}

test('certify kills a hung plugin within the time limit and says so', async (t) => {
  const t0 = performance.now();
  const r = await certifyFixture('hang.sh', { timeoutMs: 3000 });
  const seconds = (performance.now() - t0) / 1000;
  t.deepEqual(failed(r), ['exec.timeout', 'kubelet.judge']);
  t.regex(reasonOf(r, 'exec.timeout'), /did not finish within 3s; pullproof ended that process \(\d+ sleep\)/);
  t.regex(r.results[0]?.kubelet ?? '', /was still waiting for the plugin after \d+\.\d s/);
  const call = r.calls[0];
  t.true(call?.timedOut === true && call.ended.some((p) => p.wasPlugin), JSON.stringify(call));
  t.true((call?.durationMs ?? 1e9) < 3000 + 1000, `killed after ${call?.durationMs} ms`);
  t.is(r.calls.length, 1, 'no further calls after a hang');
  // 3 s for the call, at most 2 s for the --version probe, 8 s for the kubelet judge's call (3 s + 5 s), plus start-up.
  t.true(seconds < 18, `certify took ${seconds.toFixed(1)} s`);
});

test('secrets never reach the report: the token the fixture leaked is redacted in the recorded stderr', async (t) => {
  const r = await certifyFixture('secret-on-stderr.sh', { sa: true });
  const text = JSON.stringify(r);
  t.notRegex(text, /eyJ[A-Za-z0-9_-]{4,}\.eyJ/);
  t.true(r.calls.some((c) => c.stderr.includes('refusing token <redacted>')));
});

async function cli(args: string[]): Promise<{ code: number; stderr: string }> {
  const r = await run([process.execPath, join(PROJECT_ROOT, 'bin', 'pullproof.js'), 'certify', ...args], { allowFailure: true, timeoutMs: 60_000 });
  return { code: r.exitCode, stderr: r.stderr };
}

test('usage errors exit 2 and name the field and the fix', async (t) => {
  const missing = await cli(['--plugin', join(dir, 'no-such-plugin')]);
  t.is(missing.code, 2);
  t.regex(missing.stderr, /--plugin: .*does not exist\. Fix: /);
  const badVersion = await cli(['--plugin', join(FIXTURES, 'garbage.sh'), '--kubernetes', 'v1.99']);
  t.is(badVersion.code, 2);
  t.regex(badVersion.stderr, /--kubernetes: "v1\.99" is not a Kubernetes version .*Fix: use one of v1\.32/);
  const cfg = join(dir, 'bad.yaml');
  writeFileSync(cfg, stringify({ apiVersion: 'kubelet.config.k8s.io/v1', kind: 'CredentialProviderConfig', providers: [{ name: 'garbage.sh', matchImages: ['registry.pullproof.test'], defaultCacheDuration: '1m', apiVersion: 'credentialprovider.kubelet.k8s.io/v1', tokenAttributes: { serviceAccountTokenAudience: 'a', requireServiceAccount: true } }] }));
  const invalid = await cli(['--plugin', join(FIXTURES, 'garbage.sh'), '--config', cfg, '--kubernetes', 'v1.34']);
  t.is(invalid.code, 2);
  t.regex(invalid.stderr, /providers\[0\]\.tokenAttributes\.cacheType: cacheType is required .*Fix: set cacheType: ServiceAccount/);
});
