// The HTML report: one self-contained page (inline CSS and SVG; no font, no image and no style from
// anywhere else; one small inline script, the filters, allowed by its hash in a Content-Security-Policy
// that forbids loading anything), readable offline, with scripts off, and safe to archive as a CI
// artifact. Its first screen: the verdict in a sentence, what did not pass, and the verdict matrix as a
// picture per kubelet version and suite (verification policy x pull policy x credential case, the
// loophole with the gate off beside it). Then the verdict matrix in words, the loophole beside its
// closure, a timeline of the run (scenarios overlapping, by window and worker), each failure's detail,
// the windows, measurements, checks and environment, and the specification's sections for the rules it
// cites. Every number says how it was measured.
import { renderBenchHtml } from '../bench/html.ts';
import { policyOf } from './junit.ts';
import { SPEC_FILE, specSectionsHtml } from './specification.ts';
import { kubeletsIn, preReleaseSentence, unmodelledSentences, setAsideSentence, type Report, type ScenarioResult, type ScenarioStatus } from './types.ts';
import { versionLabel } from '../oracle/versions.ts';
import { contentSecurityPolicy, FILTER_CSS, FILTER_SCRIPT_ELEMENT, filterAttrs, filters } from './filters.ts';
import { AXES, DETAILED, detailId, FILL, h, NOT_PASSED_ORDER, VERDICT } from './markup.ts';
import { PICTURE_CSS, pictures } from './picture.ts';
import { plainExpected, plainOutcome } from './words.ts';

const CSS = `
:root{--fg:#1d1f23;--muted:#5f6670;--line:#d8dce1;--bg:#fff}
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--fg);background:var(--bg);margin:0;padding:24px 32px;max-width:1400px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}h3{font-size:15px;margin:16px 0 6px}
.muted,.how{color:var(--muted)}.how{font-size:12px;margin:4px 0 8px}code{font:12px ui-monospace,"DejaVu Sans Mono",monospace;background:#f3f4f6;padding:1px 4px;border-radius:3px}
table{border-collapse:collapse;margin:6px 0 10px}th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}th{background:#f6f7f9;font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.chips{display:flex;flex-wrap:wrap;gap:6px;margin:10px 0}.chip{padding:3px 10px;border-radius:12px;font-weight:600;border:1px solid transparent;white-space:nowrap}
.v-pass{background:#e3f4e6;color:#1b5e20;border-color:#a5d6a7}.v-fail{background:#fde4e4;color:#b71c1c;border-color:#ef9a9a}
.v-bug{background:#f1e4f7;color:#5b1a7a;border-color:#ce93d8}.v-obs{background:#e3f2fd;color:#0d3c61;border-color:#90caf9}.v-na{background:#eef0f2;color:#4b5259;border-color:#cfd4d9}
.v-err{background:#fff0dc;color:#a34500;border-color:#ffcc80}.v-flaky{background:#fff7cf;color:#7a5d00;border-color:#f0d56b}
.v-notrun{background:#fff;color:#6b7280;border:1px dashed #9ca3af}
.cell{display:block;padding:3px 6px;margin:2px 0;border-radius:4px;border:1px solid transparent;font-size:13px}
.banner{padding:8px 12px;border-radius:6px;margin:10px 0;font-weight:600}.banner.bad{background:#fde4e4;color:#b71c1c}.banner.ok{background:#e3f4e6;color:#1b5e20}
details{border:1px solid var(--line);border-radius:6px;margin:8px 0;padding:6px 10px}summary{cursor:pointer;font-weight:600}
.pair{display:grid;grid-template-columns:1fr 1fr;gap:10px;margin:8px 0}.pair>div{border-radius:6px;padding:8px 10px}
svg text{font:11px system-ui,sans-serif;fill:#1d1f23}svg .lane{fill:#f6f7f9}svg .axis{stroke:#9ca3af}
.legend{display:flex;flex-wrap:wrap;gap:6px;margin:6px 0}
#not-passed-title{margin-top:14px}.scroll{max-height:30vh;overflow:auto;border:1px solid var(--line);margin:6px 0 10px}.scroll>table{margin:0;width:100%}.scroll thead th{position:sticky;top:0}
@media print{.scroll{max-height:none;overflow:visible}}
`;

function chip(status: ScenarioStatus, n?: number): string {
  const v = VERDICT[status];
  return `<span class="chip ${v.cls}">${v.mark} ${n === undefined ? '' : `${n} `}${h(v.word)}</span>`;
}

