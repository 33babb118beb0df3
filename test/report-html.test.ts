// index.html in a real headless browser: Debian's Chromium driven through the DevTools protocol
// (puppeteer-core over a pipe), inside a network namespace of its own with background networking off.
// The page renders (known elements are there), logs no console error, and requests nothing but itself.
import test, { type ExecutionContext } from 'ava';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { visitPage, type PageVisit, type VisitOptions } from '../harness/report/browser.ts';
import { renderHtml } from '../harness/report/html.ts';
import { writeReport } from '../harness/report/write.ts';
import { fixtureReport } from './helpers/report-fixtures.ts';
import { suites } from '../suites/index.ts';
import type { SuiteDefinition } from '../harness/engine/spec.ts';
import { filterAttrs } from '../harness/report/filters.ts';
import type { Report, ScenarioResult } from '../harness/report/types.ts';
import { plainOutcome } from '../harness/report/words.ts';

/** Writes the report to a folder of its own (removed after the test) and opens its index.html in Chromium. */
async function visitReport(t: ExecutionContext, report: Report, o: VisitOptions & { shot?: string } = {}): Promise<PageVisit & { dir: string }> {
  t.timeout(5 * 60_000);
  const dir = mkdtempSync(join(tmpdir(), 'pullproof-html-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeReport(dir, report);
  return { dir, ...(await visitPage(join(dir, 'index.html'), { ...o, screenshot: o.shot && join(dir, o.shot) })) };
}

test('the HTML report renders in headless Chromium with no console error and no request but the file itself', async (t) => {
  const report = fixtureReport();
  const v = await visitReport(t, report, { waitFor: '#title', shot: 'index.png', rects: ['#filters'] });
  t.is(v.found, `pullproof report: smoke, loophole (run ${report.run.id})`);
  t.deepEqual(v.consoleErrors, []);
  t.deepEqual(v.requests, [v.url], 'the page loads nothing but itself');
  t.not(v.browserNetNs, v.ownNetNs, 'Chromium ran in a network namespace of its own');
  t.truthy(v.rects?.['#filters'], 'the script ran (the CSP allowed it by its hash): it showed the filters');
  t.true(statSync(join(v.dir, 'index.png')).size > 10_000, 'a screenshot was taken');
});

test('the page is self-contained: one inline script, allowed by its hash, no external URL, a CSP that forbids loading anything', (t) => {
  const html = renderHtml(fixtureReport());
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
  t.is(scripts.length, 1, 'one script');
  t.is(scripts[0]?.[1], '', 'inline: no src, no attribute');
  t.is([...html.matchAll(/<script/gi)].length, 1);
  const hash = createHash('sha256').update(scripts[0]?.[2] ?? '').digest('base64');
  t.true(html.includes(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-${hash}'; base-uri 'none'; form-action 'none'">`));
  t.notRegex(html, /(https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}/i, 'no URL to another host');
  t.notRegex(html, /<link\b/i);
  t.notRegex(html, /\son[a-z]+=/i, 'no inline event handler');
});

test('the page shows the matrix, the loophole beside its closure, the timeline and every failure\'s detail', (t) => {
  const report = fixtureReport();
  const html = renderHtml(report);
  // Every scenario has a cell in the verdict matrix.
  for (const r of report.scenarios) t.true(html.includes(`data-key="${r.key}"`), r.key);
  t.regex(html, /<th>kubelet v1\.35\.4<\/th><th>kubelet v1\.32\.10<\/th>/);
  t.regex(html, /KubeletEnsureSecretPulledImages off \(the loophole\)<\/strong>.*KubeletEnsureSecretPulledImages on \(its closure\)/s);
  const bars = [...html.matchAll(/<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="11" rx="2"/g)].length;
  t.is(bars, report.scenarios.filter((r) => r.startedAt).length, 'a bar per timed scenario');
  t.regex(html, /At most 4 scenario\(s\) overlapped within one window/);
  const failures = report.scenarios.filter((r) => ['failed', 'error', 'known-bug', 'flaky'].includes(r.status));
  t.is([...html.matchAll(/<details open class="failure" id="detail-[^"]+">/g)].length, failures.length);
  const failed = report.scenarios.find((r) => r.status === 'failed');
  t.true(html.includes(`Reproduction bundle: <code>${failed?.bundle}</code>`));
  t.regex(html, /<a href="#spec-A4\.[^"]+"><code>A4\.[^<]+<\/code><\/a> \(specification A4\)/);
  // Numbers say how they were measured and over how many samples.
  t.regex(html, /<td class="num">6\.20 s<\/td><td class="num">\d+<\/td><td>median over every restart/);
  t.regex(html, /wall clock \(the harness clock, one sample\)/);
});

/** A --suite all report on v1.35.4 (every built-in suite in `all`) in which three scenarios did not pass. */
function allSuitesReport(): ReturnType<typeof fixtureReport> {
  const inAll = Object.values(suites).filter((s): s is SuiteDefinition => typeof (s as SuiteDefinition).scenarios === 'function' && (s as SuiteDefinition).inAll !== false);
  let n = 0;
  return fixtureReport({ suites: inAll, kubelets: ['v1.35.4'], statusOf: (p) => (p.status === 'not-applicable' ? 'not-applicable' : [40, 170].includes(n++) ? 'failed' : n === 201 ? 'known-bug' : 'passed') });
}

test('the first screen answers "did my kubelet pass, and if not, why": the verdict in a sentence, then what did not pass, each linked to its detail', (t) => {
  const report = allSuitesReport();
  t.true(report.scenarios.length >= 249, `${report.scenarios.length} scenarios`);
  const html = renderHtml(report);
  t.regex(html, /<p id="verdict" class="banner bad">Failed: on v1\.35\.4, 2 of \d+ applicable scenarios disagreed with the specification/);
  const rows = [...html.matchAll(/<tr [^>]*><td><span class="chip (v-[a-z]+)">.*?<a href="#(detail-[^"]+)">details<\/a>/g)];
  t.deepEqual(rows.map((m) => m[1]), ['v-fail', 'v-fail', 'v-bug'], 'failures first, then the known bug');
  for (const m of rows) t.true(html.includes(`id="${m[2]}"`), `${m[2]} is an anchor`);
  t.true(html.indexOf('id="not-passed"') < html.indexOf('<h2>Verdict matrix</h2>'), 'what did not pass comes before the matrix');
  // Cells in plain words; the internal outcome stays in data-outcome.
  t.regex(html, /data-outcome="runs-cached">✓ runs from the node&#39;s cache<\/span>/);
  t.regex(html, /data-outcome="pull-fails \(denied\)">✓ refused: the registry denied the pod&#39;s credentials<\/span>/);
  const passing = renderHtml(fixtureReport({ statusOf: (p) => (p.status === 'not-applicable' ? 'not-applicable' : 'passed') }));
  t.regex(passing, /<p id="verdict" class="banner ok">Passed: on v1\.35\.4, v1\.32\.10, every one of \d+ applicable scenarios agreed with the specification\.<\/p>/);
  t.false(passing.includes('id="not-passed"'));
});

/** The HTML of one matrix picture (a kubelet's suite), from its figure to the figure's end. */
function picture(html: string, kubelet: string, suite: string): string {
  const start = html.indexOf(`<figure class="pic" id="picture-${kubelet}-${suite}"`);
  return start < 0 ? '' : html.slice(start, html.indexOf('</figure>', start));
}

/** The text of each cell of a table row, tags stripped. */
const cellsOf = (row: string): string[] => [...row.matchAll(/<th\b[^>]*>(.*?)<\/th>/g)].map((m) => (m[1] ?? '').replace(/<[^>]+>/g, ''));

test('the matrix picture: per kubelet and suite a grid of one square per scenario, verification policy x pull policy x credential case, the gate off beside the policies', (t) => {
  const report = allSuitesReport();
  const html = renderHtml(report);
  const pic = picture(html, 'v1.35.4', 'ensure-secret-pulled');
  const [policies = '', pulls = ''] = pic.match(/<thead>(.*?)<\/thead>/)?.[1]?.split('</tr>') ?? [];
  t.deepEqual(cellsOf(policies), ['', 'NeverVerify', 'NeverVerifyPreloadedImages', 'NeverVerifyAllowlistedImages', 'AlwaysVerify', 'gate off']);
  t.regex(policies, /<th colspan="3" class="loop" title="KubeletEnsureSecretPulledImages off: the loophole[^"]*"><div class="gh">gate off<\/div><\/th>$/, 'the gate off is the last group, behind the loophole\'s dashed line');
  t.deepEqual(cellsOf(pulls), ['', ...Array<string[]>(5).fill(['I', 'N', 'A']).flat()]);
  t.deepEqual([...pic.matchAll(/<th class="row">([^<]*)<\/th>/g)].map((m) => m[1]), ['same-secret', 'same-credentials-other-secret', 'secret-for-another-registry', 'tenant-without-access', 'no-secret', 'missing-secret', 'secret-recreated', 'secret-updated-wrong-password', 'node-wide-credentials', 'public-anonymous']);
  const esp = report.scenarios.filter((r) => r.suite === 'ensure-secret-pulled' && r.kubelet === 'v1.35.4');
  t.is([...pic.matchAll(/<a class="px /g)].length, esp.length, 'one square per scenario');
  // Every scenario has one square in the report, linking to an anchor that exists, with its key and verdict in words as hover text.
  for (const r of report.scenarios) {
    const squares = [...html.matchAll(new RegExp(`<a class="px s-${r.status}" href="#([^"]+)" title="${r.key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ([a-z ,()]+)\\. Expected: [^"]+"`, 'g'))];
    t.is(squares.length, 1, r.key);
    t.true(html.includes(`id="${squares[0]?.[1]}"`), `${r.key}'s square links to ${squares[0]?.[1]}, which exists`);
  }
  const failed = report.scenarios.find((r) => r.status === 'failed' && r.expected && r.observed);
  const words = `${failed?.key}: failed. Expected: ${plainOutcome(failed?.expected?.outcome ?? '', failed?.expected?.cause)}; observed: ${plainOutcome(failed?.observed?.outcome ?? '', failed?.observed?.cause)}.`;
  t.true(html.includes(`title="${words.replace(/'/g, '&#39;')}" ${filterAttrs(failed as ScenarioResult)}>✗</a>`), `a failed square says so in words and carries a mark: ${words}`);
  t.regex(html, /<div class="legend" id="picture-legend"><span class="key"><span class="px s-passed"><\/span> passed<\/span><span class="key"><span class="px s-failed">✗<\/span> failed<\/span>/, 'the legend names the colours');
  t.true(html.indexOf('<div class="scroll"') < html.indexOf('id="picture-v1.35.4-smoke"'), 'the pictures follow what did not pass');
});

test('a suite without the matrix labels is a run of squares in scenario order', (t) => {
  const report = fixtureReport({ kubelets: ['v1.35.4'] });
  for (const r of report.scenarios.filter((x) => x.suite === 'loophole')) r.labels = {};
  const pic = picture(renderHtml(report), 'v1.35.4', 'loophole');
  t.regex(pic, /<div class="strip">(<a class="px [^>]+>[^<]*<\/a>){3}<\/div>/);
  t.deepEqual([...pic.matchAll(/title="([^:]+):/g)].map((m) => m[1]), report.scenarios.filter((x) => x.suite === 'loophole').map((x) => x.key));
});

test('the filters are hidden in the page as written: only the script shows them', (t) => {
  const html = renderHtml(fixtureReport());
  t.regex(html, /<form id="filters" hidden>.*<select name="status"><option value="">every status<\/option><option value="passed">passed \(\d+\)<\/option><option value="failed">failed \(\d+\)<\/option>/);
  t.regex(html, /<select name="suite"><option value="">every suite<\/option><option value="smoke">smoke<\/option><option value="loophole">loophole<\/option><\/select>/);
  t.regex(html, /<select name="kubelet"><option value="">every version<\/option><option value="v1\.35\.4">v1\.35\.4<\/option><option value="v1\.32\.10">v1\.32\.10<\/option><\/select>/);
});

for (const javaScript of [true, false]) {
  test(`at 1400 x 900 in Chromium (JavaScript ${javaScript ? 'on' : 'off'}), the verdict, the first scenario that did not pass and the first matrix picture are on the first screen`, async (t) => {
    const first = ['#verdict', '#not-passed tbody tr', 'figure.pic'];
    const v = await visitReport(t, allSuitesReport(), { waitFor: '#verdict', rects: first, javaScript });
    t.regex(v.found ?? '', /^Failed: on v1\.35\.4, 2 of/);
    for (const sel of first) {
      const r = v.rects?.[sel];
      t.truthy(r, `${sel} is on the page`);
      t.true((r?.bottom ?? Infinity) <= (v.viewportHeight ?? 0), `${sel} ends at ${r?.bottom} px, within the first ${v.viewportHeight} px`);
    }
    t.deepEqual(v.consoleErrors, []);
  });
}

test('in Chromium, every matrix picture fits one 1400 x 900 screen', async (t) => {
  const report = allSuitesReport();
  const v = await visitReport(t, report, { boxes: ['figure.pic'] });
  const pics = v.boxes?.['figure.pic'] ?? [];
  t.is(pics.length, new Set(report.scenarios.map((r) => `${r.kubelet} ${r.suite}`)).size, 'a picture per kubelet and suite');
  for (const [i, p] of pics.entries()) t.true(p.width <= 1400 && p.height <= 900, `picture ${i} is ${p.width} x ${p.height} px`);
});

test('in Chromium, choosing the status "failed" hides the passing rows and squares and leaves the failed ones', async (t) => {
  // What does not match: the passing squares and cells, and the known bug's row of what did not pass.
  const sel = { others: ['a.px[data-status="passed"]', 'span.cell[data-status="passed"]', '#not-passed tr[data-status="known-bug"]'], failed: ['a.px[data-status="failed"]', 'span.cell[data-status="failed"]', '#not-passed tr[data-status="failed"]'] };
  const v = await visitReport(t, allSuitesReport(), { choose: { '#filters select[name="status"]': 'failed' }, boxes: [...sel.others, ...sel.failed] });
  const shown = (s: string): string => `${v.boxes?.[s]?.filter((b) => b.visible).length} of ${v.boxes?.[s]?.length}`;
  for (const s of sel.others) t.regex(shown(s), /^0 of [1-9]\d*$/, `${s}: ${shown(s)} shown`);
  for (const s of sel.failed) t.is(shown(s), '2 of 2', s);
  t.deepEqual(v.consoleErrors, []);
});

test('in Chromium with JavaScript off, the filters are not shown and every row and square is', async (t) => {
  const all = ['a.px', 'span.cell', '#not-passed tbody tr'];
  const v = await visitReport(t, allSuitesReport(), { javaScript: false, rects: ['#filters'], boxes: all });
  t.is(v.rects?.['#filters'], undefined, 'no filter controls');
  for (const s of all) t.true((v.boxes?.[s] ?? []).every((b) => b.visible) && Boolean(v.boxes?.[s]?.length), `every ${s} is shown`);
});
