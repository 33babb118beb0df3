// The tables of docs/examples/matrix-all/README.md, from the report folders of one `pullproof run --suite
// all --kubelet V` per version: per version the verdicts, wall time, windows, kubelet restarts and the
// parallelism; per suite and version the scenarios and the time spent in them; every scenario that was
// not a plain pass. Usage: node test/manual/matrix-summary.ts DIR...
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Report, ScenarioResult } from '../../harness/report/types.ts';

const reports = process.argv.slice(2).map((d) => JSON.parse(readFileSync(join(d, 'report.json'), 'utf8')) as Report);
const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); const m = Math.floor(s.length / 2); return s.length ? (s.length % 2 ? s[m] as number : ((s[m - 1] as number) + (s[m] as number)) / 2) : NaN; };
const fmt = (s: number): string => `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
const out: string[] = [];
out.push('| Kubelet | Control plane | Scenarios | Passed | Known bug | Flaky (retried) | Failed | Errors | Not applicable | Wall time (cluster up to report) | Windows | Kubelet restarts (median to Ready) | Parallelism | Exit |');
out.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of reports) {
  const s = r.summary;
  const restarts = r.windows.flatMap((w) => w.restarts.map((x) => x.seconds));
  const workers = new Set(r.windows.map((w) => w.worker)).size;
  out.push(`| ${r.run.kubelets.join(', ')} | ${r.environment.clusters.map((c) => c.controlPlane).join(', ') || '-'} | ${s.total} | ${s.passed} | ${s.knownBugs || ''} | ${s.flaky || ''} | ${s.failed || ''} | ${s.errors || ''} | ${s.notApplicable || ''} | ${fmt(r.run.seconds)} | ${r.windows.length} | ${restarts.length} (${median(restarts).toFixed(1)} s) | ${workers} worker(s) x --parallel ${r.run.parallel}, --retries ${r.run.retries} | ${r.run.exitCode} |`);
}
out.push('');
const suites = [...new Set(reports.flatMap((r) => r.scenarios.map((x) => x.suite)))];
out.push(`| Suite | ${reports.map((r) => r.run.kubelets.join(', ')).join(' | ')} |`);
out.push(`|---|${reports.map(() => '---').join('|')}|`);
for (const suite of suites) {
  const cells = reports.map((r) => {
    const xs = r.scenarios.filter((x) => x.suite === suite);
    const ran = xs.filter((x) => x.status !== 'not-applicable');
    if (!ran.length) return xs.length ? `${xs.length} n/a` : '-';
    const busy = ran.reduce((n, x) => n + x.seconds, 0);
    const starts = ran.map((x) => Date.parse(x.startedAt ?? '')).filter(Number.isFinite);
    const ends = ran.map((x) => Date.parse(x.finishedAt ?? '')).filter(Number.isFinite);
    const span = starts.length && ends.length ? (Math.max(...ends) - Math.min(...starts)) / 1000 : 0;
    return `${ran.length} run${xs.length > ran.length ? ` + ${xs.length - ran.length} n/a` : ''}; ${Math.round(busy)} s in scenarios, ${fmt(span)} first to last`;
  });
  out.push(`| ${suite} | ${cells.join(' | ')} |`);
}
out.push('');
out.push('| Kubelet | Scenario | Status | Detail |');
out.push('|---|---|---|---|');
const detail = (x: ScenarioResult): string => (x.status === 'flaky' ? (x.attempts.find((a) => a.status !== 'passed')?.message ?? x.message ?? '') : (x.message ?? '')).replace(/\|/g, '\\|').replace(/\n/g, ' ').slice(0, 260);
for (const r of reports) {
  for (const x of r.scenarios.filter((y) => y.status !== 'passed' && y.status !== 'not-applicable')) out.push(`| ${x.kubelet} | \`${x.id}\` | ${x.status} | ${detail(x)} |`);
}
process.stdout.write(out.join('\n') + '\n');