function outcomeText(r: ScenarioResult): string {
  if (r.kind === 'check') return 'self-check';
  const e = r.expected;
  return e ? `${e.outcome}${e.cause ? ` (${e.cause})` : ''}` : '';
}

function cell(r: ScenarioResult): string {
  const v = VERDICT[r.status];
  const observed = r.observed ? `; observed ${r.observed.outcome}${r.observed.cause ? ` (${r.observed.cause})` : ''}` : '';
  const tip = `${r.name} [${r.key}]: ${v.word}; expected ${outcomeText(r)}${observed}${r.message ? `; ${r.message}` : ''}`;
  const anchor = DETAILED.includes(r.status) ? '' : ` id="${detailId(r)}"`;
  return `<span class="cell ${v.cls}" title="${h(tip)}"${anchor} data-key="${h(r.key)}" ${filterAttrs(r)} data-outcome="${h(outcomeText(r))}">${v.mark} ${h(plainExpected(r))}</span>`;
}

/** The run's verdict in one sentence, in plain words. */
export function verdictSentence(report: Report): string {
  const s = report.summary;
  const kubelets = report.run.kubelets.map(versionLabel).join(', ') || 'no kubelet';
  const bugs = s.knownBugs ? `; ${s.knownBugs} ${s.knownBugs === 1 ? 'behaves as a known kubelet bug' : 'behave as known kubelet bugs'} (reported, not failed)` : '';
  const flaky = s.flaky ? `; ${s.flaky} agreed only on a retry` : '';
  if (!report.run.complete) return `Incomplete: the run stopped before it finished (${report.run.incompleteReason ?? 'interrupted'}); ${s.passed} of ${s.total} scenarios passed before that.`;
  if (report.run.exitCode === 0) return `Passed: on ${kubelets}, every one of ${s.total - s.notApplicable} applicable scenarios agreed with the specification${bugs}${flaky}.`;
  if (report.run.exitCode === 1) return `Failed: on ${kubelets}, ${s.failed} of ${s.total - s.notApplicable} applicable scenarios disagreed with the specification (the kubelet did something else than specified)${bugs}.`;
  if (report.run.exitCode === 4) return 'Nothing ran: every scenario was filtered out or is not applicable to these kubelets.';
  return `Not judged in full: ${s.errors} scenario(s) could not be judged and ${s.notRun} did not run (a harness or infrastructure problem, not a verdict on the kubelet); ${s.failed} disagreed with the specification.`;
}

/** The first screen: every scenario that did not pass, worst first, with its cause and a link to its detail (in a box of its own height, so that the matrix picture shows below it). */
function notPassed(report: Report): string {
  const list = NOT_PASSED_ORDER.flatMap((st) => report.scenarios.filter((r) => r.status === st));
  if (!list.length) return '';
  const shown = list.slice(0, 30);
  const what = (r: ScenarioResult): string => {
    if (r.status === 'not-run' || r.status === 'error' || !r.observed) return h(r.message ?? '');
    return `expected: ${h(plainExpected(r))}.<br>Observed: ${h(plainOutcome(r.observed.outcome, r.observed.cause))}${r.observed.summary ? ` (${h(r.observed.summary)})` : ''}.${r.status === 'known-bug' && r.expected?.knownBug ? `<br>Known bug kubernetes#${r.expected.knownBug.issue}.` : ''}${r.status === 'failed' && r.message ? `<div class="how">${h(r.message)}</div>` : ''}`;
  };
  return [`<h2 id="not-passed-title">Did not pass (${list.length})</h2>`,
    `<div class="scroll" role="region" aria-label="scenarios that did not pass" tabindex="0"><table id="not-passed"><thead><tr><th>Verdict</th><th>Kubelet</th><th>Scenario</th><th>What happened</th><th></th></tr></thead><tbody>`,
    ...shown.map((r) => `<tr ${filterAttrs(r)}><td>${chip(r.status)}</td><td>${h(versionLabel(r.kubelet))}</td><td>${h(r.name)}</td><td>${what(r)}</td><td>${r.status === 'not-run' ? '' : `<a href="#${detailId(r)}">details</a>`}</td></tr>`),
    '</tbody></table>',
    list.length > shown.length ? `<p class="how">… and ${list.length - shown.length} more, each in the details below.</p>` : '', '</div>'].join('\n');
}

