// Filters by status, suite and kubelet version over the HTML report: three selects and a small inline
// script, the page's only script. The Content-Security-Policy allows exactly that script, by the sha256
// of its text, and loading nothing from anywhere. The controls are rendered hidden and the script shows
// them, so with scripts off there is nothing to click and everything stays visible.
//
// What a filter acts on: every element with data-status, data-suite and data-kubelet (a row of what did
// not pass, a cell of the verdict matrix, a square of the matrix picture) is hidden when it does not
// match; an element marked data-filter-group (a matrix row, a picture, a kubelet's pictures) is hidden
// when nothing in it matches.
import { createHash } from 'node:crypto';
import { h } from './markup.ts';
import type { Report, ScenarioResult, ScenarioStatus } from './types.ts';
import { versionLabel } from '../oracle/versions.ts';
import { STATUS_WORDS } from './words.ts';

/** The script, as it is written into the page (its hash is taken over exactly this text). */
export const FILTER_SCRIPT = `
const form = document.getElementById('filters');
const items = document.querySelectorAll('[data-status]');
const groups = document.querySelectorAll('[data-filter-group]');
function apply() {
  const want = ['status', 'suite', 'kubelet'].map((k) => [k, form.elements.namedItem(k).value]);
  for (const el of items) el.classList.toggle('off', want.some(([k, v]) => v && el.dataset[k] !== v));
  for (const g of groups) g.classList.toggle('off', !g.querySelector('[data-status]:not(.off)'));
}
form.addEventListener('change', apply);
form.hidden = false;
`;

export const FILTER_CSS = `
[hidden]{display:none!important}.off{display:none}
#filters{display:flex;flex-wrap:wrap;gap:6px 16px;align-items:center;position:sticky;top:0;z-index:1;background:var(--bg);padding:3px 0;margin:0;font-size:13px}
#filters select{font:inherit}
`;

/** The page's Content-Security-Policy: nothing loaded, inline styles, and only the filter script, by its hash. */
export function contentSecurityPolicy(): string {
  const hash = createHash('sha256').update(FILTER_SCRIPT).digest('base64');
  return `default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-${hash}'; base-uri 'none'; form-action 'none'`;
}

/** The attributes a filter reads off an element that stands for one scenario. */
export function filterAttrs(r: Pick<ScenarioResult, 'status' | 'suite' | 'kubelet'>): string {
  return `data-status="${h(r.status)}" data-suite="${h(r.suite)}" data-kubelet="${h(r.kubelet)}"`;
}

function choice(name: string, label: string, every: string, options: [string, string][]): string {
  return `<label>${h(label)} <select name="${name}"><option value="">${h(every)}</option>${options.map(([v, text]) => `<option value="${h(v)}">${h(text)}</option>`).join('')}</select></label>`;
}

/** The script element, for the end of the page (it reads every element above it). */
export const FILTER_SCRIPT_ELEMENT = `<script>${FILTER_SCRIPT}</script>`;

/** The filter controls, hidden until the script shows them. */
export function filters(report: Report): string {
  const count = (st: ScenarioStatus): number => report.scenarios.filter((r) => r.status === st).length;
  const statuses = (Object.keys(STATUS_WORDS) as ScenarioStatus[]).filter((st) => count(st));
  const suites = [...new Set(report.scenarios.map((r) => r.suite))];
  const kubelets = [...new Set(report.scenarios.map((r) => r.kubelet))];
  return `<form id="filters" hidden><strong>Show</strong>${[
    choice('status', 'status', 'every status', statuses.map((st) => [st, `${STATUS_WORDS[st]} (${count(st)})`])),
    choice('suite', 'suite', 'every suite', suites.map((s) => [s, s])),
    choice('kubelet', 'kubelet', 'every version', kubelets.map((k) => [k, versionLabel(k)])),
  ].join('')}<span class="how">hides the rows and squares below that do not match</span></form>`;
}
