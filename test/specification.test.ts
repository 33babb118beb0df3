// docs/specification.md is the project's own specification: one section per rule id the oracle can
// emit, and no section for a rule it cannot. Both directions are checked, against the oracle's source
// (every rule id literal) and against what planning every built-in suite on every supported kubelet
// actually emits; every section names its sources at a release tag; the reports link each rule to its
// section; and no file of the project refers to a file outside the repository.
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { PROJECT_ROOT } from '../harness/util/paths.ts';
import { run } from '../harness/util/exec.ts';
import { parseSpecification, specification, specHref, SPEC_FILE } from '../harness/report/specification.ts';
import { KNOWN_BUGS } from '../harness/oracle/known-bugs.ts';
import { TESTED_RELEASES } from '../harness/oracle/versions.ts';
import { isCheckSuite, planSuites } from '../harness/engine/suites.ts';
import { suites } from '../suites/index.ts';
import { renderMarkdown } from '../harness/report/markdown.ts';
import { renderHtml } from '../harness/report/html.ts';
import { renderJunit } from '../harness/report/junit.ts';
import { fullReport } from './helpers/full-report.ts';
import type { Report } from '../harness/report/types.ts';

/** Where the oracle names its rules: every 'A3.no-record'-shaped literal in these files is a rule id. */
const RULE_SOURCES = ['harness/oracle/predict.ts', 'harness/engine/model.ts'];

function ruleIdsInSource(): Set<string> {
  const ids = new Set<string>();
  for (const f of RULE_SOURCES) {
    for (const m of readFileSync(join(PROJECT_ROOT, f), 'utf8').matchAll(/'([AB][0-9]+\.[A-Za-z0-9.-]+)'/g)) ids.add(m[1] as string);
  }
  for (const b of KNOWN_BUGS) ids.add(`bug.${b.issue}`);
  return ids;
}

function emittedByPlans(): Set<string> {
  const oracleSuites = Object.values(suites).filter((s) => !isCheckSuite(s));
  const p = planSuites({ suites: oracleSuites, kubelets: [...TESTED_RELEASES] });
  const ids = new Set<string>();
  for (const s of p.scenarios) {
    for (const r of s.prediction.rules) ids.add(r.id);
    for (const c of s.containers ?? []) for (const r of c.prediction.rules) ids.add(r.id);
    for (const st of s.setup) for (const r of st.prediction.rules) ids.add(r.id);
  }
  return ids;
}

test('every rule id the oracle can emit has a section in docs/specification.md, and every section is a rule id the oracle can emit', (t) => {
  const inSource = ruleIdsInSource();
  const sections = new Set(specification().keys());
  t.true(inSource.size > 50, `found ${inSource.size} rule ids in ${RULE_SOURCES.join(', ')}`);
  t.deepEqual([...inSource].filter((id) => !sections.has(id)).sort(), [], `rule ids without a section in ${SPEC_FILE}`);
  t.deepEqual([...sections].filter((id) => !inSource.has(id)).sort(), [], `sections in ${SPEC_FILE} for no rule the oracle emits`);
});

test('every rule planning emits (every built-in suite on every supported kubelet) is one the source scan found, so the two-way check above is complete', (t) => {
  const inSource = ruleIdsInSource();
  const emitted = emittedByPlans();
  t.true(emitted.size > 40, `planning emitted ${emitted.size} distinct rule ids`);
  t.deepEqual([...emitted].filter((id) => !inSource.has(id)).sort(), [], 'rule ids emitted but not found by the source scan');
});

