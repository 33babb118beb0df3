// The verdict matrix as a picture: per kubelet version and suite, one small grid of coloured squares,
// one a scenario, each a link to its detail, with its key and outcome in plain words as hover text and a
// mark for anything but a pass (colour is never the only carrier). Scenarios labelled with the matrix
// axes read as verification policy (column groups; the gate off, the loophole, a group beside the
// policies) x pull policy (columns) x credential case and any other label (rows); a suite without those
// labels is a run of squares in scenario order. HTML and CSS only: it reads the same with scripts off.
import { filterAttrs } from './filters.ts';
import { AXES, detailId, FILL, h, idOf, VERDICT } from './markup.ts';
import type { Report, ScenarioResult, ScenarioStatus } from './types.ts';
import { versionLabel } from '../oracle/versions.ts';
import { plainExpected, plainOutcome, STATUS_WORDS } from './words.ts';

export const PICTURE_CSS = `
.pics{display:flex;flex-wrap:wrap;gap:4px 28px;align-items:flex-start}.band h3{margin:6px 0 2px}.glance{display:flex;flex-wrap:wrap;align-items:baseline;gap:4px 18px;margin:16px 0 4px;border-bottom:1px solid var(--line)}.glance h2{margin:0;border:0}.glance .legend{margin:0}
.pic{margin:0 0 6px}.pic figcaption{font-size:12px;margin:0 0 2px}
table.grid{border-collapse:separate;border-spacing:0;margin:0}
table.grid th,table.grid td{border:0;padding:1px;background:none;font-weight:400;font-size:10px;line-height:11px;text-align:center;vertical-align:bottom;color:var(--muted)}
table.grid .gh{max-width:76px;margin:0 auto}table.grid th.row{text-align:right;padding:0 6px 0 0;white-space:nowrap;font-size:11px;vertical-align:middle}
table.grid .gs,table.grid .loop{border-left:1px solid var(--line);padding-left:3px}table.grid .loop{border-left:2px dashed #6b7280}table.grid thead th{padding-right:3px}
.px{display:inline-block;width:14px;height:14px;border-radius:2px;font-size:10px;font-weight:700;line-height:14px;text-align:center;color:#fff;text-decoration:none;vertical-align:middle}
a.px:hover,a.px:focus{outline:2px solid var(--fg);outline-offset:1px}.px.off{display:inline-block;visibility:hidden}
.chunks{display:flex;gap:16px;align-items:flex-start}.strip{display:flex;flex-wrap:wrap;gap:2px;max-width:340px}.key{white-space:nowrap;margin-right:10px;font-size:13px}
${(Object.keys(FILL) as ScenarioStatus[]).map((st) => `.px.s-${st}{background:${FILL[st]}}`).join('')}
.px.s-flaky,.px.s-not-applicable{color:var(--fg)}.px.s-not-run{background:#fff;color:var(--fg);border:1px dashed #6b7280}
`;

/** Short names for pull policies in the column heads (the legend spells them out). */
const PULL: Record<string, string> = { Always: 'A', IfNotPresent: 'I', Never: 'N' };

interface Slot { group: string; pull: string; row: string }

/** The column group: the verification policy, and the gate when it is not simply on. */
function groupOf(l: Record<string, string>): string {
  const gate = l.gate && l.gate !== 'on' ? `gate ${l.gate}` : undefined;
  if (!l.policy) return gate ?? (l.gate ? 'gate on' : '');
  return !gate || l.policy === gate ? l.policy : `${l.policy}, ${gate}`;
}

/** Where a scenario sits in its suite's grid; undefined when it has none of the axes. */
function slotOf(l: Record<string, string>): Slot | undefined {
  if (!AXES.some((a) => l[a] !== undefined)) return undefined;
  const row = [l.credential, ...Object.entries(l).filter(([k]) => !AXES.includes(k)).map(([, v]) => v)].filter(Boolean).join(', ');
  return { group: groupOf(l), pull: l.pullPolicy ?? '', row: row || 'any' };
}

/** The hover text: the scenario's key, its status and what was expected (and observed, when it differs) in plain words. */
function tip(r: ScenarioResult): string {
  const o = r.observed;
  const differs = o && (o.outcome !== r.expected?.outcome || o.cause !== r.expected?.cause);
  return `${r.key}: ${STATUS_WORDS[r.status]}. Expected: ${plainExpected(r) || 'no prediction'}${differs ? `; observed: ${plainOutcome(o.outcome, o.cause)}` : ''}.`;
}

function mark(st: ScenarioStatus): string {
  return st === 'passed' ? '' : VERDICT[st].mark;
}

function square(r: ScenarioResult): string {
  return `<a class="px s-${r.status}" href="#${detailId(r)}" title="${h(tip(r))}" ${filterAttrs(r)}>${mark(r.status)}</a>`;
}

/** A group or pull policy name that may break before its inner capitals (NeverVerify<wbr>Preloaded<wbr>Images). */
function breakable(s: string): string {
  return h(s).replace(/([a-z])([A-Z])/g, '$1<wbr>$2');
}

const uniq = (xs: string[]): string[] => [...new Set(xs)];

interface Column { group: string; pull: string; first: boolean }

