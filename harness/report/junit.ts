// JUnit XML in Maven Surefire's format (surefire-test-report-3.0.xsd), which Jenkins, GitLab and the
// GitHub test reporters read. A <testsuites> root holds one <testsuite> per suite and kubelet version,
// each valid on its own against Surefire's schema (which describes one testsuite per file): no
// attributes the schema lacks (the run's start time is a property), children of a testcase in the
// schema's order. One testcase per scenario, named by its sentence, its classname carrying suite,
// kubelet version and policy.
// - failed: <failure> with expected vs observed and the evidence, then a <rerunFailure>/<rerunError>
//   per earlier attempt (--retries); error and not-run: <error>, likewise with reruns;
// - flaky (passed on a retry): no failure, a <flakyFailure>/<flakyError> per failed attempt;
// - known bug and not applicable: <skipped message="..."> with the reason;
// - infrastructure checks (cleanup steps, the fence, the node mirror) are testcases of their own.
import { specHref } from './specification.ts';
import { preReleasesIn, type Attempt, type Report, type ScenarioResult } from './types.ts';

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string)
    // Characters XML 1.0 forbids (control characters from command output).
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '');
}

function classToken(s: string): string {
  return s.replace(/[^A-Za-z0-9_-]+/g, '_');
}

/** The policy part of a classname: the scenario's policy label, else what the gate label implies. */
export function policyOf(labels: Record<string, string>): string {
  if (labels.policy) return labels.policy;
  if (labels.gate === 'off') return 'gate-off';
  return 'default-policy';
}

export function classname(r: Pick<ScenarioResult, 'suite' | 'kubelet' | 'labels' | 'kind'>): string {
  if (r.kind === 'check') return `pullproof.${classToken(r.suite)}`;
  return `pullproof.${classToken(r.suite)}.kubelet-${classToken(r.kubelet)}.${classToken(policyOf(r.labels))}`;
}

function suiteName(r: ScenarioResult): string {
  return r.kind === 'check' ? `pullproof.${classToken(r.suite)}` : `pullproof.${classToken(r.suite)}.kubelet-${classToken(r.kubelet)}`;
}

/** Expected vs observed with the rules and the evidence, as plain text. */
export function evidence(r: ScenarioResult): string {
  const lines: string[] = [];
  if (r.message) lines.push(r.message);
  if (r.expected) {
    lines.push(`expected: ${r.expected.outcome}${r.expected.cause ? ` (${r.expected.cause})` : ''}${r.expected.reason ? `: ${r.expected.reason}` : ''}`);
    if (r.expected.rules.length) lines.push(`rules: ${r.expected.rules.map((x) => `${x.id} [${specHref(x.id)}] ${x.text}`).join('\n       ')}`);
    if (r.expected.knownBug) lines.push(`known bug: kubernetes#${r.expected.knownBug.issue} ${r.expected.knownBug.title} (a buggy kubelet gives ${r.expected.knownBug.outcome})`);
  }
  if (r.observed) {
    lines.push(`observed: ${r.observed.outcome}${r.observed.cause ? ` (${r.observed.cause})` : ''}: ${r.observed.summary}`);
    for (const e of r.observed.events) lines.push(`event: ${e.type} ${e.reason}: ${e.message}`);
    for (const q of r.observed.requests.slice(0, 30)) lines.push(`request: ${q.target} ${q.method} ${q.kind} -> ${q.status} as ${q.identity}${q.fault ? ` [${q.fault}]` : ''}`);
    if (r.observed.requests.length > 30) lines.push(`(${r.observed.requests.length - 30} more requests in report.json)`);
  }
  for (const s of r.setup) lines.push(`setup ${s.step + 1}: ${s.what}: expected ${s.expected}, observed ${s.observed}${s.ok ? '' : ' (MISMATCH)'}`);
  for (const n of r.notes ?? []) lines.push(`note: ${n}`);
  if (r.bundle) lines.push(`reproduction bundle: ${r.bundle}`);
  return lines.join('\n');
}

const TYPE = { failed: 'ConformanceFailure', error: 'HarnessError', 'not-run': 'NotRun' } as const;

function interim(tag: string, a: Attempt, trace: string): string {
  const type = a.status === 'failed' ? TYPE.failed : a.status === 'not-run' ? TYPE['not-run'] : TYPE.error;
  return `      <${tag} message="${esc(a.message ?? a.status)}" type="${type}"><stackTrace>${esc(trace)}</stackTrace></${tag}>`;
}

