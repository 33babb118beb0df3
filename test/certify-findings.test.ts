// The seven certify findings of issue 9, each as a user meets it through `pullproof certify`: a
// plugin the kubelet rejects must not pass, a plugin the kubelet accepts must not fail, and certify
// always exits with a truthful report. Each test failed before the fix (see docs/identity.md).
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CertifyReport } from '../harness/certify/report.ts';
import { PROJECT_ROOT } from '../harness/util/paths.ts';
import { run } from '../harness/util/exec.ts';

const FIXTURES = join(PROJECT_ROOT, 'fixtures', 'plugins');
const REGISTRY = 'registry.pullproof.test:5443';
const IMAGE = `${REGISTRY}/tenant-a/app`;
let dir: string;

test.before(() => {
  dir = mkdtempSync(join(tmpdir(), 'pullproof-certify-findings-'));
});
test.after.always(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  seconds: number;
  report?: CertifyReport;
}

async function certify(args: string[], timeoutMs = 120_000): Promise<CliResult> {
  const reportFile = join(dir, `report-${randomUUID()}.json`);
  const t0 = performance.now();
  const r = await run([process.execPath, join(PROJECT_ROOT, 'bin', 'pullproof.js'), 'certify', '--report', reportFile, ...args], { allowFailure: true, timeoutMs });
  let report: CertifyReport | undefined;
  try {
    report = JSON.parse(readFileSync(reportFile, 'utf8')) as CertifyReport;
  } catch {
    report = undefined;
  }
  return { code: r.exitCode, stdout: r.stdout, stderr: r.stderr, seconds: (performance.now() - t0) / 1000, report };
}

const check = (r: CertifyReport | undefined, id: string): { status: string; reason: string } | undefined => r?.results[0]?.checks.find((c) => c.id === id);

/** Processes whose environment carries the marker (what a test's plugin left running). */
function processesWith(marker: string): number[] {
  const out: number[] = [];
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      if (readFileSync(`/proc/${pid}/environ`, 'latin1').includes(marker)) out.push(Number(pid));
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}

function providerConfig(file: string, name: string, o: { matchImages?: string[]; extra?: string } = {}): string {
  const path = join(dir, file);
  writeFileSync(path, [
    'apiVersion: kubelet.config.k8s.io/v1', 'kind: CredentialProviderConfig', 'providers:',
    `- name: ${name}`, `  matchImages: ${JSON.stringify(o.matchImages ?? [REGISTRY])}`, '  defaultCacheDuration: 1m',
    '  apiVersion: credentialprovider.kubelet.k8s.io/v1', ...(o.extra ? [o.extra] : []), '',
  ].join('\n'));
  return path;
}

test('finding 1: a descendant that left the process group with setsid and holds stdout is found and ended, certify exits, and the report says what it ended', async (t) => {
  const marker = `PULLPROOF_FINDING_1=${randomUUID()}`;
  const r = await certify(['--plugin', join(FIXTURES, 'setsid-holds-stdout.sh'), '--image', IMAGE, '--env', marker, '--timeout', '20s'], 60_000);
  t.true(r.report !== undefined, `certify did not finish: exit ${r.code}, ${r.stderr.slice(-500)}`);
  t.is(r.code, 1);
  const held = check(r.report, 'exec.stdout-closed');
  t.is(held?.status, 'fail');
  t.regex(held?.reason ?? '', /\(sleep, which had left the plugin's session and process group with setsid\) still held stdout/);
  t.regex(held?.reason ?? '', /pullproof ended that process \(\d+ sleep\), which was outside the plugin's process group: pullproof's subreaper found it as a descendant/);
  t.notRegex(JSON.stringify(r.report), /killed the whole process group|process group killed/);
  t.true(r.report?.calls.every((c) => c.ended.some((p) => p.command === 'sleep' && p.leftProcessGroup && p.heldStdout)));
  t.deepEqual(processesWith(marker), [], 'no process the plugin started is still running');
});

test('finding 2: a response with a key twice fails, in the kubelet\'s own words', async (t) => {
  const r = await certify(['--plugin', join(FIXTURES, 'duplicate-keys.sh'), '--image', IMAGE, '--kubernetes', 'v1.35']);
  t.is(r.code, 1, r.stderr.slice(-500));
  t.is(check(r.report, 'response.strict')?.status, 'fail');
  t.regex(check(r.report, 'response.strict')?.reason ?? '', /the key "cacheKeyType" appears twice/);
  t.is(check(r.report, 'kubelet.judge')?.status, 'fail');
  t.regex(r.report?.results[0]?.kubelet ?? '', /error decoding credential provider plugin response from stdout \(its own code, k8s\.io\/kubernetes v1\.35\.4\)/);
});

test('finding 3: a script without "#!" fails to start with "exec format error", as in the kubelet', async (t) => {
  const r = await certify(['--plugin', join(FIXTURES, 'no-shebang.sh'), '--image', IMAGE]);
  t.is(r.code, 1, r.stderr.slice(-500));
  t.is(check(r.report, 'exec.start')?.status, 'fail');
  t.regex(check(r.report, 'exec.start')?.reason ?? '', /fork\/exec \S+no-shebang\.sh: exec format error/);
  t.regex(r.report?.results[0]?.kubelet ?? '', /error execing credential provider plugin no-shebang\.sh .*exec format error/);
});

test('finding 4: a valid 5 MiB response is read whole and passes', async (t) => {
  const r = await certify(['--plugin', join(FIXTURES, 'big-response.sh'), '--image', IMAGE]);
  t.is(r.code, 0, JSON.stringify(r.report?.results[0]?.checks.filter((c) => c.status === 'fail')));
  t.is(check(r.report, 'response.json')?.status, 'pass');
  t.is(check(r.report, 'kubelet.judge')?.status, 'pass');
  t.true((r.report?.calls[0]?.stdoutBytes ?? 0) > 5 * 1024 * 1024);
});

test('finding 5a: a JSON config with a trailing comma is refused as the kubelet refuses it (exit 2, naming the JSON)', async (t) => {
  const path = join(dir, 'trailing-comma.json');
  writeFileSync(path, JSON.stringify({
    apiVersion: 'kubelet.config.k8s.io/v1', kind: 'CredentialProviderConfig',
    providers: [{ name: 'good.sh', matchImages: [REGISTRY], defaultCacheDuration: '1m', apiVersion: 'credentialprovider.kubelet.k8s.io/v1' }],
  }).replace(/\}\]\}$/, '},]}'));
  const r = await certify(['--plugin', join(FIXTURES, 'good.sh'), '--config', path]);
  t.is(r.code, 2);
  t.regex(r.stderr, /trailing-comma\.json: is not valid JSON: .*Fix: fix the JSON syntax/);
});