/** The line before a column group: dashed before the loophole (the gate off), plain before the others. */
function edge(c: Column, loop: ReadonlySet<string>): string {
  return c.first ? ` class="${loop.has(c.group) ? 'loop' : 'gs'}"` : '';
}

/** The head rows: the column groups, then each group's pull policies. */
function head(groups: string[], cols: Column[], loop: ReadonlySet<string>): string {
  const title = (g: string): string => (loop.has(g) ? ' title="KubeletEnsureSecretPulledImages off: the loophole, beside the policies that close it"' : '');
  return `<tr><th></th>${groups.map((g) => `<th colspan="${cols.filter((c) => c.group === g).length}" class="${loop.has(g) ? 'loop' : 'gs'}"${title(g)}><div class="gh">${breakable(g)}</div></th>`).join('')}</tr>`
    + `<tr><th></th>${cols.map((c) => `<th${edge(c, loop)} title="pull policy ${h(c.pull)}">${h(PULL[c.pull] ?? c.pull)}</th>`).join('')}</tr>`;
}

function grid(list: ScenarioResult[]): string {
  const placed = list.map((r) => ({ r, s: slotOf(r.labels) }));
  if (!placed.every((x): x is { r: ScenarioResult; s: Slot } => x.s !== undefined)) return `<div class="strip">${list.map(square).join('')}</div>`;
  const groups = uniq(placed.map((x) => x.s.group));
  const pulls = uniq(placed.map((x) => x.s.pull));
  const cols = groups.flatMap((group) => pulls.filter((pull) => placed.some((x) => x.s.group === group && x.s.pull === pull)).map((pull, i) => ({ group, pull, first: i === 0 })));
  const loop = new Set(placed.filter((x) => x.r.labels.gate === 'off').map((x) => x.s.group));
  const at = (row: string, c: Column): string => placed.filter((x) => x.s.row === row && x.s.group === c.group && x.s.pull === c.pull).map((x) => square(x.r)).join('');
  const body = uniq(placed.map((x) => x.s.row)).map((row) => `<tr><th class="row">${h(row)}</th>${cols.map((c) => `<td${edge(c, loop)}>${at(row, c)}</td>`).join('')}</tr>`);
  return `<div class="chunks">${chunks(body).map((rows) => `<table class="grid"><thead>${head(groups, cols, loop)}</thead><tbody>${rows.join('')}</tbody></table>`).join('')}</div>`;
}

/** At most MAX_ROWS rows a table, so that a picture fits one screen: a longer grid is cut into tables side by side of about equal length. */
const MAX_ROWS = 30;

function chunks<T>(rows: T[]): T[][] {
  const size = Math.ceil(rows.length / Math.ceil(rows.length / MAX_ROWS));
  return Array.from({ length: Math.ceil(rows.length / size) }, (_, i) => rows.slice(i * size, (i + 1) * size));
}

/** How many scenarios of a list have each status, in the legend's order. */
function tally(list: readonly ScenarioResult[]): string {
  const n = (st: ScenarioStatus): number => list.filter((r) => r.status === st).length;
  return (Object.keys(STATUS_WORDS) as ScenarioStatus[]).filter(n).map((st) => `${n(st)} ${STATUS_WORDS[st]}`).join(', ');
}

function legend(): string {
  return `<div class="legend" id="picture-legend">${(Object.keys(STATUS_WORDS) as ScenarioStatus[]).map((st) => `<span class="key"><span class="px s-${st}">${mark(st)}</span> ${h(STATUS_WORDS[st])}</span>`).join('')}</div>`;
}

/** A kubelet's suite as a picture with its tally ('' when the suite has no scenario on that kubelet). */
function figure(kubelet: string, suite: string, list: ScenarioResult[]): string {
  if (!list.length) return '';
  return `<figure class="pic" id="picture-${idOf(`${kubelet}-${suite}`)}" data-filter-group><figcaption><code>${h(suite)}</code> <span class="muted">${h(tally(list))}</span></figcaption>${grid(list)}</figure>`;
}

/** One picture per kubelet version and suite, the kubelets in the run's order. */
export function pictures(report: Report): string {
  if (!report.scenarios.length) return '';
  const kubelets = uniq([...report.run.kubelets, ...report.scenarios.map((r) => r.kubelet)]);
  const suites = uniq([...report.run.suites, ...report.scenarios.map((r) => r.suite)]);
  const bands = kubelets.map((k) => {
    const pics = suites.map((s) => figure(k, s, report.scenarios.filter((r) => r.kubelet === k && r.suite === s))).filter(Boolean);
    return pics.length ? `<section class="band" data-filter-group><h3>kubelet ${h(versionLabel(k))}</h3><div class="pics">${pics.join('')}</div></section>` : '';
  });
  return [
    `<div class="glance"><h2 id="at-a-glance">At a glance</h2>${legend()}</div>`,
    ...bands,
    '<p class="how">Each square is one scenario on one kubelet, coloured by its verdict, with a mark for anything but a pass; hover for its key and, in plain words, what was expected and observed; click for its detail. Grids read as verification policy (column groups; <em>gate off</em>, behind a dashed line, is the loophole with KubeletEnsureSecretPulledImages off, beside the policies that close it) x pull policy (A Always, I IfNotPresent, N Never) x credential case (rows, with any other label of the scenario). A suite whose scenarios have none of these labels is a run of squares in scenario order.</p>',
  ].join('\n');
}
