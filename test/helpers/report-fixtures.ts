// Realistic report data without a cluster: the smoke and loophole suites planned by the real engine
// (real names, labels, oracle predictions and rules) on the kubelets given, with results of every
// status, observations shaped like the observer's, windows, checks and measurements. Used by the
// report tests (schema, JUnit, HTML, merge, diff).
import { plan, runKey, type Shard } from '../../harness/engine/plan.ts';
import { windowsOf } from '../../harness/engine/schedule.ts';
import { exitCodeFor, REPORT_SCHEMA, summarize, type Expectation, type Observation, type Report, type ScenarioResult, type ScenarioStatus, type WindowResult } from '../../harness/report/types.ts';
import type { PlannedScenario } from '../../harness/engine/plan.ts';
import { loophole } from '../../suites/loophole.ts';
import { smoke } from '../../suites/smoke.ts';
import type { SuiteDefinition } from '../../harness/engine/spec.ts';

const T0 = Date.parse('2026-05-04T10:00:00.000Z');
const iso = (ms: number): string => new Date(T0 + ms).toISOString();

function expectation(p: PlannedScenario): Expectation {
  const q = p.prediction;
  const e: Expectation = { outcome: q.outcome, registryContact: q.registryContact, record: q.record, rules: q.rules };
  if (q.cause) e.cause = q.cause;
  if (q.reason) e.reason = q.reason;
  if (q.event) e.event = q.event;
  if (q.stsExchanges !== undefined) e.stsExchanges = q.stsExchanges;
  if (q.mustPullCheck) e.mustPullCheck = q.mustPullCheck;
  if (q.knownBug) e.knownBug = q.knownBug;
  if (q.uncertain?.length) e.uncertain = q.uncertain;
  return e;
}

function observation(p: PlannedScenario, start: number, agree: boolean): Observation {
  const outcome = agree ? p.prediction.outcome : p.prediction.outcome === 'runs-cached' ? 'pull-fails' : 'runs-cached';
  const failing = outcome === 'pull-fails' || outcome === 'never-pull';
  const o: Observation = {
    outcome,
    summary: failing ? 'manifest HEAD for tenant-a/app as anonymous answered 401 (token service refused: no credentials)' : 'the container runs; no manifest request for the image',
    phase: failing ? 'Pending' : 'Running',
    container: failing ? { state: 'waiting', reason: outcome === 'never-pull' ? 'ErrImageNeverPull' : 'ImagePullBackOff', message: 'Back-off pulling image' } : { state: 'running' },
    events: failing
      ? [{ type: 'Warning', reason: 'Failed', message: 'Failed to pull image "registry.pullproof.test:5443/tenant-a/app-3f2a": 401 Unauthorized', count: 2, at: iso(start + 1800) }]
      : [{ type: 'Normal', reason: 'Pulled', message: 'Container image "registry.pullproof.test:5443/tenant-a/app-3f2a" already present on machine', count: 1, at: iso(start + 900) }],
    requests: failing ? [
      { target: 'token', kind: 'token', method: 'GET', status: 401, identity: 'anonymous', at: iso(start + 700) },
      { target: 'registry', kind: 'manifest', method: 'HEAD', status: 401, identity: 'anonymous', at: iso(start + 710) },
    ] : [],
    timings: { createdAt: iso(start + 200), decidedAt: iso(start + 1900), seconds: 1.7 },
  };
  if (failing) o.cause = 'no-credentials';
  if (p.prediction.record.kind === 'entry') o.record = { name: p.prediction.record.name, imageRef: 'sha256:3f2a0c9d', entry: p.prediction.record.entry };
  return o;
}

export interface FixtureOptions {
  kubelets?: string[];
  shard?: Shard;
  runId?: string;
  /** Status per scenario id (default: a spread that covers every status). */
  statusOf?: (p: PlannedScenario, i: number) => ScenarioStatus;
  /** Seconds added to every scenario time (for diff tests). */
  slower?: number;
  /** The suites planned (default smoke and loophole). */
  suites?: SuiteDefinition[];
}

