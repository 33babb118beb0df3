// JUnit XML in Maven Surefire's format, which Jenkins, GitLab and the GitHub test reporters read: one
// testsuite per suite and kubelet version, one testcase per scenario named by its sentence, its
// classname carrying suite, kubelet version and policy. Failures carry expected vs observed and the
// evidence; a flaky pass carries <flakyFailure>/<flakyError> per failed attempt; a failure after
// retries carries <rerunFailure>; known bugs and not-applicable scenarios are <skipped message=...>;
// infrastructure checks (cleanup steps, the fence, the node mirror) are testcases of their own.
import type { Report, ScenarioResult } from './types.ts';

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string)
    // Characters XML 1.0 forbids (control characters from command output).
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '');
}

function classToken(s: string): string {
  return s.replace(/[^A-Za-z0-9_-]+/g, '_');
}

export function classname(r: Pick<ScenarioResult, 'suite' | 'kubelet' | 'labels' | 'kind'>): string {
  if (r.kind === 'check') return `pullproof.${classToken(r.suite)}`;
  const policy = r.labels.policy ?? 'default-policy';
  return `pullproof.${classToken(r.suite)}.kubelet-${classToken(r.kubelet)}.${classToken(policy)}`;
}

function evidence(r: ScenarioResult): string {
  const lines: string[] = [];
  if (r.expected) {
    lines.push(`expected: ${r.expected.outcome}${r.expected.cause ? ` (${r.expected.cause})` : ''}${r.expected.reason ? `: ${r.expected.reason}` : ''}`);
    lines.push(`rules: ${r.expected.rules.map((x) => `${x.id} [${x.section}] ${x.text}`).join('\n       ')}`);
    if (r.expected.knownBug) lines.push(`known bug: kubernetes#${r.expected.knownBug.issue} ${r.expected.knownBug.title}`);
  }
  if (r.observed) {
    lines.push(`observed: ${r.observed.outcome}${r.observed.cause ? ` (${r.observed.cause})` : ''}: ${r.observed.summary}`);
    for (const e of r.observed.events) lines.push(`event: ${e.type} ${e.reason}: ${e.message}`);
    for (const q of r.observed.requests.slice(0, 30)) lines.push(`request: ${q.target} ${q.method} ${q.kind} -> ${q.status} as ${q.identity}${q.fault ? ` [${q.fault}]` : ''}`);
  }
  for (const s of r.setup) lines.push(`setup ${s.step + 1}: ${s.what}: expected ${s.expected}, observed ${s.observed}${s.ok ? '' : ' (MISMATCH)'}`);
  if (r.bundle) lines.push(`reproduction bundle: ${r.bundle}`);
  return lines.join('\n');
}

