// index.html in a real headless browser: Debian's Chromium driven through the DevTools protocol
// (puppeteer-core over a pipe), inside a network namespace of its own with background networking off.
// The page renders (known elements are there), logs no console error, and requests nothing but itself.
import test from 'ava';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { visitPage } from '../harness/report/browser.ts';
import { renderHtml } from '../harness/report/html.ts';
import { writeReport } from '../harness/report/write.ts';
import { fixtureReport } from './helpers/report-fixtures.ts';
import { suites } from '../suites/index.ts';
import type { SuiteDefinition } from '../harness/engine/spec.ts';

test('the HTML report renders in headless Chromium with no console error and no request but the file itself', async (t) => {
  t.timeout(5 * 60_000);
  const dir = mkdtempSync(join(tmpdir(), 'pullproof-html-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const report = fixtureReport();
  writeReport(dir, report);
  const shot = join(dir, 'index.png');
  const v = await visitPage(join(dir, 'index.html'), { waitFor: '#title', screenshot: shot });
  t.is(v.found, `pullproof report: smoke, loophole (run ${report.run.id})`);
  t.deepEqual(v.consoleErrors, []);
  t.deepEqual(v.requests, [v.url], 'the page loads nothing but itself');
  t.not(v.browserNetNs, v.ownNetNs, 'Chromium ran in a network namespace of its own');
  t.true(statSync(shot).size > 10_000, 'a screenshot was taken');
});

test('the page is self-contained: no script, no external URL, a CSP that forbids loading anything', (t) => {
  const html = renderHtml(fixtureReport());
  t.notRegex(html, /<script/i);
  t.notRegex(html, /(https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}/i, 'no URL to another host');
  t.notRegex(html, /<link\b/i);
  t.regex(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">/);
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
  const rows = [...html.matchAll(/<tr><td><span class="chip (v-[a-z]+)">.*?<a href="#(detail-[^"]+)">details<\/a>/g)];
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

for (const javaScript of [true, false]) {
  test(`at 1400 x 900 in Chromium (JavaScript ${javaScript ? 'on' : 'off'}), the verdict and the first scenario that did not pass are on the first screen`, async (t) => {
    t.timeout(5 * 60_000);
    const dir = mkdtempSync(join(tmpdir(), 'pullproof-html-first-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    writeReport(dir, allSuitesReport());
    const v = await visitPage(join(dir, 'index.html'), { waitFor: '#verdict', rects: ['#verdict', '#not-passed tbody tr'], javaScript });
    t.regex(v.found ?? '', /^Failed: on v1\.35\.4, 2 of/);
    for (const sel of ['#verdict', '#not-passed tbody tr']) {
      const r = v.rects?.[sel];
      t.truthy(r, `${sel} is on the page`);
      t.true((r?.bottom ?? Infinity) <= (v.viewportHeight ?? 0), `${sel} ends at ${r?.bottom} px, within the first ${v.viewportHeight} px`);
    }
    t.deepEqual(v.consoleErrors, []);
  });
}
