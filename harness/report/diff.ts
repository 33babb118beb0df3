// `pullproof diff A B`: what changed between two reports, for release engineers comparing two kubelet
// versions or two runs. Scenarios are matched by key (id@kubelet: the same scenario on the same
// kubelet) or by id (the same scenario across kubelets); the default is by id when the two reports
// tested different kubelet sets, else by key. A verdict changed when the status or the observed
// outcome differs. Timing is compared per scenario (start to verdict), per window (matched by kubelet
// settings) and for the run (wall clock): one sample per report each, so a change is a hint, not a
// measurement of a trend.
import { diffBench, formatBenchDiff, type BenchDiff } from '../bench/diff.ts';
import { UsageError } from '../errors.ts';
import type { Report, ScenarioResult, WindowResult } from './types.ts';

export type MatchBy = 'id' | 'key';

export interface VerdictSide {
  key: string;
  status: ScenarioResult['status'];
  observed?: string;
  expected?: string;
}

export interface VerdictChange {
  /** The id or key both sides share. */
  match: string;
  name: string;
  a: VerdictSide;
  b: VerdictSide;
}

export interface TimingChange {
  match: string;
  a: number;
  b: number;
  /** b - a, seconds. */
  delta: number;
  /** b / a - 1 (undefined when a is 0). */
  ratio?: number;
}

export interface ReportDiff {
  by: MatchBy;
  /** Why this matching was chosen (the default) or "--by given". */
  byReason: string;
  a: { runId: string; kubelets: string[]; suites: string[] };
  b: { runId: string; kubelets: string[]; suites: string[] };
  changed: VerdictChange[];
  added: VerdictSide[];
  removed: VerdictSide[];
  unchanged: number;
  timing: {
    how: string;
    scenarios: TimingChange[];
    windows: TimingChange[];
    run: TimingChange;
  };
  /** Both reports are bench reports (pullproof bench latency): per arm the change with its 95% interval. */
  bench?: BenchDiff;
}

const side = (r: ScenarioResult): VerdictSide => ({
  key: r.key, status: r.status,
  ...(r.observed ? { observed: `${r.observed.outcome}${r.observed.cause ? ` (${r.observed.cause})` : ''}` } : {}),
  ...(r.expected ? { expected: `${r.expected.outcome}${r.expected.cause ? ` (${r.expected.cause})` : ''}` } : {}),
});

function timing(match: string, a: number, b: number): TimingChange {
  return { match, a, b, delta: b - a, ...(a > 0 ? { ratio: b / a - 1 } : {}) };
}

/** The default matching: by id when the reports tested different kubelet sets (comparing kubelets), else by key. */
export function defaultMatch(a: Report, b: Report): { by: MatchBy; reason: string } {
  const ka = [...new Set(a.scenarios.filter((s) => s.kind === 'oracle').map((s) => s.kubelet))].sort().join(',');
  const kb = [...new Set(b.scenarios.filter((s) => s.kind === 'oracle').map((s) => s.kubelet))].sort().join(',');
  return ka === kb ? { by: 'key', reason: `both reports tested the same kubelets (${ka || 'none'})` } : { by: 'id', reason: `the reports tested different kubelets (${ka || 'none'} vs ${kb || 'none'})` };
}

function index(r: Report, by: MatchBy, which: string): Map<string, ScenarioResult> {
  const m = new Map<string, ScenarioResult>();
  for (const s of r.scenarios) {
    const k = by === 'key' ? s.key : s.id;
    const prev = m.get(k);
    if (prev) throw new UsageError('--by', `--by id cannot pair ${which}'s ${prev.key} and ${s.key}: the report ran ${s.id} on more than one kubelet`, 'use --by key, or compare reports of one kubelet each');
    m.set(k, s);
  }
  return m;
}

function windowSignature(w: WindowResult, by: MatchBy): string {
  return `${by === 'key' ? `kubelet ${w.kubelet}, ` : ''}settings ${JSON.stringify(w.settings)}${w.exclusive ? ', exclusive' : ''}`;
}

function windowTimes(r: Report, by: MatchBy): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const w of [...r.windows].sort((x, y) => x.index - y.index)) m.set(windowSignature(w, by), [...(m.get(windowSignature(w, by)) ?? []), w.seconds]);
  return m;
}