/** Row label of a scenario in the matrix: gate, policy, pull policy, credential case, then any other labels; the sentence when it has none. */
function rowOf(r: ScenarioResult): { key: string; cols: string[] } {
  if (!AXES.some((a) => r.labels[a] !== undefined)) return { key: `name:${r.name}`, cols: ['', '', '', '', r.name] };
  const other = Object.entries(r.labels).filter(([k]) => !AXES.includes(k)).map(([k, v]) => `${k}: ${v}`).join(', ');
  const cols = [r.labels.gate ?? '', r.labels.gate === 'off' && !r.labels.policy ? '(gate off)' : policyOf(r.labels), r.labels.pullPolicy ?? '', r.labels.credential ?? '', other];
  return { key: cols.join('\u0000'), cols };
}

function matrix(report: Report): string {
  const oracle = report.scenarios.filter((r) => r.kind === 'oracle');
  const checks = report.scenarios.filter((r) => r.kind === 'check');
  const out: string[] = [];
  const suites = [...new Set(oracle.map((r) => r.suite))];
  for (const suite of suites) {
    const list = oracle.filter((r) => r.suite === suite);
    const kubelets = [...new Set(list.map((r) => r.kubelet))];
    const rows = new Map<string, { cols: string[]; by: Map<string, ScenarioResult[]> }>();
    for (const r of list) {
      const row = rowOf(r);
      const entry = rows.get(row.key) ?? { cols: row.cols, by: new Map<string, ScenarioResult[]>() };
      entry.by.set(r.kubelet, [...(entry.by.get(r.kubelet) ?? []), r]);
      rows.set(row.key, entry);
    }
    const sorted = [...rows.values()].sort((a, b) => a.cols.join('|').localeCompare(b.cols.join('|')));
    out.push(`<section data-filter-group><h3>Suite <code>${h(suite)}</code></h3>`,
      `<table class="matrix"><thead><tr><th>Gate</th><th>Policy</th><th>Pull policy</th><th>Credential</th><th>Other</th>${kubelets.map((k) => `<th>kubelet ${h(versionLabel(k))}</th>`).join('')}</tr></thead><tbody>`,
      ...sorted.map((row) => `<tr data-filter-group>${row.cols.map((c) => `<td>${h(c)}</td>`).join('')}${kubelets.map((k) => `<td>${(row.by.get(k) ?? []).map(cell).join('') || '<span class="muted">not in this run</span>'}</td>`).join('')}</tr>`),
      '</tbody></table></section>');
  }
  if (checks.length) {
    out.push('<h3>Harness self-checks</h3><table><thead><tr><th>Suite</th><th>Check</th><th>Verdict</th><th>Time</th></tr></thead><tbody>',
      ...checks.map((r) => `<tr data-filter-group><td><code>${h(r.suite)}</code></td><td>${h(r.name)}</td><td>${cell(r)}${r.message ? `<div class="muted">${h(r.message)}</div>` : ''}</td><td class="num">${r.seconds.toFixed(1)} s</td></tr>`),
      '</tbody></table>');
  }
  return out.join('\n');
}

/** Scenarios labelled gate: off beside their twin with gate: on (same suite, kubelet, pull policy, credential case and policy). */
function loophole(report: Report): string {
  const oracle = report.scenarios.filter((r) => r.kind === 'oracle');
  const twin = (r: ScenarioResult): string => JSON.stringify([r.suite, r.kubelet, r.labels.pullPolicy, r.labels.credential, r.labels.policy, Object.entries(r.labels).filter(([k]) => !['gate', 'policy'].includes(k)).sort()]);
  const pairs: [ScenarioResult, ScenarioResult][] = [];
  for (const off of oracle.filter((r) => r.labels.gate === 'off')) {
    const on = oracle.find((r) => r.labels.gate === 'on' && twin(r) === twin(off));
    if (on) pairs.push([off, on]);
  }
  if (!pairs.length) return '<p class="muted">No scenario pair in this report differs only by the gate (labels gate: off and gate: on).</p>';
  const side = (r: ScenarioResult, title: string): string => `<div class="${VERDICT[r.status].cls}"><strong>${h(title)}</strong><br>${h(r.name)}<br>expected <code>${h(outcomeText(r))}</code>${r.observed ? `, observed <code>${h(r.observed.outcome)}</code>` : ''}: ${h(VERDICT[r.status].word)}${r.observed ? `<div class="muted">${h(r.observed.summary)}</div>` : r.message ? `<div class="muted">${h(r.message)}</div>` : ''}</div>`;
  return pairs.map(([off, on]) => `<h3>${h(off.suite)} on kubelet ${h(off.kubelet)}: ${h(off.labels.pullPolicy ?? '')}, ${h(off.labels.credential ?? '')}</h3><div class="pair">${side(off, 'KubeletEnsureSecretPulledImages off (the loophole)')}${side(on, 'KubeletEnsureSecretPulledImages on (its closure)')}</div>`).join('\n');
}

