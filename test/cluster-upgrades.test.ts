// Kubelet swaps in place on a real cluster, as CI runs them: one rollback scenario (1.35.4 -> 1.34.4 on
// a 1.35 control plane: a kubelet-only build of 1.34.4 replaces the running one) run to the end, with
// the record files read before and after the swap; and Ctrl-C while a swap is under way, which must
// leave nothing behind. The full chains (1.33 -> 1.36, 1.34 -> 1.37) run with
// `pullproof run --suite upgrades --suite rollbacks` (docs/upgrades.md).
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Report } from '../harness/report/types.ts';
import { leftovers, pullproof, runIdFrom, start } from './helpers/cli.ts';

const SCENARIO = 'rollbacks/1.35-to-1.34/same-secret/Never';

test.serial('a rollback 1.35 -> 1.34 in place: the v1beta1 record is on disk before and after, the 1.34 kubelet cannot read it and refuses the Never pod even with the pulling secret (observed, not judged)', async (t) => {
  t.timeout(30 * 60_000);
  const dir = mkdtempSync(join(tmpdir(), 'pullproof-test-rollback-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const r = await pullproof(['run', '--suite', 'rollbacks', '--focus', `^${SCENARIO}$`, '--report-dir', dir]);
  t.is(r.code, 0, r.stderr.split('\n').slice(-30).join('\n'));
  const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report;
  const s = report.scenarios.find((x) => x.id === SCENARIO);
  t.is(s?.status, 'observed');
  t.falsy(s?.failOpen);
  t.is(s?.observed?.outcome, 'never-pull');
  t.deepEqual(s?.swaps?.map((w) => ({ from: w.from, to: w.to, before: w.recordsBefore.img, after: w.recordsAfter.img })), [{ from: 'v1.35.4', to: 'v1.34.4', before: 'v1beta1', after: 'v1beta1' }]);
  t.regex(r.stderr, /kubelet v1\.34\.4 Ready and uncordoned/);
  t.regex(readFileSync(join(dir, 'junit.xml'), 'utf8'), /<skipped message="observed, not judged: observed never-pull/);
  t.is(report.environment.fence?.droppedPackets, 0);
  t.deepEqual(leftovers(runIdFrom(r.stderr)), []);
});

test.serial('Ctrl-C while a kubelet is being swapped leaves no container, network or fence rule behind', async (t) => {
  t.timeout(30 * 60_000);
  const dir = mkdtempSync(join(tmpdir(), 'pullproof-test-rollback-int-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const child = start(['run', '--suite', 'rollbacks', '--focus', `^${SCENARIO}$`, '--report-dir', dir]);
  t.teardown(() => { if (child.child.exitCode === null) child.child.kill('SIGKILL'); });
  await child.waitFor(/kubelet v1\.35\.4 -> v1\.34\.4: drain, stop, swap the binary/, 25 * 60_000);
  child.child.kill('SIGINT');
  const result = await child.done;
  t.is(result.code, 130, result.stderr.split('\n').slice(-20).join('\n'));
  const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report;
  t.false(report.run.complete);
  t.deepEqual(leftovers(runIdFrom(result.stderr)), []);
});
