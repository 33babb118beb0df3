// report.json against its schema (harness/report/report.schema.json, JSON Schema 2020-12): real reports
// validate, tampered ones are rejected naming the field, writeReport refuses to write an invalid one,
// and the schema describes exactly the fields of the report model (harness/report/types.ts).
import test from 'ava';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reportProblems, readReport } from '../harness/report/validate.ts';
import { writeReport } from '../harness/report/write.ts';
import { REPORT_SCHEMA, type Report } from '../harness/report/types.ts';
import { fixtureReport } from './helpers/report-fixtures.ts';
import { fullReport } from './helpers/full-report.ts';

const schema = JSON.parse(readFileSync(new URL('../harness/report/report.schema.json', import.meta.url), 'utf8')) as Record<string, unknown>;
const copy = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

test('a report with every status, written by writeReport, validates against the schema', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pullproof-report-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const report = fixtureReport();
  t.deepEqual([...new Set(report.scenarios.map((s) => s.status))].sort(), ['error', 'failed', 'flaky', 'known-bug', 'not-applicable', 'not-run', 'passed']);
  writeReport(dir, report);
  const written = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as unknown;
  t.deepEqual(reportProblems(written), []);
  t.is(readReport(dir).report.run.id, report.run.id);
});

test('the report.json of a real run (pullproof run --suite registry) validates', (t) => {
  // docs/examples/report-registry.json: written by the engine's writer on this machine, unedited.
  const real = JSON.parse(readFileSync(new URL('../docs/examples/report-registry.json', import.meta.url), 'utf8')) as Report;
  t.is(real.schema, REPORT_SCHEMA);
  t.true(real.scenarios.length > 0);
  t.deepEqual(reportProblems(real), []);
});

test('a report with every optional field set validates', (t) => {
  t.deepEqual(reportProblems(copy(fullReport)), []);
});