test('each section has the rule, its behaviour per version and sources: the kubelet\'s code at a release tag, never a moving branch', (t) => {
  const problems: string[] = [];
  for (const s of specification().values()) {
    if (!s.title) problems.push(`${s.id}: heading is not "### \`${s.id}\`: title"`);
    for (const part of ['**Rule.**', '**Per version.**', '**Sources.**']) if (!s.markdown.includes(part)) problems.push(`${s.id}: no ${part}`);
    const sources = s.markdown.slice(s.markdown.indexOf('**Sources.**'));
    if (!/https:\/\/github\.com\/kubernetes\/kubernetes\/(blob|tree)\/v1\.[0-9]+\.[0-9]+[^/]*\//.test(sources) && !/https:\/\/github\.com\/kubernetes\/kubernetes\/(issues|pull)\/[0-9]+/.test(sources)) {
      problems.push(`${s.id}: no kubelet source at a release tag and no upstream issue`);
    }
    if (/github\.com\/kubernetes\/kubernetes\/(blob|tree)\/(master|main)\//.test(s.markdown)) problems.push(`${s.id}: cites kubernetes/kubernetes at a branch, not a tag`);
  }
  t.deepEqual(problems, []);
});

test('each known bug\'s section links its upstream issue and names the fix the known-bug table gives', (t) => {
  const spec = specification();
  for (const b of KNOWN_BUGS) {
    const s = spec.get(`bug.${b.issue}`);
    t.truthy(s, `bug.${b.issue}`);
    t.true(s?.markdown.includes(b.url) ?? false, `bug.${b.issue} links ${b.url}`);
    const fix = /#([0-9]+)/.exec(b.fixedBy ?? '')?.[1];
    if (fix) t.true(s?.markdown.includes(fix) ?? false, `bug.${b.issue} names its fix ${b.fixedBy}`);
  }
});

test('the parser takes a section up to the next anchor or chapter heading', (t) => {
  const spec = parseSpecification('# T\n\n## A1. Chapter\n\nIntro.\n\n<a id="A1.x"></a>\n### `A1.x`: the x rule\n\nBody x.\n\n<a id="A1.y"></a>\n### `A1.y`: the y rule\n\nBody y.\n\n## A2. Next\n\nNot y.\n');
  t.deepEqual([...spec.keys()], ['A1.x', 'A1.y']);
  t.is(spec.get('A1.x')?.title, 'the x rule');
  t.false(spec.get('A1.y')?.markdown.includes('Not y') ?? true);
});

test('the reports link each rule of a disagreement to its section: summary.md by a path that resolves from the report folder, JUnit by name, the HTML report to the section it carries', (t) => {
  const report = fullReport as Report;
  const failed = report.scenarios.find((s) => s.status === 'failed' && s.expected?.rules.length);
  if (!failed?.expected) return t.fail('the fixture has no failed scenario with rules');
  const rule = failed.expected.rules[0]?.id as string;
  t.true(specification().has(rule), `fixture rule ${rule} has a section`);
  const dir = join(PROJECT_ROOT, 'reports', 'some-run');
  const md = renderMarkdown(report, { dir });
  const link = new RegExp(`\\[${rule.replace(/\./g, '\\.')}\\]\\(([^)#]+)#${rule.replace(/\./g, '\\.')}\\)`).exec(md);
  t.truthy(link, `summary.md links ${rule}`);
  t.is(resolve(dir, link?.[1] ?? ''), join(PROJECT_ROOT, SPEC_FILE));
  t.true(renderJunit(report).includes(`${rule} [${specHref(rule)}]`));
  const html = renderHtml(report);
  t.true(html.includes(`<a href="#spec-${rule}"><code>${rule}</code></a>`));
  t.regex(html, new RegExp(`<section class="spec" id="spec-${rule.replace(/\./g, '\\.')}"><h4[^>]*><code>${rule.replace(/\./g, '\\.')}</code>`));
});

test('no file of the project refers to a file outside the repository (the background notes, or a relative link that leaves it)', async (t) => {
  const files = (await run(['git', 'ls-files'], { cwd: PROJECT_ROOT })).stdout.split('\n').filter((f) => /\.(md|ts|js|json|sh|yaml|yml|html)$/.test(f));
  const problems: string[] = [];
  for (const f of files) {
    const text = readFileSync(join(PROJECT_ROOT, f), 'utf8');
    if (f === 'test/specification.test.ts') continue;
    if (/kubelet-features\.md|shared\/docs/.test(text)) problems.push(`${f}: names the background notes outside the repository`);
    if (!f.endsWith('.md')) continue;
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = (m[1] as string).split('#')[0] as string;
      if (!target || /^[a-z]+:/.test(target)) continue;
      const abs = resolve(dirname(join(PROJECT_ROOT, f)), target);
      if (!abs.startsWith(PROJECT_ROOT + '/') && abs !== PROJECT_ROOT) problems.push(`${f}: links ${m[1]}, outside the repository`);
      else if (!existsSync(abs)) problems.push(`${f}: links ${m[1]}, which does not exist`);
    }
  }
  t.deepEqual(problems, []);
});
