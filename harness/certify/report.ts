// The certification report: what was judged (plugin, its sha256 and version, args and env with values
// redacted, the config, the Kubernetes versions), every exec, and per version every check as pass,
// fail with a reason, or not run with a reason. Written as JSON and as text; both redacted.
import type { CredentialProvider } from '../credprovider/types.ts';
import type { KubernetesVersion } from '../credprovider/versions.ts';

export type CheckStatus = 'pass' | 'fail' | 'not-run';

export interface CheckResult {
  id: string;
  title: string;
  status: CheckStatus;
  /** Why it failed, why it was not run, or what was measured when it passed. */
  reason: string;
}

export interface CallRecord {
  scenario: string;
  description: string;
  request: { image: string; token: string; annotationKeys: string[] };
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  timedOut: boolean;
  /** Every process certify ended after or instead of the plugin's own exit. */
  ended: { pid: number; command: string; leftProcessGroup: boolean; heldStdout: boolean; wasPlugin: boolean }[];
  stdoutHeldBy?: { pid: number; command: string }[];
  /** First 2000 characters, redacted. */
  stderr: string;
  stdoutBytes: number;
  spawnError?: string;
}

export interface VersionResult {
  kubernetes: KubernetesVersion;
  /** The release whose kubelet code judged this version. */
  release: string;
  saTokenGate: boolean | null;
  /** What this kubelet would do with the first valid call's response (its first rejection, in its words). */
  kubelet: string;
  verdict: 'pass' | 'fail';
  checks: CheckResult[];
}

/** certify --in-cluster: the vendor's plugin on real kubelets, per version. */
export interface InClusterResult {
  runId: string;
  /** The engine run's report folder (report.json, junit.xml, index.html, logs). */
  reportDir: string;
  exitCode: number;
  complete: boolean;
  plugin: { name: string; sha256: string; host: string; backend: string };
  versions: {
    kubernetes: KubernetesVersion;
    kubelet: string;
    verdict: 'pass' | 'fail' | 'not-applicable';
    passed: number;
    failed: number;
    knownBugs: number;
    notApplicable: number;
    /** The exact CredentialProviderConfig this kubelet read. */
    config?: string;
    scenarios: { id: string; status: string; expected?: string; observed?: string; stsExchanges?: number; message?: string }[];
  }[];
  verdict: 'pass' | 'fail';
  fence?: { droppedPackets: number };
  how: string;
}

export interface CertifyReport {
  tool: { name: 'pullproof'; version: string };
  startedAt: string;
  durationSeconds: number;
  plugin: { path: string; sha256: string; sizeBytes: number; version: string };
  args: string[];
  env: string[];
  config: { source: string; provider: CredentialProvider };
  kubernetes: KubernetesVersion[];
  image: string;
  timeoutMs: number;
  serviceAccount?: { namespace: string; name: string; issuer: string; audience: string };
  calls: CallRecord[];
  results: VersionResult[];
  verdict: 'pass' | 'fail';
  summary: { pass: number; fail: number; notRun: number };
  how: string;
  inCluster?: InClusterResult;
}

const MARK: Record<CheckStatus, string> = { pass: 'PASS', fail: 'FAIL', 'not-run': 'NOT RUN' };

export function formatReport(r: CertifyReport): string {
  const lines: string[] = [];
  lines.push(`pullproof ${r.tool.version} certify: ${r.verdict === 'pass' ? 'PASSED' : 'FAILED'} (${r.summary.pass} passed, ${r.summary.fail} failed, ${r.summary.notRun} not run)`);
  lines.push(`plugin:     ${r.plugin.path}`);
  lines.push(`  sha256:   ${r.plugin.sha256}`);
  lines.push(`  version:  ${r.plugin.version}`);
  lines.push(`  args:     ${r.args.length ? r.args.join(' ') : '(none)'}`);
  lines.push(`  env:      ${r.env.length ? r.env.join(' ') : '(none)'}`);
  lines.push(`config:     ${r.config.source}: provider ${r.config.provider.name}, apiVersion ${r.config.provider.apiVersion}, matchImages ${r.config.provider.matchImages.join(', ')}${r.config.provider.tokenAttributes ? `, tokenAttributes (audience ${r.config.provider.tokenAttributes.serviceAccountTokenAudience}, cacheType ${r.config.provider.tokenAttributes.cacheType ?? 'unset'})` : ''}`);
  lines.push(`image:      ${r.image}`);
  lines.push(`timeout:    ${r.timeoutMs / 1000}s per call`);
  if (r.serviceAccount) lines.push(`tokens:     ${r.serviceAccount.namespace}/${r.serviceAccount.name}, issuer ${r.serviceAccount.issuer}, audience ${r.serviceAccount.audience}`);
  lines.push('calls:');
  for (const c of r.calls) {
    const end = c.spawnError ? `could not start: ${c.spawnError}` : c.timedOut ? `killed after ${(c.durationMs / 1000).toFixed(1)}s (timeout)` : `exit ${c.exitCode ?? `signal ${c.signal}`} in ${c.durationMs.toFixed(0)} ms`;
    const left = c.ended.filter((p) => !p.wasPlugin);
    lines.push(`  ${c.scenario}: ${end}${c.stdoutHeldBy ? `; stdout held by ${c.stdoutHeldBy.map((h) => `${h.pid} (${h.command})`).join(', ')}` : ''}${left.length ? `; ended ${left.map((p) => `${p.pid} (${p.command}${p.leftProcessGroup ? ', outside the plugin\'s process group' : ''})`).join(', ')}` : ''}`);
  }
  for (const v of r.results) {
    lines.push(`Kubernetes ${v.kubernetes} (kubelet code ${v.release})${v.saTokenGate === null ? '' : ` (${v.saTokenGate ? 'SA-token gate on' : 'SA-token gate off'})`}: ${v.verdict.toUpperCase()}`);
    lines.push(`  kubelet: ${v.kubelet}`);
    for (const c of v.checks) lines.push(`  ${MARK[c.status].padEnd(7)} ${c.title}${c.reason ? `: ${c.reason}` : ''}`);
  }
  lines.push(`how: ${r.how}`);
  const c = r.inCluster;
  if (c) {
    lines.push(`in a cluster: ${c.verdict === 'pass' ? 'PASSED' : 'FAILED'} (run ${c.runId}, exit ${c.exitCode}${c.complete ? '' : ', incomplete'}; report ${c.reportDir})`);
    lines.push(`  plugin:   ${c.plugin.name} sha256 ${c.plugin.sha256}, images under ${c.plugin.host}, backend ${c.plugin.backend}`);
    for (const v of c.versions) {
      lines.push(`  Kubernetes ${v.kubernetes} (kubelet ${v.kubelet}): ${v.verdict.toUpperCase()} (${v.passed} passed, ${v.failed} failed${v.knownBugs ? `, ${v.knownBugs} known bugs` : ''}${v.notApplicable ? `, ${v.notApplicable} not applicable` : ''})`);
      for (const s of v.scenarios) lines.push(`    ${s.status.toUpperCase().padEnd(8)} ${s.id}: expected ${s.expected ?? '-'}, observed ${s.observed ?? '-'}${s.message && s.status !== 'passed' ? ` (${s.message.slice(0, 300)})` : ''}`);
    }
    if (c.fence) lines.push(`  fence: ${c.fence.droppedPackets} packets dropped`);
    lines.push(`  how: ${c.how}`);
  }
  return lines.join('\n') + '\n';
}
