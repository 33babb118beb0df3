// The whole flow as a user runs it: `pullproof run` as a child process, asserting on its exit code, its
// report and on Docker afterwards, so an interrupted test runner cannot leak anything.
import test from 'ava';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { leftovers, pullproof, runIdFrom, start } from './helpers/cli.ts';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

test('a run with one deliberately failing scenario exports logs, leaks no secret and leaves nothing behind', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pullproof-test-flow-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const secretsFile = join(dir, 'secrets.json');
  const reportDir = join(dir, 'report');
  const r = await pullproof(['run', '--suite', 'registry', '--report-dir', reportDir, '--fail-scenario', 'Tenant A pulls'],
    { PULLPROOF_TEST_SECRETS_FILE: secretsFile });
  t.is(r.code, 1, 'a failed scenario makes the run exit 1');
  const junit = readFileSync(join(reportDir, 'junit.xml'), 'utf8');
  t.regex(junit, /failures="1"/);
  t.regex(junit, /<testcase classname="pullproof.registry" name="Tenant A pulls its own repository with its credentials"[^>]*>\s*<failure/);
  for (const f of ['logs/registry.log', 'logs/requests.jsonl', 'logs/token-decisions.jsonl', 'report.json', 'summary.md', 'run.log', 'fence.json']) {
    t.true(existsSync(join(reportDir, f)), `${f} exists`);
  }
  const secrets = JSON.parse(readFileSync(secretsFile, 'utf8')) as string[];
  t.true(secrets.length >= 5, `the run registered its passwords, tokens and keys (${secrets.length})`);
  const written = [r.stdout, r.stderr, ...filesUnder(reportDir).map((f) => readFileSync(f, 'utf8'))];
  const leaked = secrets.filter((s) => written.some((w) => w.includes(s)));
  t.deepEqual(leaked.map((s) => `${s.slice(0, 4)}... (${s.length} chars)`), []);
  t.deepEqual(leftovers(runIdFrom(r.stderr)), []);
});

test('an unknown suite is a usage error: exit 2, naming the flag and the fix', async (t) => {
  const r = await pullproof(['run', '--suite', 'no-such-suite']);
  t.is(r.code, 2);
  t.regex(r.stderr, /--suite: no suite named "no-such-suite"\. Fix: use one of: registry/);
});

test('a malformed --timeout is a usage error with exit 2', async (t) => {
  const r = await pullproof(['run', '--timeout', 'soon']);
  t.is(r.code, 2);
  t.regex(r.stderr, /"soon" is not a duration/);
});

test('Ctrl-C during a run cleans up everything and exits 130', async (t) => {
  const run = start(['run', '--suite', 'registry']);
  const line = await run.waitFor(/PASS /);
  t.truthy(line);
  run.child.kill('SIGINT');
  const r = await run.done;
  t.is(r.code, 130);
  t.deepEqual(leftovers(runIdFrom(r.stderr)), []);
});

test('a crash in the middle of a run still cleans up', async (t) => {
  const r = await pullproof(['run', '--suite', 'registry'], { PULLPROOF_TEST_CRASH_IN_SCENARIO: 'Tenant A pulls' });
  t.is(r.code, 1);
  t.regex(r.stderr, /unexpected error: Error: deliberate crash/);
  t.deepEqual(leftovers(runIdFrom(r.stderr)), []);
});

test('the run timeout stops the run, reports the scenarios not run, and cleans up', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pullproof-test-timeout-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const r = await pullproof(['run', '--suite', 'registry', '--timeout', '1ms', '--report-dir', dir]);
  t.is(r.code, 1);
  const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as { results: { status: string; message?: string }[] };
  t.true(report.results.length > 0 && report.results.every((x) => x.status === 'error' && /timeout/.test(x.message ?? '')));
  t.deepEqual(leftovers(runIdFrom(r.stderr)), []);
});