/** The run as SVG: one band per window (and worker), scenarios as bars packed into rows so overlapping ones sit one above the other. */
export function timeline(report: Report): string {
  const timed = report.scenarios.filter((r) => r.startedAt && r.finishedAt);
  const untimed = report.scenarios.length - timed.length;
  if (!timed.length) return `<p class="muted">No scenario has a start and end time (${untimed} not run or not applicable).</p>`;
  const t0 = Math.min(Date.parse(report.run.startedAt), ...timed.map((r) => Date.parse(r.startedAt as string)));
  const t1 = Math.max(Date.parse(report.run.finishedAt), ...timed.map((r) => Date.parse(r.finishedAt as string)));
  const span = Math.max(1, (t1 - t0) / 1000);
  const groups = new Map<string, { label: string; window?: { startedAt: string; seconds: number }; list: ScenarioResult[] }>();
  for (const r of timed) {
    const w = r.window !== undefined ? report.windows.find((x) => x.index === r.window && (!r.worker || x.worker === r.worker)) : undefined;
    const key = r.window !== undefined ? `w${r.window}@${r.worker ?? ''}` : `suite:${r.suite}`;
    const label = r.window !== undefined ? `window ${r.window} · kubelet ${r.kubelet}\n${r.worker ?? ''}` : `${r.suite} (no kubelet window)\n`;
    const g = groups.get(key) ?? { label, window: w, list: [] };
    g.list.push(r);
    groups.set(key, g);
  }
  const labelW = 330, plotW = 820, rowH = 14, gap = 10, top = 24;
  const x = (ms: number): number => labelW + ((ms - t0) / 1000 / span) * plotW;
  const parts: string[] = [];
  let y = top;
  for (const g of [...groups.values()].sort((a, b) => Math.min(...a.list.map((r) => Date.parse(r.startedAt as string))) - Math.min(...b.list.map((r) => Date.parse(r.startedAt as string))))) {
    // Greedy interval packing: a bar goes on the first row whose last bar has ended.
    const rowsEnd: number[] = [];
    const placed = [...g.list].sort((a, b) => Date.parse(a.startedAt as string) - Date.parse(b.startedAt as string)).map((r) => {
      const s = Date.parse(r.startedAt as string), e = Date.parse(r.finishedAt as string);
      let row = rowsEnd.findIndex((end) => end <= s);
      if (row < 0) { row = rowsEnd.length; rowsEnd.push(e); } else rowsEnd[row] = e;
      return { r, s, e, row };
    });
    const height = Math.max(30, rowsEnd.length * rowH + 6);
    parts.push(`<rect class="lane" x="${labelW}" y="${y}" width="${plotW}" height="${height}"/>`);
    if (g.window) {
      const ws = Date.parse(g.window.startedAt);
      parts.push(`<rect x="${x(ws).toFixed(1)}" y="${y}" width="${Math.max(1, (g.window.seconds / span) * plotW).toFixed(1)}" height="${height}" fill="#dbe7f3"><title>${h(`${g.label.replace('\n', ' on ')}: ${g.window.seconds.toFixed(1)} s from the worker's configuration to its last scenario (one sample)`)}</title></rect>`);
    }
    const [line1 = '', line2 = ''] = g.label.split('\n');
    const fit = (t: string): string => (t.length > 50 ? `${t.slice(0, 49)}…` : t);
    parts.push(`<text x="4" y="${y + 12}">${h(fit(line1))}</text><text x="4" y="${y + 25}" fill="#5f6670">${h(fit(line2))}</text>`);
    for (const p of placed) {
      const tip = `${p.r.name} [${p.r.key}]: ${VERDICT[p.r.status].word}, ${((p.e - p.s) / 1000).toFixed(1)} s (start to verdict, this run)`;
      parts.push(`<rect x="${x(p.s).toFixed(1)}" y="${y + 3 + p.row * rowH}" width="${Math.max(2, x(p.e) - x(p.s)).toFixed(1)}" height="${rowH - 3}" rx="2" fill="${FILL[p.r.status]}"><title>${h(tip)}</title></rect>`);
    }
    y += height + gap;
  }
  // Axis with about eight ticks at round seconds.
  const step = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600].find((s) => span / s <= 8) ?? 7200;
  const ticks: string[] = [];
  for (let s = 0; s <= span + 1e-9; s += step) {
    const tx = labelW + (s / span) * plotW;
    ticks.push(`<line class="axis" x1="${tx.toFixed(1)}" y1="${top - 4}" x2="${tx.toFixed(1)}" y2="${y - gap}"/><text x="${(tx + 2).toFixed(1)}" y="${top - 8}">${s} s</text>`);
  }
  const width = labelW + plotW + 20;
  const maxParallel = Math.max(0, ...[...groups.values()].map((g) => overlap(g.list)));
  return `<svg id="timeline" width="${width}" height="${y + 4}" viewBox="0 0 ${width} ${y + 4}" role="img" aria-label="timeline of the run">${parts.join('')}<g opacity="0.45">${ticks.join('')}</g></svg>
<div class="legend">${(Object.keys(FILL) as ScenarioStatus[]).filter((st) => st !== 'not-applicable' && st !== 'not-run').map((st) => `<span class="chip" style="background:${FILL[st]};color:#fff">${h(VERDICT[st].word)}</span>`).join('')}</div>
<p class="how">Bars: each scenario from its start (its namespaces and images being created) to its verdict, as the harness clock saw it (one sample per scenario and attempt; a retried scenario's bar spans its attempts). Blue bands: a kubelet-configuration window on its worker. At most ${maxParallel} scenario(s) overlapped within one window. ${untimed} scenario(s) have no time (not run or not applicable) and are not drawn. Axis: seconds since the run started (${h(new Date(t0).toISOString())}).</p>`;
}

