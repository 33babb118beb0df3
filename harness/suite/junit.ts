// JUnit XML as CI systems read it (Jenkins, GitLab, GitHub test reporters): one testsuite per suite,
// one testcase per scenario, with failures and errors told apart.
import type { ScenarioResult } from './types.ts';

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string)
    // Characters XML 1.0 forbids (control characters from command output).
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');
}

export function junitXml(suite: string, results: ScenarioResult[], timestamp: string, extra: { name: string; ok: boolean; message?: string }[] = []): string {
  const failures = results.filter((r) => r.status === 'failed').length + extra.filter((e) => !e.ok).length;
  const errors = results.filter((r) => r.status === 'error').length;
  const time = results.reduce((s, r) => s + r.seconds, 0);
  const cases = results.map((r) => {
    const head = `    <testcase classname="pullproof.${esc(suite)}" name="${esc(r.name)}" time="${r.seconds.toFixed(3)}">`;
    const body: string[] = [];
    if (r.status === 'failed') body.push(`      <failure message="${esc(r.message ?? 'failed')}" type="ExpectationFailed">${esc(r.message ?? '')}</failure>`);
    if (r.status === 'error') body.push(`      <error message="${esc(r.message ?? 'error')}" type="Error">${esc(r.message ?? '')}</error>`);
    if (r.notes.length) body.push(`      <system-out>${esc(r.notes.join('\n'))}</system-out>`);
    return [head, ...body, '    </testcase>'].join('\n');
  });
  // Teardown belongs in the report: a failed cleanup fails the run (peers that drop it report a pass).
  for (const e of extra) {
    cases.push(`    <testcase classname="pullproof.${esc(suite)}.teardown" name="${esc(e.name)}" time="0">${e.ok ? '' : `\n      <failure message="${esc(e.message ?? 'failed')}" type="TeardownFailed"/>\n    `}</testcase>`);
  }
  return `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="pullproof" tests="${results.length + extra.length}" failures="${failures}" errors="${errors}" time="${time.toFixed(3)}">
  <testsuite name="${esc(suite)}" tests="${results.length + extra.length}" failures="${failures}" errors="${errors}" time="${time.toFixed(3)}" timestamp="${esc(timestamp)}">
${cases.join('\n')}
  </testsuite>
</testsuites>
`;
}
