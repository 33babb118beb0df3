// The bench as a pullproof report (schema pullproof-report/v1 with its `bench` section): every check
// of the bench is a check-kind scenario, so JUnit gets one testcase per check (each arm's slope proof,
// each arm doing what it claims, the harness's own time), arms that cannot apply to the kubelet are
// not applicable with the reason, and the exit code follows `pullproof run`'s rules (0 pass, 1 a check
// failed, 3 infrastructure or incomplete, 4 nothing ran). Pure: the tests build reports without a cluster.
import { MEASURES, type Arm, type ArmId } from '../arms.ts';
import type { BenchResult } from '../result.ts';
import { MAX_CI_WIDTH } from '../slope.ts';
import { exitCodeFor, REPORT_SCHEMA, summarize, type Check, type ClusterInfo, type Measurement, type Report, type ScenarioResult, type WindowResult } from '../../report/types.ts';

export const BENCH_SUITE = 'bench-latency';

export interface BenchRunInfo {
  id: string;
  command: string[];
  startedAt: Date;
  finishedAt: Date;
  complete: boolean;
  incompleteReason?: string;
  /** 130/143 when interrupted by a signal; otherwise the code follows from the report. */
  signalExit?: number;
  kubelet: string;
  host: Report['run']['host'];
}

function check(id: string, name: string, kubelet: string, status: ScenarioResult['status'], message: string | undefined, at: Date, labels: Record<string, string>): ScenarioResult {
  const r: ScenarioResult = { kind: 'check', id, key: id, suite: BENCH_SUITE, name, kubelet, labels, status, setup: [], attempts: [], seconds: 0 };
  if (message) r.message = message;
  if (status !== 'not-applicable' && status !== 'not-run') {
    r.attempts = [{ attempt: 1, status, startedAt: at.toISOString(), seconds: 0, ...(message ? { message } : {}) }];
  }
  return r;
}

/** One check-kind scenario per bench check, and one per arm that cannot apply. */
export function benchScenarios(result: BenchResult | undefined, kubelet: string, notApplicable: { arm: Arm; reason: string }[], planned: readonly ArmId[], at: Date, why?: string): ScenarioResult[] {
  const out: ScenarioResult[] = [];
  for (const armId of planned) {
    const proof = result?.proof.find((p) => p.arm === armId);
    const measure = proof?.measure ?? 'inNode';
    const name = `${armId}: the 95% confidence interval of the ${MEASURES[measure].name} time's slope against the injected delay contains the delayed round trips counted on the critical path and is narrower than ${MAX_CI_WIDTH}`;
    if (!proof || proof.status === 'not-run') {
      out.push(check(`${BENCH_SUITE}/proof/${armId}`, name, kubelet, 'not-run', proof?.reasons.join('; ') || why || 'no samples', at, { arm: armId, check: 'proof' }));
    } else {
      const f = proof.fit;
      const numbers = f && proof.counted ? `slope ${f.slope.toFixed(3)} [${f.ci[0].toFixed(3)}, ${f.ci[1].toFixed(3)}] (width ${(f.ci[1] - f.ci[0]).toFixed(3)}, n=${f.n}), counted ${proof.counted.mean.toFixed(2)} delayed round trips (n=${proof.counted.n})` : '';
      out.push(check(`${BENCH_SUITE}/proof/${armId}`, name, kubelet, proof.status === 'pass' ? 'passed' : 'failed', [numbers, ...proof.reasons].filter(Boolean).join('; '), at, { arm: armId, check: 'proof' }));
    }
    const arm = result?.arms.find((a) => a.id === armId);
    const claims = `${armId} did what it claims (registry contact, plugin execs and the must-pull check on every pod start)`;
    if (!arm) {
      out.push(check(`${BENCH_SUITE}/claims/${armId}`, claims, kubelet, 'not-run', why ?? 'no samples', at, { arm: armId, check: 'claims' }));
    } else {
      const failed = arm.checks.filter((c) => c.status === 'fail');
      const text = arm.checks.map((c) => `${c.what}: ${c.status} (${c.observed})`).join('; ');
      out.push(check(`${BENCH_SUITE}/claims/${armId}`, claims, kubelet, failed.length ? 'failed' : 'passed', text, at, { arm: armId, check: 'claims' }));
    }
  }
  for (const { arm, reason } of notApplicable) {
    out.push(check(`${BENCH_SUITE}/arm/${arm.id}`, `${arm.id}: ${arm.title}`, kubelet, 'not-applicable', reason, at, { arm: arm.id, check: 'applicability' }));
  }
  if (planned.length) {
    const h = result?.harness;
    const name = 'the harness\'s own time per pod start is under 10% of the median pod start';
    if (!h) out.push(check(`${BENCH_SUITE}/harness-overhead`, name, kubelet, 'not-run', why ?? 'not measured (no pod start had every timestamp)', at, { check: 'harness' }));
    else out.push(check(`${BENCH_SUITE}/harness-overhead`, name, kubelet, h.pass ? 'passed' : 'failed', `median ${h.medianHarnessMs.toFixed(1)} ms of a median pod start of ${h.medianPodStartMs.toFixed(1)} ms (${(h.ratio * 100).toFixed(1)}%, n=${h.n})`, at, { check: 'harness' }));
  }
  return out;
}

export interface BenchReportInput {
  run: BenchRunInfo;
  result?: BenchResult;
  notApplicable: { arm: Arm; reason: string }[];
  planned: readonly ArmId[];
  clusters: ClusterInfo[];
  registry?: { host: string; endpoint: string };
  fence?: Report['environment']['fence'];
  windows: WindowResult[];
  checks: Check[];
  measurements: Measurement[];
}

export function benchReport(i: BenchReportInput): Report {
  const scenarios = benchScenarios(i.result, i.run.kubelet, i.notApplicable, i.planned, i.run.finishedAt, i.run.complete ? undefined : i.run.incompleteReason);
  const report: Report = {
    schema: REPORT_SCHEMA,
    pullproof: process.env.npm_package_version ?? '0.1.0',
    run: {
      id: i.run.id, command: i.run.command, startedAt: i.run.startedAt.toISOString(), finishedAt: i.run.finishedAt.toISOString(),
      seconds: (i.run.finishedAt.getTime() - i.run.startedAt.getTime()) / 1000, complete: i.run.complete, exitCode: 0,
      suites: [BENCH_SUITE], kubelets: [i.run.kubelet], parallel: 1, retries: 0, host: i.run.host,
    },
    environment: { clusters: i.clusters },
    windows: i.windows,
    scenarios,
    checks: i.checks,
    measurements: i.measurements,
    summary: summarize(scenarios),
  };
  if (i.run.incompleteReason && !i.run.complete) report.run.incompleteReason = i.run.incompleteReason;
  if (i.registry) report.environment.registry = i.registry;
  if (i.fence) report.environment.fence = i.fence;
  if (i.result) report.bench = i.result;
  report.run.exitCode = i.run.signalExit ?? exitCodeFor(report);
  return report;
}