/** Most scenarios running at the same moment in a list. */
export function overlap(list: readonly ScenarioResult[]): number {
  const ev = list.flatMap((r) => [[Date.parse(r.startedAt as string), 1], [Date.parse(r.finishedAt as string), -1]] as [number, number][]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let n = 0, best = 0;
  for (const [, d] of ev) { n += d; best = Math.max(best, n); }
  return best;
}

function detail(r: ScenarioResult): string {
  const v = VERDICT[r.status];
  const rows: string[] = [];
  const e = r.expected, o = r.observed;
  rows.push('<table><thead><tr><th></th><th>Expected (oracle)</th><th>Observed</th></tr></thead><tbody>');
  rows.push(`<tr><th>Outcome</th><td><code>${h(e?.outcome ?? '')}</code>${e?.cause ? ` (${h(e.cause)})` : ''}${e?.reason ? `<div>${h(e.reason)}</div>` : ''}</td><td><code>${h(o?.outcome ?? 'no observation')}</code>${o?.cause ? ` (${h(o.cause)})` : ''}${o ? `<div>${h(o.summary)}</div>` : ''}</td></tr>`);
  if (e || o) {
    rows.push(`<tr><th>Registry contact</th><td>${e ? (e.registryContact ? 'yes' : 'no') : ''}</td><td>${o ? `${o.requests.filter((q) => q.target === 'registry').length} registry request(s)` : ''}</td></tr>`);
    rows.push(`<tr><th>Event</th><td>${e?.event ? `${h(e.event.reason)}: …${h(e.event.contains)}…` : ''}</td><td>${o?.events.map((x) => `${h(x.type)} ${h(x.reason)}: ${h(x.message)}`).join('<br>') ?? ''}</td></tr>`);
    rows.push(`<tr><th>Record afterwards</th><td><code>${h(JSON.stringify(e?.record ?? null))}</code></td><td><code>${h(JSON.stringify(o?.record ?? null))}</code></td></tr>`);
    if (o?.container) rows.push(`<tr><th>Container</th><td></td><td>${h(o.container.state)}${o.container.reason ? ` (${h(o.container.reason)})` : ''}${o.container.message ? `: ${h(o.container.message)}` : ''}</td></tr>`);
    if (o?.timings.seconds !== undefined) rows.push(`<tr><th>Time to decision</th><td></td><td>${o.timings.seconds.toFixed(2)} s (pod creation to the kubelet's decision, as the watch saw it; one sample)</td></tr>`);
  }
  rows.push('</tbody></table>');
  if (e?.rules.length) rows.push(`<h4>Rules applied</h4><ol>${e.rules.map((x) => `<li><a href="#spec-${h(x.id)}"><code>${h(x.id)}</code></a> (specification ${h(x.section)}): ${h(x.text)}</li>`).join('')}</ol>`);
  if (e?.knownBug) rows.push(`<p>Known bug <strong>kubernetes#${e.knownBug.issue}</strong>: ${h(e.knownBug.title)} (a buggy kubelet gives <code>${h(e.knownBug.outcome)}</code>).</p>`);
  if (o?.requests.length) {
    rows.push(`<h4>Requests attributed to this scenario (${o.requests.length})</h4><table><thead><tr><th>At</th><th>Target</th><th>Request</th><th>Status</th><th>Identity</th><th>Fault</th></tr></thead><tbody>`,
      ...o.requests.slice(0, 50).map((q) => `<tr><td>${h(q.at)}</td><td>${h(q.target)}</td><td>${h(q.method)} ${h(q.kind)}</td><td class="num">${q.status}</td><td>${h(q.identity)}</td><td>${h(q.fault ?? '')}</td></tr>`), '</tbody></table>');
  }
  if (r.containers?.length) {
    rows.push('<h4>Containers</h4><p class="how">The table above is container main; each container of the pod is judged on its own, and the scenario is as bad as its worst.</p><table><thead><tr><th>Container</th><th>Verdict</th><th>Expected (oracle)</th><th>Observed</th></tr></thead><tbody>',
      ...r.containers.map((c) => `<tr><td><code>${h(c.name)}</code> (${h(c.kind)}, <code>${h(c.image)}</code>)</td><td><span class="chip ${VERDICT[c.status].cls}">${VERDICT[c.status].mark} ${h(VERDICT[c.status].word)}</span></td><td>${h(plainOutcome(c.expected.outcome, c.expected.cause))} <code>${h(c.expected.rules.map((x) => x.id).join(' > '))}</code></td><td>${c.observed ? `${h(plainOutcome(c.observed.outcome, c.observed.cause))}<div>${h(c.observed.summary)}</div>` : 'no observation'}${c.message ? `<div>${h(c.message)}</div>` : ''}</td></tr>`),
      '</tbody></table>');
  }
  if (r.setup.length) rows.push(`<h4>Setup</h4><ul>${r.setup.map((s) => `<li>${s.ok ? '✓' : '✗'} ${h(s.what)}: expected <code>${h(s.expected)}</code>, observed <code>${h(s.observed)}</code></li>`).join('')}</ul>`);
  if (r.attempts.length) rows.push(`<h4>Attempts</h4><ul>${r.attempts.map((a) => `<li>attempt ${a.attempt}: ${h(VERDICT[a.status].word)} after ${a.seconds.toFixed(1)} s${a.message ? `: ${h(a.message)}` : ''}</li>`).join('')}</ul>`);
  if (r.notes?.length) rows.push(`<h4>Notes</h4><ul>${r.notes.map((n) => `<li>${h(n)}</li>`).join('')}</ul>`);
  if (r.bundle) rows.push(`<p>Reproduction bundle: <code>${h(r.bundle)}</code> (in the report folder: pod YAML, records before and after, kubelet and containerd logs, requests, REPLAY.md).</p>`);
  return `<details open class="failure" id="${detailId(r)}"><summary><span class="chip ${v.cls}">${v.mark} ${h(v.word)}</span> ${h(r.name)} <code>${h(r.key)}</code></summary>${r.message ? `<p>${h(r.message)}</p>` : ''}${rows.join('\n')}</details>`;
}

export function renderHtml(report: Report): string {
  const s = report.summary;
  const counts: [ScenarioStatus, number][] = [['passed', s.passed], ['failed', s.failed], ['known-bug', s.knownBugs], ['flaky', s.flaky], ['error', s.errors], ['not-applicable', s.notApplicable], ['not-run', s.notRun], ['observed', s.observed ?? 0]];
  const problems = report.scenarios.filter((r) => DETAILED.includes(r.status));
  const failOpen = report.scenarios.filter((r) => r.failOpen);
  const failedChecks = report.checks.filter((c) => !c.ok);
  const setAsideHtml = setAsideSentence(report, { count: (n) => `<strong>${n}</strong>`, key: (k) => `<code>${h(k)}</code>` });
  const preRelease = preReleaseSentence(report);
  const title = `pullproof report: ${report.run.suites.join(', ')} (run ${report.run.id})`;
  const sentence = `<p id="verdict" class="banner ${report.run.exitCode === 0 ? 'ok' : 'bad'}">${h(verdictSentence(report))}</p>`;
  const meaning = report.run.exitCode === 0 ? 'every scenario agreed with the oracle; known bugs and flaky passes are reported below' : report.run.exitCode === 1 ? 'a conformance failure (an observation disagrees with the oracle)' : report.run.exitCode === 3 ? 'an infrastructure failure, an error, or scenarios that did not run' : report.run.exitCode === 4 ? 'nothing ran' : 'interrupted';
  const verdict = `<p class="how" id="exit-code">Exit code ${report.run.exitCode}: ${meaning}.</p>`;
  const body = [
    `<h1 id="title">${h(title)}</h1>`,
    `<p class="muted">pullproof ${h(report.pullproof)}, schema <code>${h(report.schema)}</code>. Kubelets ${h(kubeletsIn(report).join(', ') || '(none)')}${report.run.shard ? `, shard ${report.run.shard.index}/${report.run.shard.total}` : ''}. ${h(report.run.startedAt)} to ${h(report.run.finishedAt)}: ${report.run.seconds.toFixed(1)} s wall clock (the harness clock, one sample). <code>--parallel ${report.run.parallel}</code>, <code>--retries ${report.run.retries}</code>.</p>`,
    ...(preRelease ? [`<p class="prerelease"><strong>Pre-release.</strong> ${h(preRelease)}</p>`] : []),
    ...unmodelledSentences(report).map((u) => `<p class="prerelease unmodelled"><strong>Not modelled yet.</strong> ${h(u)}</p>`),
    report.run.kubeletBuild ? `<p id="kubelet-build">Kubelet under test: <code>${h(report.run.kubeletBuild.reported)}</code> (${h(report.run.kubeletBuild.source)} <code>${h(report.run.kubeletBuild.origin)}</code>), sha256 <code>${h(report.run.kubeletBuild.sha256)}</code>${report.run.kubeletBuild.commit ? `, commit <code>${h(report.run.kubeletBuild.commit)}</code>` : ''}, answering for ${h(report.run.kubeletBuild.release)}${report.run.kubeletLimits ? `; the oracle was told its limits: ${h(Object.entries(report.run.kubeletLimits).map(([k, v]) => `${k}=${v}`).join(', '))}` : ''}.</p>` : '',
    report.run.complete ? '' : `<div class="banner bad">Incomplete report: ${h(report.run.incompleteReason ?? 'interrupted')}.</div>`,
    report.mergedFrom ? `<p>Merged from ${report.mergedFrom.length} shard report(s): ${report.mergedFrom.map((m) => `run <code>${h(m.runId)}</code>${m.shard ? ` (shard ${m.shard.index}/${m.shard.total})` : ''} from <code>${h(m.reportDir)}</code>`).join('; ')}.</p>` : '',
    sentence,
    verdict,
    filters(report),
    notPassed(report),
    failOpen.length ? `<div class="banner bad" id="fail-open"><strong>Fails open:</strong> ${failOpen.length} observed scenario(s) ran a pod the oracle's fail-safe reading refuses (a pod without the credentials runs a private image): ${failOpen.map((r) => `<code>${h(r.key)}</code>`).join(', ')}.</div>` : '',
    pictures(report),
    `<div class="chips" id="counts">${counts.map(([st, n]) => chip(st, n)).join('')}<span class="chip v-na">${s.total} scenario(s)</span></div>`,
    setAsideHtml ? `<p id="set-aside" class="how">${setAsideHtml}</p>` : '',
    // A bench report (pullproof bench latency): its tables and plots come first.
    report.bench ? renderBenchHtml(report.bench) : '',
    '<h2>Verdict matrix</h2>',
    '<p class="how">Each cell: the oracle\'s expected outcome for that kubelet, coloured by whether the observation agrees. Hover for the scenario, its key and the observed outcome. Rows come from scenario labels (gate, policy, pull policy, credential case); scenarios without labels are rows of their own.</p>',
    `<div class="legend">${(Object.keys(VERDICT) as ScenarioStatus[]).map((st) => chip(st)).join('')}</div>`,
    matrix(report),
    '<h2>The loophole and its closure</h2>',
    '<p class="how">Scenarios that differ only in KubeletEnsureSecretPulledImages (labels gate: off and gate: on), side by side.</p>',
    loophole(report),
    '<h2>Timeline</h2>',
    timeline(report),
    `<h2>Failures, errors, known bugs and flaky passes (${problems.length})</h2>`,
    problems.length ? problems.map(detail).join('\n') : '<p class="muted">None.</p>',
  ];
  if (report.windows.length) {
    body.push('<h2>Kubelet configuration windows</h2>', '<p class="how">Time: from the worker\'s configuration to its last scenario\'s verdict (one sample per window and attempt). Restarts: <code>systemctl restart kubelet</code> until healthz answers and a Ready heartbeat newer than the restart (one sample each).</p>',
      '<table><thead><tr><th>Window</th><th>Worker</th><th>Kubelet</th><th>Settings</th><th>Scenarios</th><th>Parallel</th><th>Restarts</th><th>Time</th></tr></thead><tbody>',
      ...report.windows.map((w) => `<tr><td class="num">${w.index}</td><td>${h(w.worker)}</td><td>${h(w.kubelet)}</td><td><code>${h(JSON.stringify(w.settings))}</code></td><td class="num">${w.scenarios}</td><td class="num">${w.parallel}${w.exclusive ? ' (exclusive)' : ''}</td><td>${w.restarts.map((x) => `${h(x.why)}: ${x.seconds.toFixed(1)} s`).join('<br>') || 'none'}</td><td class="num">${w.seconds.toFixed(1)} s</td></tr>`),
      '</tbody></table>');
  }
  body.push('<h2>Measurements</h2>', report.measurements.length
    ? `<table><thead><tr><th>Measure</th><th>Value</th><th>Samples</th><th>How it was measured</th></tr></thead><tbody>${report.measurements.map((m) => `<tr><td>${h(m.name)}</td><td class="num">${m.value.toFixed(2)} ${h(m.unit)}</td><td class="num">${m.samples}</td><td>${h(m.how)}</td></tr>`).join('')}</tbody></table>`
    : '<p class="muted">No measurement in this run.</p>');
  body.push(`<h2>Infrastructure checks (${report.checks.length - failedChecks.length} of ${report.checks.length} passed)</h2>`,
    `<table><tbody>${report.checks.map((c) => `<tr><td>${c.ok ? chip('passed') : chip('failed')}</td><td>${h(c.name)}</td><td>${h(c.message ?? '')}</td></tr>`).join('')}</tbody></table>`);
  const env = report.environment;
  body.push('<h2>Run environment</h2><ul>',
    ...env.clusters.map((c) => `<li>Cluster <code>${h(c.name)}</code>: control plane ${h(c.controlPlane)}, node image <code>${h(c.nodeImage)}</code>${c.kind ? `, kind ${h(c.kind)}` : ''}; nodes ${c.nodes.map((n) => `${h(n.name)} (${h(n.role)}, kubelet ${h(n.kubelet)}${n.build ? `, ${h(n.build.source)}` : ''})`).join(', ')}.${Object.keys(c.timings).length ? ` Timings (one sample each): ${Object.entries(c.timings).map(([k, v]) => (typeof v === 'number' ? `${h(k)} ${v.toFixed(1)} s` : `${h(k)} ${String(v)}`)).join(', ')}.` : ''}</li>`),
    env.registry ? `<li>Registry ${h(env.registry.host)} at ${h(env.registry.endpoint)}.</li>` : '',
    env.fence ? `<li>Egress fence on ${h(env.fence.subnet)}: <strong>${env.fence.droppedPackets} packet(s) dropped</strong> (the DOCKER-USER rule's counter, read at ${h(env.fence.readAt)} just before the rule was removed).</li>` : '<li>No egress fence (run with --online, or no network was created).</li>',
    `<li>Host: ${h(report.run.host.os)}, kernel ${h(report.run.host.kernel)}, ${report.run.host.cpus} CPUs, ${report.run.host.memoryGiB} GiB${report.run.host.docker ? `, Docker ${h(report.run.host.docker)}` : ''}${report.run.host.cgroup ? `, cgroup ${h(report.run.host.cgroup)}` : ''}.</li>`,
    `<li>Command: <code>pullproof ${h(report.run.command.join(' '))}</code></li>`,
    '</ul>');
  // The specification's sections for the rules cited above, so that every rule link resolves inside this one file.
  const cited = problems.flatMap((r) => r.expected?.rules.map((x) => x.id) ?? []);
  if (cited.length) {
    body.push('<h2 id="specification">Specification cited</h2>',
      `<p class="how">The sections of pullproof's specification (<code>${h(SPEC_FILE)}</code> in its repository) for the rules applied above: what the kubelet does, per version, and the KEP, kubelet source and upstream issues it comes from.</p>`,
      ...specSectionsHtml(cited).map((x) => `<section class="spec" id="spec-${h(x.id)}">${x.html}</section>`));
  }
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy()}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${h(title)}</title>
<style>${CSS}${PICTURE_CSS}${FILTER_CSS}</style>
</head>
<body>
${body.filter(Boolean).join('\n')}
${FILTER_SCRIPT_ELEMENT}
</body>
</html>
`;
}