export function diffReports(a: Report, b: Report, o: { by?: MatchBy } = {}): ReportDiff {
  const d = defaultMatch(a, b);
  const by = o.by ?? d.by;
  const ia = index(a, by, 'the first report');
  const ib = index(b, by, 'the second report');
  const changed: VerdictChange[] = [];
  const removed: VerdictSide[] = [];
  const added: VerdictSide[] = [];
  const scenarioTimes: TimingChange[] = [];
  let unchanged = 0;
  for (const [k, ra] of ia) {
    const rb = ib.get(k);
    if (!rb) { removed.push(side(ra)); continue; }
    const sa = side(ra), sb = side(rb);
    if (sa.status !== sb.status || sa.observed !== sb.observed) changed.push({ match: k, name: rb.name, a: sa, b: sb });
    else unchanged++;
    if (ra.startedAt && rb.startedAt) scenarioTimes.push(timing(k, ra.seconds, rb.seconds));
  }
  for (const [k, rb] of ib) if (!ia.has(k)) added.push(side(rb));
  const wa = windowTimes(a, by), wb = windowTimes(b, by);
  const windows: TimingChange[] = [];
  for (const [sig, ta] of wa) {
    const tb = wb.get(sig) ?? [];
    ta.forEach((t, i) => { if (tb[i] !== undefined) windows.push(timing(ta.length > 1 ? `${sig} #${i + 1}` : sig, t, tb[i] as number)); });
  }
  return {
    by, byReason: o.by ? `--by ${o.by} given` : d.reason,
    a: { runId: a.run.id, kubelets: a.run.kubelets, suites: a.run.suites },
    b: { runId: b.run.id, kubelets: b.run.kubelets, suites: b.run.suites },
    changed, added, removed, unchanged,
    timing: {
      how: 'scenario: its start to its verdict; window: the worker\'s configuration to its last verdict; run: wall clock; one sample in each report (the harness clock)',
      scenarios: scenarioTimes, windows, run: timing('run', a.run.seconds, b.run.seconds),
    },
    ...(a.bench && b.bench ? { bench: diffBench(a.bench, b.bench) } : {}),
  };
}

const WORD: Record<ScenarioResult['status'], string> = { passed: 'agrees', failed: 'disagrees', 'known-bug': 'known bug', 'not-applicable': 'not applicable', error: 'error', flaky: 'flaky', 'not-run': 'not run', observed: 'observed (not judged)' };

function verdict(s: VerdictSide): string {
  return `${WORD[s.status]}${s.observed ? ` (observed ${s.observed})` : ''}`;
}

function secs(t: TimingChange): string {
  const pct = t.ratio === undefined ? '' : `, ${t.ratio >= 0 ? '+' : ''}${(t.ratio * 100).toFixed(0)}%`;
  return `${t.a.toFixed(1)} s -> ${t.b.toFixed(1)} s (${t.delta >= 0 ? '+' : ''}${t.delta.toFixed(1)} s${pct})`;
}

/** A timing change worth a line in the text output: at least 1 s and 20 % (all are in --json). */
export function notable(t: TimingChange): boolean {
  return Math.abs(t.delta) >= 1 && (t.ratio === undefined || Math.abs(t.ratio) >= 0.2);
}

export function formatDiff(d: ReportDiff): string {
  const lines = [
    `pullproof diff: run ${d.a.runId} (kubelets ${d.a.kubelets.join(', ') || 'none'}) -> run ${d.b.runId} (kubelets ${d.b.kubelets.join(', ') || 'none'})`,
    `matched by ${d.by}: ${d.byReason}`,
    '',
    `Verdicts changed: ${d.changed.length}`,
    ...d.changed.map((c) => `  ${c.match}: ${verdict(c.a)} -> ${verdict(c.b)}\n    ${c.name}${c.a.expected !== c.b.expected ? `\n    expected ${c.a.expected ?? '-'} -> ${c.b.expected ?? '-'}` : ''}`),
    `Scenarios added: ${d.added.length}`,
    ...d.added.map((s) => `  + ${s.key}: ${verdict(s)}`),
    `Scenarios removed: ${d.removed.length}`,
    ...d.removed.map((s) => `  - ${s.key}: ${verdict(s)}`),
    `Unchanged verdicts: ${d.unchanged}`,
    '',
    `Timing (${d.timing.how}); lines for changes of at least 1 s and 20 %:`,
    `  run: ${secs(d.timing.run)}`,
  ];
  const sc = d.timing.scenarios.filter(notable);
  lines.push(`  scenarios: ${sc.length} of ${d.timing.scenarios.length} compared changed notably`, ...sc.map((t) => `    ${t.match}: ${secs(t)}`));
  const ws = d.timing.windows.filter(notable);
  lines.push(`  windows: ${ws.length} of ${d.timing.windows.length} compared changed notably`, ...ws.map((t) => `    ${t.match}: ${secs(t)}`));
  if (d.bench) lines.push('', formatBenchDiff(d.bench).trimEnd());
  return lines.join('\n') + '\n';
}