function testcase(r: ScenarioResult): string {
  const head = `    <testcase name="${esc(r.name)}" classname="${esc(classname(r))}" time="${r.seconds.toFixed(3)}">`;
  const body: string[] = [];
  const failedAttempts = r.attempts.filter((a) => a.status === 'failed' || a.status === 'error');
  switch (r.status) {
    case 'failed':
      body.push(`      <failure message="${esc(r.message ?? 'failed')}" type="ConformanceFailure">${esc(evidence(r))}</failure>`);
      for (const a of failedAttempts.slice(0, -1)) body.push(`      <rerunFailure message="${esc(a.message ?? a.status)}" type="ConformanceFailure"><stackTrace>${esc(`attempt ${a.attempt}`)}</stackTrace></rerunFailure>`);
      break;
    case 'error':
    case 'not-run':
      body.push(`      <error message="${esc(r.message ?? r.status)}" type="${r.status === 'not-run' ? 'NotRun' : 'HarnessError'}">${esc(evidence(r))}</error>`);
      for (const a of failedAttempts.slice(0, -1)) body.push(`      <rerunError message="${esc(a.message ?? a.status)}" type="HarnessError"><stackTrace>${esc(`attempt ${a.attempt}`)}</stackTrace></rerunError>`);
      break;
    case 'flaky':
      for (const a of failedAttempts) {
        const tag = a.status === 'error' ? 'flakyError' : 'flakyFailure';
        body.push(`      <${tag} message="${esc(a.message ?? a.status)}" type="${a.status === 'error' ? 'HarnessError' : 'ConformanceFailure'}"><stackTrace>${esc(`attempt ${a.attempt} ${a.status}; passed on a later attempt`)}</stackTrace></${tag}>`);
      }
      break;
    case 'known-bug':
      body.push(`      <skipped message="${esc(`known bug kubernetes#${r.expected?.knownBug?.issue ?? '?'}: ${r.message ?? ''}`)}"/>`);
      break;
    case 'not-applicable':
      body.push(`      <skipped message="${esc(`not applicable: ${r.message ?? r.expected?.reason ?? ''}`)}"/>`);
      break;
    default:
      break;
  }
  body.push(`      <system-out>${esc(evidence(r))}</system-out>`);
  return [head, ...body, '    </testcase>'].join('\n');
}

export function renderJunit(report: Report): string {
  const groups = new Map<string, ScenarioResult[]>();
  for (const r of report.scenarios) {
    const k = r.kind === 'check' ? `pullproof.${classToken(r.suite)}` : `pullproof.${classToken(r.suite)}.kubelet-${classToken(r.kubelet)}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const suites: string[] = [];
  let all = { tests: 0, failures: 0, errors: 0, skipped: 0, time: 0 };
  for (const [name, list] of groups) {
    const c = {
      tests: list.length,
      failures: list.filter((r) => r.status === 'failed').length,
      errors: list.filter((r) => r.status === 'error' || r.status === 'not-run').length,
      skipped: list.filter((r) => r.status === 'known-bug' || r.status === 'not-applicable').length,
      time: list.reduce((s, r) => s + r.seconds, 0),
    };
    all = { tests: all.tests + c.tests, failures: all.failures + c.failures, errors: all.errors + c.errors, skipped: all.skipped + c.skipped, time: all.time + c.time };
    suites.push([
      `  <testsuite name="${esc(name)}" tests="${c.tests}" failures="${c.failures}" errors="${c.errors}" skipped="${c.skipped}" time="${c.time.toFixed(3)}" timestamp="${esc(report.run.startedAt.replace(/\.\d+Z$/, ''))}">`,
      `    <properties>`,
      `      <property name="pullproof.version" value="${esc(report.pullproof)}"/>`,
      `      <property name="pullproof.run" value="${esc(report.run.id)}"/>`,
      `      <property name="pullproof.complete" value="${String(report.run.complete)}"/>`,
      `    </properties>`,
      ...list.map(testcase),
      `  </testsuite>`,
    ].join('\n'));
  }
  // Infrastructure checks: a failed cleanup or a dropped packet fails CI (peers that drop these report a pass).
  const checks = report.checks;
  if (checks.length) {
    const failures = checks.filter((c) => !c.ok).length;
    all = { ...all, tests: all.tests + checks.length, failures: all.failures + failures };
    suites.push([
      `  <testsuite name="pullproof.infrastructure" tests="${checks.length}" failures="${failures}" errors="0" skipped="0" time="0" timestamp="${esc(report.run.startedAt.replace(/\.\d+Z$/, ''))}">`,
      ...checks.map((c) => `    <testcase name="${esc(c.name)}" classname="pullproof.infrastructure" time="0">${c.ok ? '' : `\n      <failure message="${esc(c.message ?? 'failed')}" type="InfrastructureFailure"/>\n    `}</testcase>`),
      `  </testsuite>`,
    ].join('\n'));
  }
  return `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="pullproof" tests="${all.tests}" failures="${all.failures}" errors="${all.errors}" skipped="${all.skipped}" time="${all.time.toFixed(3)}">
${suites.join('\n')}
</testsuites>
`;
}
