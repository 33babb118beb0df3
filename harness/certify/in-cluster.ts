// certify --in-cluster: the vendor's plugin and provider entry installed on a worker of each kubelet
// version (kind clusters the skew policy plans: a 1.35 control plane for 1.32 to 1.35 kubelets, the
// newest version's own above), the vendor-plugin suite run by the engine against pullproof's AWS
// emulation, and the verdicts per version added to the certification report with the plugin's sha256,
// the exact config each kubelet read and the run's report folder (JUnit, HTML, logs) as evidence.
import type { CertifyReport, InClusterResult } from './report.ts';
import { vendorPlugin } from '../engine/vendor.ts';
import { factsOf } from '../oracle/versions.ts';
import { vendorSuite } from '../../suites/vendor-plugin.ts';

export interface InClusterOptions {
  reportDir?: string;
  keep?: boolean;
  timeoutMs?: number;
  command: string[];
}

/** Runs the vendor-plugin suite on every version of the report; returns what is added to the report. */
export async function certifyInCluster(report: CertifyReport, pluginPath: string, o: InClusterOptions): Promise<InClusterResult> {
  const v = vendorPlugin(pluginPath, report.config.provider, report.config.source, report.plugin.sha256);
  const releases = report.kubernetes.map((k) => factsOf(k)?.release).filter((r): r is string => !!r);
  const { runEngine } = await import('../engine/run.ts');
  const result = await runEngine({
    suites: [vendorSuite(v)], kubelets: releases, parallel: 4, retries: 1, workersPerKubelet: 1,
    reportDir: o.reportDir, keep: o.keep, timeoutMs: o.timeoutMs, command: o.command, vendor: v, label: 'certify-in-cluster',
  });
  const r = result.report;
  const versions = report.kubernetes.map((k) => {
    const release = factsOf(k)?.release ?? k;
    const scenarios = r.scenarios.filter((s) => s.kubelet === release);
    const count = (st: string): number => scenarios.filter((s) => s.status === st).length;
    const failed = count('failed') + count('error') + count('not-run');
    const verdict: InClusterResult['versions'][number]['verdict'] = scenarios.length && scenarios.every((s) => s.status === 'not-applicable') ? 'not-applicable' : failed ? 'fail' : 'pass';
    return {
      kubernetes: k, kubelet: release, verdict,
      passed: count('passed') + count('flaky'), failed, knownBugs: count('known-bug'), notApplicable: count('not-applicable'),
      config: r.environment.vendorPlugin?.configs[release],
      scenarios: scenarios.map((s) => ({
        id: s.id, status: s.status, expected: s.expected?.outcome, observed: s.observed?.outcome,
        stsExchanges: s.expected?.stsExchanges, message: s.status === 'passed' ? undefined : s.message,
      })),
    };
  });
  return {
    runId: r.run.id, reportDir: result.reportDir, exitCode: result.exitCode, complete: r.run.complete,
    plugin: { name: v.name, sha256: v.sha256, host: v.host, backend: 'AWS STS AssumeRoleWithWebIdentity + ECR GetAuthorizationToken (pullproof emulation)' },
    versions,
    verdict: result.exitCode === 0 && versions.every((x) => x.verdict !== 'fail') ? 'pass' : 'fail',
    fence: r.environment.fence ? { droppedPackets: r.environment.fence.droppedPackets } : undefined,
    how: `the engine's vendor-plugin suite (${r.scenarios.length} scenario runs) on real kubelets in kind nodes built from source; every expectation is the oracle's, from the vendor's tokenAttributes; STS exchanges are the AssumeRoleWithWebIdentity calls the emulation saw for the scenario's service accounts; --retries 1 (a pass on the retry is reported flaky)`,
  };
}