/** Statuses by position, so every status appears when there are at least seven applicable scenarios. */
const SPREAD: ScenarioStatus[] = ['passed', 'failed', 'known-bug', 'flaky', 'error', 'passed', 'not-run'];

function resultOf(p: PlannedScenario, status: ScenarioStatus, start: number, windowIndex: number | undefined, worker: string, slower: number): ScenarioResult {
  const base: ScenarioResult = {
    kind: 'oracle', id: p.id, key: runKey(p), suite: p.suite, name: p.name, kubelet: p.kubelet, labels: p.labels, status, expected: expectation(p), setup: [], attempts: [], seconds: 0,
  };
  if (status === 'not-applicable') return { ...base, message: p.reason ?? 'not applicable' };
  if (status === 'not-run') return { ...base, message: 'interrupted by SIGINT' };
  const seconds = 14 + (p.id.length % 7) + slower;
  const setup = p.setup.map((s) => ({ step: s.step, what: `pod IfNotPresent app in a with pull-a`, expected: s.prediction.outcome, observed: s.prediction.outcome, ok: true }));
  const r: ScenarioResult = {
    ...base, setup, worker, window: windowIndex, startedAt: iso(start), finishedAt: iso(start + seconds * 1000), seconds,
    observed: observation(p, start, status !== 'failed'),
    attempts: [{ attempt: 1, status: status === 'flaky' ? 'failed' : status, startedAt: iso(start), seconds }],
  };
  if (status === 'failed') {
    r.message = `expected ${p.prediction.outcome}, observed ${r.observed?.outcome}: ${r.observed?.summary}`;
    r.bundle = `bundles/${runKey(p).replace(/[^A-Za-z0-9._-]+/g, '_')}-attempt1`;
    r.attempts[0] = { ...r.attempts[0], message: r.message } as ScenarioResult['attempts'][number];
  }
  if (status === 'error') {
    r.message = 'setup: pushing tenant-a/app failed: connect ECONNREFUSED 172.29.4.1:5443';
    r.attempts[0] = { ...r.attempts[0], message: r.message } as ScenarioResult['attempts'][number];
    delete r.observed;
    r.bundle = `bundles/${runKey(p).replace(/[^A-Za-z0-9._-]+/g, '_')}-attempt1`;
  }
  if (status === 'known-bug') {
    // As the oracle names it when a known bug applies (known-bugs.json): the buggy outcome beside the specified one.
    r.expected = { ...(r.expected as Expectation), knownBug: p.prediction.knownBug ?? { issue: 138175, title: 'a preloaded image is poisoned when the same content is pulled with credentials under another repository name', outcome: 'pull-fails', cause: 'denied' } };
    r.message = `behaves as known bug kubernetes#${r.expected.knownBug?.issue}: observed ${r.observed?.outcome}`;
  }
  if (status === 'flaky') {
    r.message = 'passed on attempt 2 after: the container did not reach a decision within 120s';
    r.attempts = [
      { attempt: 1, status: 'error', startedAt: iso(start), seconds, message: 'the container did not reach a decision within 120s' },
      { attempt: 2, status: 'passed', startedAt: iso(start + seconds * 1000), seconds },
    ];
    r.finishedAt = iso(start + 2 * seconds * 1000);
  }
  return r;
}