test('finding 5b: requireServiceAccount: yes (YAML 1.1, as sigs.k8s.io/yaml reads it) is accepted', async (t) => {
  const path = providerConfig('yes.yaml', 'good-sa.sh', { extra: '  tokenAttributes: {serviceAccountTokenAudience: sts.pullproof.test, requireServiceAccount: yes, cacheType: ServiceAccount}' });
  const r = await certify(['--plugin', join(FIXTURES, 'good-sa.sh'), '--config', path]);
  t.is(r.code, 0, r.stderr.slice(-800) + JSON.stringify(r.report?.results[0]?.checks.filter((c) => c.status === 'fail')));
  t.is(r.report?.config.provider.tokenAttributes?.requireServiceAccount, true);
  t.is(check(r.report, 'kubelet.judge')?.status, 'pass');
});

test('finding 5c: --config with a directory works for 1.35 and is a usage error naming --config for 1.33', async (t) => {
  const confDir = join(dir, 'conf.d');
  mkdirSync(confDir);
  providerConfig(join('conf.d', '10-good.yaml'), 'good.sh');
  providerConfig(join('conf.d', '20-other.yaml'), 'other-provider', { matchImages: ['other.example'] });
  const r = await certify(['--plugin', join(FIXTURES, 'good.sh'), '--config', confDir, '--kubernetes', 'v1.35']);
  t.is(r.code, 0, r.stderr.slice(-800));
  t.is(r.report?.image, `${REGISTRY}/pullproof-certify/app`);
  const old = await certify(['--plugin', join(FIXTURES, 'good.sh'), '--config', confDir, '--kubernetes', 'v1.33', '--no-kubelet-judge']);
  t.is(old.code, 2);
  t.regex(old.stderr, /--config: \S+conf\.d is a directory; the Kubernetes 1\.33 kubelet reads one file .*Fix: point to a single config file/);
  t.notRegex(old.stderr, /EISDIR/);
});

test('finding 6: a klog-based plugin\'s failure reason quotes its error line, not its first info line', async (t) => {
  const r = await certify(['--plugin', join(FIXTURES, 'klog-error.sh'), '--image', IMAGE]);
  t.is(r.code, 1);
  const reason = check(r.report, 'exec.valid-exit')?.reason ?? '';
  t.regex(reason, /failed to get credentials: lookup sts\.pullproof\.invalid: no such host/);
  t.notRegex(reason, /credential provider starting/);
});

test('finding 7: plain plugin arguments are shown, secret-named ones redacted; without --image the image comes from matchImages', async (t) => {
  const path = providerConfig('ecr.yaml', 'ecr-like.sh', { matchImages: ['*.dkr.ecr.*.amazonaws.com', '*.dkr.ecr.*.amazonaws.com.cn'] });
  const r = await certify(['--plugin', join(FIXTURES, 'ecr-like.sh'), '--config', path, '--arg=--region=us-east-1', '--arg=--v=2', '--arg=--client-secret=s3cr3t-value']);
  t.is(r.code, 0, JSON.stringify(r.report?.results[0]?.checks.filter((c) => c.status === 'fail')) + r.stderr.slice(-500));
  t.is(r.report?.image, '123456789012.dkr.ecr.us-east-1.amazonaws.com/pullproof-certify/app');
  t.deepEqual(r.report?.args, ['--region=us-east-1', '--v=2', '--client-secret=<redacted>']);
  t.false(JSON.stringify(r.report).includes('s3cr3t-value'));
});
