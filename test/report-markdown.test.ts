// The Markdown summary (a CI job's summary page): the words a reader scans for, written once in bold.
import test from 'ava';
import { renderMarkdown } from '../harness/report/markdown.ts';
import { renderHtml } from '../harness/report/html.ts';
import type { Report } from '../harness/report/types.ts';
import { fullReport } from './helpers/full-report.ts';

const report = (status: 'failed' | 'error'): Report => ({ ...fullReport, scenarios: fullReport.scenarios.map((s) => ({ ...s, status })) } as Report);

for (const status of ['failed', 'error'] as const) {
  test(`a ${status} scenario is bold once in the list of problems and in its suite's table, never "****"`, (t) => {
    const md = renderMarkdown(report(status));
    const word = status === 'failed' ? 'FAIL' : 'ERROR';
    t.false(md.includes('****'), md.split('\n').filter((l) => l.includes('****')).join('\n'));
    t.regex(md, new RegExp(`^- \\*\\*${word}\\*\\* x \\[v1\\.35\\.4\\]`, 'm'));
    t.regex(md, new RegExp(`^\\| \\*\\*${word}\\*\\* \\| x \\|`, 'm'));
  });
}

test('the set-aside kubelet attempts are counted in the Markdown and HTML summaries, with their cost and scenarios', (t) => {
  const md = renderMarkdown(fullReport as Report);
  // One attempt of the pod's setup, one of main, one of its other container.
  t.regex(md, /Kubelet attempts set aside: 3 \(made without a pull secret that exists.*costing 23 s of back-off in all.*`smoke\/x@v1\.35\.4` \(3\)/);
  t.regex(renderHtml(fullReport as Report), /<p id="set-aside"[^>]*>Kubelet attempts set aside: <strong>3<\/strong>/);
});

test('each scenario in the list of problems carries the command that reruns it alone', (t) => {
  const md = renderMarkdown(report('failed'));
  t.regex(md, /^ {2}- rerun alone: `npx pullproof run --suite smoke --kubelet v1\.35\.4 --focus '\^smoke\/x\$'`$/m);
});

test('the header names every kubelet the results come from: an upgrade chain\'s versions beside the one asked for', (t) => {
  const chain = { ...fullReport, scenarios: [...fullReport.scenarios, { ...fullReport.scenarios[0], kubelet: 'v1.33.13' }] } as Report;
  t.regex(renderMarkdown(chain), /, kubelets v1\.33\.13, v1\.35\.4, /);
  t.regex(renderHtml(chain), /Kubelets v1\.33\.13, v1\.35\.4[,.] /);
  t.regex(renderMarkdown(fullReport as Report), /, kubelets v1\.35\.4, /);
});