/** A report as pullproof run would write it for smoke + loophole on these kubelets (and shard). */
export function fixtureReport(o: FixtureOptions = {}): Report {
  const kubelets = o.kubelets ?? ['v1.35.4', 'v1.32.10'];
  const runId = o.runId ?? 'pp1a2b3c';
  const suites = o.suites ?? [smoke, loophole];
  const p = plan({ suites, kubelets, shard: o.shard });
  const all = plan({ suites, kubelets });
  const position = new Map(all.scenarios.map((s, i) => [runKey(s), i]));
  const windows = windowsOf(p.scenarios);
  const windowOf = new Map<string, number>();
  for (const w of windows) for (const s of w.scenarios) windowOf.set(runKey(s), w.index);
  const results: ScenarioResult[] = [];
  const windowResults: WindowResult[] = [];
  let clock = 60_000;
  for (const w of windows) {
    const worker = `pullproof-${runId}-worker${w.kubelet === 'v1.35.4' ? '' : '2'}`;
    const start = clock;
    let end = start;
    w.scenarios.forEach((s, j) => {
      const i = position.get(runKey(s)) ?? 0;
      const status = o.statusOf ? o.statusOf(s, i) : (SPREAD[i % SPREAD.length] as ScenarioStatus);
      // Up to four at once (--parallel 4): each starts 1.5 s after the previous one.
      const r = resultOf(s, status, start + 4000 + j * 1500, w.index, worker, o.slower ?? 0);
      if (r.finishedAt) end = Math.max(end, Date.parse(r.finishedAt) - T0);
      results.push(r);
    });
    windowResults.push({
      index: w.index, kubelet: w.kubelet, worker, settings: w.settings, scenarios: w.scenarios.length, exclusive: w.exclusive, parallel: 4, startedAt: iso(start),
      seconds: (end - start) / 1000 + 1, restarts: [{ why: 'configuration', seconds: 6.2 }], metrics: { 'kubelet_imagemanager_image_mustpull_checks_total{result="mustAuthenticate"}': 1 },
    });
    clock = end + 2000;
  }
  for (const s of p.scenarios.filter((x) => x.status === 'not-applicable')) results.push(resultOf(s, 'not-applicable', 0, undefined, '', 0));
  results.sort((a, b) => (position.get(a.key) ?? 0) - (position.get(b.key) ?? 0));
  const restarts = windowResults.flatMap((w) => w.restarts);
  const report: Report = {
    schema: REPORT_SCHEMA,
    pullproof: '0.1.0',
    run: {
      id: runId, command: ['run', '--suite', 'smoke', '--suite', 'loophole', ...kubelets.flatMap((k) => ['--kubelet', k]), ...(o.shard ? ['--shard', `${o.shard.index}/${o.shard.total}`] : [])],
      startedAt: iso(0), finishedAt: iso(clock + 20_000), seconds: (clock + 20_000) / 1000, complete: true, exitCode: 0,
      suites: suites.map((x) => x.name), kubelets, parallel: 4, retries: 1,
      host: { os: 'linux x64', kernel: '6.1.0-18-amd64', cpus: 2, memoryGiB: 24, docker: '20.10.24+dfsg1', cgroup: 'v1-hybrid' },
    },
    environment: {
      clusters: [{
        name: `pullproof-${runId}`, controlPlane: 'v1.35.4', nodeImage: 'pullproof/node:v1.35.4-0123456789ab', kind: 'v0.31.0',
        nodes: [
          { name: `pullproof-${runId}-control-plane`, role: 'control-plane', kubelet: 'v1.35.4' },
          ...kubelets.map((k, i) => ({ name: `pullproof-${runId}-worker${i ? String(i + 1) : ''}`, role: 'worker' as const, kubelet: k, build: { source: k === 'v1.35.4' ? 'node image' : 'kubelet-only build', sha256: 'f'.repeat(64) } })),
        ],
        timings: { 'create cluster': 41.3, 'nodes ready': 12.8 },
      }],
      registry: { host: 'registry.pullproof.test:5443', endpoint: 'https://172.29.4.1:5443' },
      fence: { subnet: '172.29.4.0/24', droppedPackets: 0, readAt: iso(clock + 19_000) },
    },
    windows: windowResults,
    scenarios: results,
    checks: [
      { name: 'cleanup: registry container', ok: true },
      { name: 'no packet left the run network (fence drop counter is 0)', ok: true, message: '0 packets dropped' },
    ],
    measurements: restarts.length ? [{ name: 'kubelet restart to Ready', value: 6.2, unit: 's', samples: restarts.length, how: 'median over every restart of the run: systemctl restart kubelet until healthz answers and the node reports Ready with a heartbeat newer than the restart' }] : [],
    summary: summarize(results),
  };
  if (o.shard) report.run.shard = o.shard;
  report.run.exitCode = exitCodeFor(report);
  return report;
}
