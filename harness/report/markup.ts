// What the parts of the HTML report share: escaping, each status's words, mark, class and colour, the
// labels a matrix is laid out by, and the anchor of a scenario's detail.
import type { ScenarioResult, ScenarioStatus } from './types.ts';

export const h = (s: unknown): string => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/** Verdict words and colours: agree / disagree / known bug / not applicable / error / flaky / not run. */
export const VERDICT: Record<ScenarioStatus, { word: string; mark: string; cls: string }> = {
  passed: { word: 'agrees', mark: '✓', cls: 'v-pass' },
  failed: { word: 'disagrees', mark: '✗', cls: 'v-fail' },
  'known-bug': { word: 'known bug', mark: '⚑', cls: 'v-bug' },
  'not-applicable': { word: 'not applicable', mark: '–', cls: 'v-na' },
  error: { word: 'error', mark: '!', cls: 'v-err' },
  flaky: { word: 'flaky (agreed on a retry)', mark: '~', cls: 'v-flaky' },
  'not-run': { word: 'not run', mark: '·', cls: 'v-notrun' },
  observed: { word: 'observed (not judged)', mark: '◌', cls: 'v-obs' },
};

/** Solid colours per status: the timeline's bars and the matrix picture's squares. */
export const FILL: Record<ScenarioStatus, string> = { passed: '#66bb6a', failed: '#e53935', 'known-bug': '#ab47bc', 'not-applicable': '#b0b7bf', error: '#fb8c00', flaky: '#e0b400', 'not-run': '#d1d5db', observed: '#64b5f6' };

/** The labels a matrix is laid out by: gate, verification policy, pull policy, credential case. */
export const AXES: readonly string[] = ['gate', 'policy', 'pullPolicy', 'credential'];

/** The order scenarios that did not pass are listed in (the terminal's recap, the HTML report's first screen): wrong verdicts, then what could not be judged, then the rest. */
export const NOT_PASSED_ORDER: readonly ScenarioStatus[] = ['failed', 'error', 'not-run', 'flaky', 'known-bug', 'observed'];

/** Statuses whose scenarios have a detail block of their own; the others' detail is their cell in the verdict matrix. */
export const DETAILED: readonly ScenarioStatus[] = ['failed', 'error', 'known-bug', 'flaky', 'observed'];

/** Text made safe for an id. */
export function idOf(text: string): string {
  return text.replace(/[^A-Za-z0-9_.-]+/g, '-');
}

/** The anchor of a scenario's detail. */
export function detailId(r: Pick<ScenarioResult, 'key'>): string {
  return `detail-${idOf(r.key)}`;
}