test('a report with every optional field set, written by writeReport and read back, still validates (redaction leaves no schema field broken)', (t) => {
  // Redaction treats a JSON "auth" value as a docker-config secret; a report field of that name would
  // be rewritten to <redacted> and fail its enum (this happened: requests[].auth, now authScheme).
  const dir = mkdtempSync(join(tmpdir(), 'pullproof-report-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeReport(dir, copy(fullReport) as unknown as Report);
  t.deepEqual(reportProblems(JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'))), []);
});

test('tampered reports are rejected, naming the field: an extra field, a wrong enum, a missing required field, a wrong type', (t) => {
  const base = copy(fixtureReport());
  const extra = copy(base) as Report & { verdictOverride?: string };
  (extra.scenarios[0] as unknown as Record<string, unknown>).verdictOverride = 'passed';
  t.deepEqual(reportProblems(extra), [{ path: '/scenarios/0', message: 'has a field the schema does not know: "verdictOverride"' }]);

  const badEnum = copy(base);
  (badEnum.scenarios[1] as unknown as Record<string, unknown>).status = 'green';
  t.is(reportProblems(badEnum)[0]?.path, '/scenarios/1/status');
  t.regex(reportProblems(badEnum)[0]?.message ?? '', /must be one of "passed", "failed", "known-bug"/);

  const badOutcome = copy(base);
  const withExpected = badOutcome.scenarios.find((s) => s.expected) as Report['scenarios'][number];
  (withExpected.expected as unknown as Record<string, unknown>).outcome = 'runs';
  t.true(reportProblems(badOutcome).some((p) => /\/expected\/outcome$/.test(p.path)));

  const missing = copy(base) as unknown as { summary: Record<string, unknown> };
  delete missing.summary.failed;
  t.deepEqual(reportProblems(missing), [{ path: '/summary', message: 'lacks the required field "failed"' }]);

  const wrongType = copy(base) as unknown as { run: Record<string, unknown> };
  wrongType.run.seconds = '12.5';
  t.is(reportProblems(wrongType)[0]?.path, '/run/seconds');

  const badTime = copy(base) as unknown as { run: Record<string, unknown> };
  badTime.run.startedAt = 'yesterday';
  t.is(reportProblems(badTime)[0]?.path, '/run/startedAt');

  const otherSchema = copy(base) as unknown as Record<string, unknown>;
  otherSchema.schema = 'pullproof-report/v2';
  t.is(reportProblems(otherSchema)[0]?.path, '/schema');
});

test('writeReport refuses a report that does not match its schema (a harness bug): no report files, the data kept as report.invalid.json', (t) => {
  const parent = mkdtempSync(join(tmpdir(), 'pullproof-report-'));
  const dir = join(parent, 'out');
  t.teardown(() => rmSync(parent, { recursive: true, force: true }));
  const bad = copy(fixtureReport()) as unknown as Report & { scenarios: Record<string, unknown>[] };
  (bad.scenarios[0] as Record<string, unknown>).status = 'ok';
  const err = t.throws(() => writeReport(dir, bad));
  t.regex(err?.message ?? '', /harness bug: the report does not match pullproof-report\/v1/);
  t.regex((err as { detail?: string }).detail ?? '', /\/scenarios\/0\/status: must be one of/);
  t.false(existsSync(join(dir, 'report.json')));
  t.false(existsSync(join(dir, 'junit.xml')));
  t.regex(err?.message ?? '', /only .*report\.invalid\.json was written/);
  t.is((JSON.parse(readFileSync(join(dir, 'report.invalid.json'), 'utf8')) as { scenarios: { status: string }[] }).scenarios[0]?.status, 'ok');
});

test('readReport refuses a report of another schema with a usage error (exit 2) naming the file', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pullproof-report-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeReport(dir, fixtureReport());
  const path = join(dir, 'report.json');
  const data = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  data.schema = 'pullproof-report/v0';
  const other = join(dir, 'old.json');
  writeFileSync(other, JSON.stringify(data));
  const err = t.throws(() => readReport(other));
  t.is((err as { exitCode?: number }).exitCode, 2);
  t.regex(err?.message ?? '', /old\.json is a report of schema "pullproof-report\/v0", not pullproof-report\/v1/);
});

interface SchemaNode { $ref?: string; properties?: Record<string, SchemaNode>; additionalProperties?: boolean | SchemaNode; items?: SchemaNode; oneOf?: SchemaNode[]; type?: string; required?: string[] }

function resolveRef(n: SchemaNode): SchemaNode {
  if (!n.$ref) return n;
  const name = n.$ref.replace('#/$defs/', '');
  return (schema.$defs as Record<string, SchemaNode>)[name] as SchemaNode;
}

/** Walks a value that has every field of its type next to the schema: both must name the same fields. */
function sameFields(node: SchemaNode, value: unknown, path: string, out: string[]): void {
  const n = resolveRef(node);
  if (n.oneOf) {
    const kind = (value as { kind?: string }).kind;
    const branch = n.oneOf.find((b) => (b.properties?.kind as { const?: string } | undefined)?.const === kind);
    if (!branch) { out.push(`${path}: no schema branch for kind ${kind}`); return; }
    sameFields(branch, value, path, out);
    return;
  }
  if (Array.isArray(value)) {
    if (n.items && value.length) sameFields(n.items, value[0], `${path}/0`, out);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  if (n.properties) {
    if (n.additionalProperties !== false) out.push(`${path}: additionalProperties is not false`);
    const inSchema = Object.keys(n.properties).sort();
    const inType = Object.keys(value).sort();
    for (const k of inType) if (!inSchema.includes(k)) out.push(`${path}: the type has "${k}", the schema does not`);
    for (const k of inSchema) if (!inType.includes(k)) out.push(`${path}: the schema has "${k}", the type does not`);
    for (const k of inType) if (n.properties[k]) sameFields(n.properties[k] as SchemaNode, (value as Record<string, unknown>)[k], `${path}/${k}`, out);
    return;
  }
  if (typeof n.additionalProperties === 'object') for (const [k, v] of Object.entries(value)) sameFields(n.additionalProperties, v, `${path}/${k}`, out);
}

test('the schema names exactly the fields of the report model, and forbids any other', (t) => {
  // fullReport is typed Full<Report> (every optional field required), so TypeScript fails when
  // types.ts gains a field it lacks; this walk fails when the schema and the type disagree.
  const problems: string[] = [];
  sameFields(schema as SchemaNode, copy(fullReport), '', problems);
  t.deepEqual(problems, []);
});
