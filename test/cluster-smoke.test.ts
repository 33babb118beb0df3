// The smoke suite on a real 1.35 cluster built from source, run as a user runs it: `pullproof run` as a
// child process, asserting on its exit code, its report and on Docker afterwards (so an interrupted
// test runner cannot leak a cluster). If the cluster cannot be built or started, these tests fail.
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { leftovers, pullproof, runIdFrom, start } from './helpers/cli.ts';
import type { Report } from '../harness/report/types.ts';
import type { RequestRecord } from '../harness/proxy/records.ts';

const unsharded = mkdtempSync(join(tmpdir(), 'pullproof-test-smoke-'));
test.after.always(() => rmSync(unsharded, { recursive: true, force: true }));

function readReport(dir: string): Report {
  return JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report;
}

test('the smoke suite agrees with the oracle on a source-built 1.35 cluster, no packet leaves, and nothing is left behind', async (t) => {
  t.timeout(60 * 60_000);
  const dir = unsharded;
  const r = await pullproof(['run', '--suite', 'smoke', '--report-dir', dir]);
  const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report;
  const failed = report.scenarios.filter((x) => x.status !== 'passed').map((x) => `${x.name}: ${x.status} ${x.message ?? ''}`);
  t.deepEqual(failed, [], r.stderr.split('\n').slice(-40).join('\n'));
  t.is(r.code, 0);
  t.true(report.run.complete);
  t.is(report.summary.passed, 7);
  // 1. The fence: read at cleanup, just before the rule was removed, and written into the report.
  t.is(report.environment.fence?.droppedPackets, 0);
  // 2. Every request the registry answered is in the fault proxy's records (nothing reached it another way).
  const records = readFileSync(join(dir, 'logs', 'requests.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as RequestRecord);
  const registryLog = readFileSync(join(dir, 'logs', 'registry.log'), 'utf8');
  const completed = [...registryLog.matchAll(/msg="response completed".*?http\.request\.method=(\w+).*?http\.request\.uri="([^"?]+)/g)].map((m) => `${m[1]} ${m[2]}`);
  const proxied = new Set(records.filter((x) => x.target === 'registry').map((x) => `${x.method} ${x.path}`));
  t.true(completed.length > 0, 'the registry answered requests');
  t.deepEqual(completed.filter((c) => !proxied.has(c)), []);
  // 3. Every hosts.toml in every node points at the harness registry (an infrastructure check).
  const mirror = report.checks.filter((c) => c.name.startsWith('every hosts.toml'));
  t.is(mirror.length, 2);
  t.true(mirror.every((c) => c.ok));
  // 4. The record the kubelet wrote names the pulling secret and the hash the kubelet computes.
  const pulled = report.scenarios.find((s) => s.id === 'smoke/gate-on/pull-with-secret');
  t.regex(JSON.stringify(pulled?.observed?.record?.entry ?? {}), /"credentialHash":"[0-9a-f]{64}"/);
  t.deepEqual(leftovers(runIdFrom(r.stderr)), []);
});

test('two shards of the smoke suite, run one after the other and merged, give the same verdicts as the unsharded run', async (t) => {
  t.timeout(60 * 60_000);
  const root = mkdtempSync(join(tmpdir(), 'pullproof-test-shards-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const shards: Report[] = [];
  for (const shard of ['1/2', '2/2']) {
    const dir = join(root, shard.replace('/', 'of'));
    const r = await pullproof(['run', '--suite', 'smoke', '--shard', shard, '--report-dir', dir]);
    t.is(r.code, 0, r.stderr.split('\n').slice(-20).join('\n'));
    shards.push(readReport(dir));
    t.deepEqual(leftovers(runIdFrom(r.stderr)), []);
  }
  const [a, b] = shards as [Report, Report];
  t.true(a.scenarios.length > 0 && b.scenarios.length > 0, 'both shards are non-empty');
  t.deepEqual(a.scenarios.map((s) => s.key).filter((k) => b.scenarios.some((x) => x.key === k)), [], 'the shards are disjoint');
  const merged = join(root, 'merged');
  const m = await pullproof(['merge', join(root, '1of2'), join(root, '2of2'), '--out', merged]);
  t.is(m.code, 0, m.stderr);
  const verdicts = (r: Report): string[] => r.scenarios.map((s) => `${s.key} ${s.status} ${s.observed?.outcome ?? ''}`).sort();
  t.deepEqual(verdicts(readReport(merged)), verdicts(readReport(unsharded)));
  t.is(readReport(merged).mergedFrom?.length, 2);
});

test('Ctrl-C during cluster creation writes a partial report and removes the cluster, the network and the fence', async (t) => {
  t.timeout(30 * 60_000);
  const dir = mkdtempSync(join(tmpdir(), 'pullproof-test-int-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const run = start(['run', '--suite', 'smoke', '--report-dir', dir]);
  await run.waitFor(/> kind cluster /, 30 * 60_000);
  await new Promise((r) => setTimeout(r, 8000));
  run.child.kill('SIGINT');
  const r = await run.done;
  t.is(r.code, 130);
  const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report;
  t.false(report.run.complete);
  t.true(report.scenarios.every((s) => s.status === 'not-run'));
  t.deepEqual(leftovers(runIdFrom(r.stderr)), []);
});

test('Ctrl-C during a scenario writes a partial report marked incomplete and leaves nothing behind', async (t) => {
  t.timeout(30 * 60_000);
  const dir = mkdtempSync(join(tmpdir(), 'pullproof-test-int2-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const run = start(['run', '--suite', 'smoke', '--report-dir', dir]);
  await run.waitFor(/PASS /, 30 * 60_000);
  run.child.kill('SIGINT');
  const r = await run.done;
  t.is(r.code, 130);
  const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report;
  t.false(report.run.complete);
  t.true(report.scenarios.some((s) => s.status === 'passed'), 'what finished is reported');
  t.true(report.scenarios.some((s) => s.status === 'not-run'), 'what did not run is named');
  t.deepEqual(leftovers(runIdFrom(r.stderr)), []);
});