function testcase(r: ScenarioResult): string {
  const head = `    <testcase name="${esc(r.name)}" classname="${esc(classname(r))}" time="${r.seconds.toFixed(3)}">`;
  // Surefire's order: failure*, rerunFailure*, flakyFailure*, skipped?, error?, rerunError*, flakyError*, system-out?, system-err?
  const slot: Record<'failure' | 'rerunFailure' | 'flakyFailure' | 'skipped' | 'error' | 'rerunError' | 'flakyError', string[]> = {
    failure: [], rerunFailure: [], flakyFailure: [], skipped: [], error: [], rerunError: [], flakyError: [],
  };
  const bad = r.attempts.filter((a) => a.status === 'failed' || a.status === 'error' || a.status === 'not-run');
  // The final attempt is the <failure>/<error>; earlier failed attempts are reruns (Surefire's rerun markers).
  const earlier = bad.filter((a) => a !== r.attempts.at(-1));
  const rerun = (a: Attempt): void => {
    (a.status === 'failed' ? slot.rerunFailure : slot.rerunError).push(interim(a.status === 'failed' ? 'rerunFailure' : 'rerunError', a, `attempt ${a.attempt} of ${r.attempts.length}: ${a.status}`));
  };
  switch (r.status) {
    case 'failed':
      slot.failure.push(`      <failure message="${esc(r.message ?? 'failed')}" type="${TYPE.failed}">${esc(evidence(r))}</failure>`);
      earlier.forEach(rerun);
      break;
    case 'error':
    case 'not-run':
      slot.error.push(`      <error message="${esc(r.message ?? r.status)}" type="${TYPE[r.status]}">${esc(evidence(r))}</error>`);
      earlier.forEach(rerun);
      break;
    case 'flaky':
      for (const a of bad) {
        const tag = a.status === 'failed' ? 'flakyFailure' : 'flakyError';
        slot[tag].push(interim(tag, a, `attempt ${a.attempt} of ${r.attempts.length}: ${a.status}; passed on a later attempt`));
      }
      break;
    case 'known-bug': {
      const bug = r.expected?.knownBug;
      slot.skipped.push(`      <skipped message="${esc(`known bug${bug ? ` kubernetes#${bug.issue} (${bug.title})` : ''}: ${r.message ?? ''}`)}"/>`);
      break;
    }
    case 'observed':
      // Reported, not judged; failing open is a failure a CI must see.
      if (r.failOpen) slot.failure.push(`      <failure message="${esc(`fails open: ${r.message ?? ''}`)}" type="fail-open">${esc(evidence(r))}</failure>`);
      else slot.skipped.push(`      <skipped message="${esc(`observed, not judged: ${r.message ?? ''}`)}"/>`);
      break;
    case 'not-applicable':
      slot.skipped.push(`      <skipped message="${esc(`not applicable: ${r.message ?? r.expected?.reason ?? ''}`)}"/>`);
      break;
    default:
      break;
  }
  const out = evidence(r);
  const body = [...slot.failure, ...slot.rerunFailure, ...slot.flakyFailure, ...slot.skipped, ...slot.error, ...slot.rerunError, ...slot.flakyError];
  if (out) body.push(`      <system-out>${esc(out)}</system-out>`);
  return [head, ...body, '    </testcase>'].join('\n');
}

interface Counts { tests: number; failures: number; errors: number; skipped: number; time: number }

function counts(list: readonly ScenarioResult[]): Counts {
  return {
    tests: list.length,
    failures: list.filter((r) => r.status === 'failed' || r.failOpen).length,
    errors: list.filter((r) => r.status === 'error' || r.status === 'not-run').length,
    skipped: list.filter((r) => r.status === 'known-bug' || r.status === 'not-applicable' || (r.status === 'observed' && !r.failOpen)).length,
    time: list.reduce((s, r) => s + r.seconds, 0),
  };
}

function properties(report: Report): string[] {
  const props: [string, string][] = [
    ['pullproof.version', report.pullproof],
    ['pullproof.schema', report.schema],
    ['pullproof.run', report.run.id],
    ['pullproof.startedAt', report.run.startedAt],
    ['pullproof.complete', String(report.run.complete)],
  ];
  if (report.run.shard) props.push(['pullproof.shard', `${report.run.shard.index}/${report.run.shard.total}`]);
  if (report.mergedFrom) props.push(['pullproof.mergedFrom', report.mergedFrom.map((m) => m.runId).join(',')]);
  const pre = preReleasesIn(report);
  if (pre.length) props.push(['pullproof.preReleases', pre.join(',')]);
  return ['    <properties>', ...props.map(([n, v]) => `      <property name="${esc(n)}" value="${esc(v)}"/>`), '    </properties>'];
}

export function renderJunit(report: Report): string {
  const groups = new Map<string, ScenarioResult[]>();
  for (const r of report.scenarios) groups.set(suiteName(r), [...(groups.get(suiteName(r)) ?? []), r]);
  const suites: string[] = [];
  let all: Counts = { tests: 0, failures: 0, errors: 0, skipped: 0, time: 0 };
  const add = (c: Counts): void => { all = { tests: all.tests + c.tests, failures: all.failures + c.failures, errors: all.errors + c.errors, skipped: all.skipped + c.skipped, time: all.time + c.time }; };
  const open = (name: string, c: Counts): string =>
    `  <testsuite version="3.0" name="${esc(name)}" time="${c.time.toFixed(3)}" tests="${c.tests}" errors="${c.errors}" skipped="${c.skipped}" failures="${c.failures}">`;
  for (const [name, list] of groups) {
    const c = counts(list);
    add(c);
    suites.push([open(name, c), ...properties(report), ...list.map(testcase), '  </testsuite>'].join('\n'));
  }
  // Infrastructure checks: a failed cleanup or a dropped packet fails CI (peers that drop these report a pass).
  if (report.checks.length) {
    const c: Counts = { tests: report.checks.length, failures: report.checks.filter((x) => !x.ok).length, errors: 0, skipped: 0, time: 0 };
    add(c);
    suites.push([
      open('pullproof.infrastructure', c),
      ...properties(report),
      ...report.checks.map((x) => `    <testcase name="${esc(x.name)}" classname="pullproof.infrastructure" time="0.000">${x.ok ? '' : `\n      <failure message="${esc(x.message ?? 'failed')}" type="InfrastructureFailure"/>\n    `}</testcase>`),
      '  </testsuite>',
    ].join('\n'));
  }
  return `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="pullproof" tests="${all.tests}" failures="${all.failures}" errors="${all.errors}" skipped="${all.skipped}" time="${all.time.toFixed(3)}">
${suites.join('\n')}
</testsuites>
`;
}
