// Interruptions (issue 12, part 4): a run stopped by SIGINT or SIGTERM in each named phase it goes
// through exits 130/143, writes a partial report marked incomplete and leaves nothing on the host;
// SIGKILL followed by `pullproof cleanup --run` leaves nothing; two runs started at once both pass.
// Runs use the registry suite (registry container, run network, fence; no kind cluster), so the whole
// file takes about a minute and a half (tests run one after another, as ava.config.js says). A run is
// paused at the end of a phase's work through the test seam (PULLPROOF_TEST_PAUSE_IN_PHASE,
// test/helpers/pullproof-test-entry.ts), so what the phase started exists when the signal arrives.
// The two-runs test is test.serial so that it also runs alone under a concurrent configuration
// (ava.unit.config.js leaves this file out). Needs root and Docker.
import test from 'ava';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Report } from '../harness/report/types.ts';
import { BIN, TEST_ENTRY, leftovers, pullproof, runIdFrom, start } from './helpers/cli.ts';

// The named phases of `pullproof run --suite registry`, in order (as printed after "> "). Every one of
// them comes after the report folder exists, so each interruption can write a partial report; nothing
// before "host setup" is a named phase (argument parsing and planning start nothing).
const PHASES = ['host setup', 'run network', 'harness registry', 'report writing'] as const;
const SIGNALS = [['SIGINT', 130], ['SIGTERM', 143]] as const;

function reportDir(): string {
  return mkdtempSync(join(tmpdir(), 'pullproof-test-interrupt-'));
}

function readReport(dir: string): Report {
  return JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report;
}

for (const phaseName of PHASES) {
  for (const [signal, code] of SIGNALS) {
    test(`${signal} in phase "${phaseName}": exit ${code}, a report marked incomplete, nothing left`, async (t) => {
      t.timeout(5 * 60_000);
      const dir = reportDir();
      t.teardown(() => rmSync(dir, { recursive: true, force: true }));
      const run = start(['run', '--suite', 'registry', '--report-dir', dir], { PULLPROOF_TEST_PAUSE_IN_PHASE: phaseName }, { entry: TEST_ENTRY });
      t.teardown(() => { if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL'); });
      await run.waitFor(new RegExp(`test seam: paused in phase "${phaseName}"`), 4 * 60_000);
      run.child.kill(signal);
      const r = await run.done;
      t.is(r.code, code, r.stderr);
      t.regex(r.stderr, new RegExp(`${signal}: stopping`));
      const report = readReport(dir);
      t.false(report.run.complete, 'the report says it is partial');
      t.is(report.run.exitCode, code);
      t.regex(report.run.incompleteReason ?? '', new RegExp(`interrupted by ${signal}`));
      if (phaseName === 'report writing') {
        // Every scenario had finished: the report keeps their results and says when the signal came.
        t.regex(report.run.incompleteReason ?? '', /while the report was written/);
        t.true(report.scenarios.length > 0 && report.scenarios.every((s) => s.status === 'passed'), JSON.stringify(report.summary));
      } else {
        t.true(report.scenarios.length > 0 && report.scenarios.every((s) => s.status === 'not-run'), JSON.stringify(report.summary));
      }
      t.deepEqual(leftovers(runIdFrom(r.stderr)), []);
    });
  }
}

for (const [signal, code] of SIGNALS) {
  test(`${signal} while the check scenarios run: exit ${code}, what finished is reported, the report is marked incomplete, nothing left`, async (t) => {
    t.timeout(5 * 60_000);
    const dir = reportDir();
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    // No pause: the signal arrives as soon as the first scenario passed, while the others run.
    const run = start(['run', '--suite', 'registry', '--report-dir', dir], {}, { entry: BIN });
    t.teardown(() => { if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL'); });
    await run.waitFor(/PASS /, 4 * 60_000);
    run.child.kill(signal);
    const r = await run.done;
    t.is(r.code, code, r.stderr);
    const report = readReport(dir);
    t.false(report.run.complete);
    t.regex(report.run.incompleteReason ?? '', new RegExp(`interrupted by ${signal}`));
    t.true(report.scenarios.some((s) => s.status === 'passed'), JSON.stringify(report.summary));
    t.deepEqual(leftovers(runIdFrom(r.stderr)), []);
  });
}

test('SIGKILL of a paused run leaves its parts behind; "pullproof cleanup --run <id>" removes them all', async (t) => {
  t.timeout(5 * 60_000);
  const dir = reportDir();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const run = start(['run', '--suite', 'registry', '--report-dir', dir], { PULLPROOF_TEST_PAUSE_IN_PHASE: 'harness registry' }, { entry: TEST_ENTRY });
  await run.waitFor(/test seam: paused in phase "harness registry"/, 4 * 60_000);
  run.child.kill('SIGKILL');
  const r = await run.done;
  t.is(r.signal, 'SIGKILL');
  const id = runIdFrom(r.stderr);
  t.teardown(() => { void pullproof(['cleanup', '--run', id]); });
  const left = leftovers(id);
  // What a killed run leaves: its registry containers, run network, fence rules and work folder.
  t.true(left.some((l) => l.startsWith('container ')), left.join('\n'));
  t.true(left.some((l) => l.startsWith('network ')), left.join('\n'));
  t.true(left.some((l) => l.startsWith('fence ')), left.join('\n'));
  t.true(left.some((l) => l.startsWith('work folder ')), left.join('\n'));
  t.false(existsSync(join(dir, 'report.json')), 'a killed run writes no report');
  const c = await pullproof(['cleanup', '--run', id]);
  t.is(c.code, 0, c.stderr);
  t.deepEqual(leftovers(id), []);
});

test.serial('two runs started at the same moment both pass and leave nothing', async (t) => {
  t.timeout(5 * 60_000);
  const dirs = [reportDir(), reportDir()];
  t.teardown(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });
  const results = await Promise.all(dirs.map((d) => pullproof(['run', '--suite', 'registry', '--report-dir', d], {}, { entry: BIN })));
  for (const r of results) t.is(r.code, 0, r.stderr);
  const ids = results.map((r) => runIdFrom(r.stderr));
  t.not(ids[0], ids[1]);
  for (const d of dirs) {
    const report = readReport(d);
    t.true(report.run.complete);
    t.true(report.scenarios.length > 0 && report.scenarios.every((s) => s.status === 'passed'), JSON.stringify(report.summary));
  }
  for (const id of ids) t.deepEqual(leftovers(id), []);
});
