// Pods of several containers (specification A9): what the model predicts per container and in which
// order, how the observer reads each container off a pod, and the mistakes a suite can make with them.
// The real kubelets' verdicts are in docs/examples/pod-shapes/ (measured runs).
import test from 'ava';
import type { V1Pod } from '@kubernetes/client-node';
import { plan } from '../harness/engine/plan.ts';
import { classify, containerEvents, containersOf } from '../harness/engine/observe.ts';
import { SuiteError } from '../harness/engine/validate.ts';
import { worstStatus } from '../harness/engine/execute.ts';
import { renderHtml } from '../harness/report/html.ts';
import { renderMarkdown } from '../harness/report/markdown.ts';
import type { Report } from '../harness/report/types.ts';
import { fullReport } from './helpers/full-report.ts';
import type { PodSpec, ScenarioSpec, SuiteDefinition } from '../harness/engine/spec.ts';
import { podShapes } from '../suites/pod-shapes.ts';

function planned(id: string, kubelet = 'v1.35.4'): { main: string; containers: Record<string, string> } {
  const s = plan({ suites: [podShapes], kubelets: [kubelet] }).scenarios.find((x) => x.id === `pod-shapes/${id}`);
  if (!s) throw new Error(`no scenario ${id}`);
  return { main: s.prediction.outcome, containers: Object.fromEntries((s.containers ?? []).map((c) => [c.name, `${c.prediction.outcome}${c.prediction.cause ? ` (${c.prediction.cause})` : ''}`])) };
}

test('a refused init container leaves main unstarted; with the gate off the cached private image runs for anyone', (t) => {
  t.deepEqual(planned('init/AlwaysVerify/no-secret'), { main: 'not-started', containers: { init: 'pull-fails (denied)' } });
  t.deepEqual(planned('init/AlwaysVerify/same-secret'), { main: 'pulls-runs', containers: { init: 'runs-cached' } });
  t.deepEqual(planned('init/gate-off/no-secret', 'v1.37.2'), { main: 'pulls-runs', containers: { init: 'runs-cached' } });
});

test('a sidecar is decided like an init container, under its own rule: refused, it holds up main; running from the cache, main starts after it', (t) => {
  t.deepEqual(planned('sidecar/AlwaysVerify/no-secret'), { main: 'not-started', containers: { sidecar: 'pull-fails (denied)' } });
  t.deepEqual(planned('sidecar/AlwaysVerify/same-secret'), { main: 'pulls-runs', containers: { sidecar: 'runs-cached' } });
  const s = plan({ suites: [podShapes], kubelets: ['v1.35.4'] }).scenarios.find((x) => x.id === 'pod-shapes/sidecar/AlwaysVerify/no-secret');
  t.is(s?.containers?.[0]?.prediction.rules[0]?.id, 'A9.sidecar');
  t.is(s?.prediction.reason, 'sidecar sidecar did not start');
  t.deepEqual(s?.prediction.rules.map((r) => r.id), ['A9.init-blocks']);
});

test('each container is decided on its own: a cached and an absent private image beside a public one', (t) => {
  t.deepEqual(planned('containers/NeverVerifyPreloadedImages/no-secret'), { main: 'pulls-runs', containers: { cached: 'pull-fails (denied)', fresh: 'pull-fails (denied)' } });
  t.deepEqual(planned('containers/NeverVerifyPreloadedImages/same-secret'), { main: 'pulls-runs', containers: { cached: 'runs-cached', fresh: 'pulls-runs' } });
  t.deepEqual(planned('containers/gate-off/no-secret'), { main: 'pulls-runs', containers: { cached: 'runs-cached', fresh: 'pull-fails (denied)' } });
});

test('an ephemeral container is verified like any container: kubectl debug cannot use a cached private image without credentials', (t) => {
  t.deepEqual(planned('ephemeral/AlwaysVerify/no-secret').containers, { debugger: 'pull-fails (denied)' });
  t.deepEqual(planned('ephemeral-never/AlwaysVerify/no-secret').containers, { debugger: 'never-pull' });
  t.deepEqual(planned('ephemeral-never/gate-off/no-secret').containers, { debugger: 'runs-cached' });
});

const world = { users: { owner: { pulls: ['a1', 'a2'] } }, images: { a1: { repository: 'private' as const }, a2: { repository: 'private' as const, sameContentAs: 'a1' } }, secrets: { 'pull-a': { namespace: 'a', user: 'owner' } } };

function one(act: PodSpec, setup: ScenarioSpec['setup'] = []): SuiteDefinition {
  return { name: 'mine', title: 'x', description: 'x', scenarios: () => [{ id: 's', name: 's', world, kubelet: { ensureSecretPulledImages: true, policy: 'AlwaysVerify' }, setup, act }] };
}

test('containers are predicted in the kubelet\'s order, each in the world the ones before it leave', (t) => {
  // The init container pulls a1 with the secret; main names the same content under another repository
  // (a2): that name is absent (another repository is not another name of a1's, A8), so it is pulled, and
  // its entry is written into the record the init container's pull created.
  const s = plan({ suites: [one({ namespace: 'a', image: 'a2', pullPolicy: 'IfNotPresent', secrets: ['pull-a'], initContainers: [{ name: 'first', image: 'a1', pullPolicy: 'IfNotPresent' }] })], kubelets: ['v1.35.4'] }).scenarios[0];
  t.is(s?.containers?.[0]?.prediction.outcome, 'pulls-runs');
  t.is(s?.prediction.outcome, 'pulls-runs');
  t.deepEqual(s?.prediction.rules.map((r) => r.id).slice(0, 2), ['A9.container', 'A4.absent-pull']);
  // Never for main: nothing before it pulled a2, so it is refused although the content is on the node.
  const never = plan({ suites: [one({ namespace: 'a', image: 'a2', pullPolicy: 'Never', secrets: ['pull-a'], initContainers: [{ name: 'first', image: 'a1', pullPolicy: 'IfNotPresent' }] })], kubelets: ['v1.35.4'] }).scenarios[0];
  t.is(never?.prediction.outcome, 'never-pull');
  // An init container of a1 with Never after a setup pod pulled a1: present, and the record matches the secret.
  const cached = plan({ suites: [one({ namespace: 'a', image: 'a2', pullPolicy: 'IfNotPresent', secrets: ['pull-a'], initContainers: [{ name: 'first', image: 'a1', pullPolicy: 'Never' }] }, [{ pod: { namespace: 'a', image: 'a1', pullPolicy: 'IfNotPresent', secrets: ['pull-a'] } }])], kubelets: ['v1.35.4'] }).scenarios[0];
  t.is(cached?.containers?.[0]?.prediction.outcome, 'runs-cached');
});

test('mistakes: a name taken twice, one image for two containers, an ephemeral container in a setup pod, a bad name', (t) => {
  const problems = (suite: SuiteDefinition): string[] => {
    const err = t.throws(() => plan({ suites: [suite], kubelets: ['v1.35.4'] }), { instanceOf: SuiteError });
    return err?.problems.map((p) => `${p.path}: ${p.problem}`) ?? [];
  };
  t.deepEqual(problems(one({ namespace: 'a', image: 'a1', pullPolicy: 'IfNotPresent', containers: [{ name: 'main', image: 'a2', pullPolicy: 'Never' }] })), ['act.containers[0].name: the name "main" is taken (the pod\'s own image)']);
  t.deepEqual(problems(one({ namespace: 'a', image: 'a1', pullPolicy: 'IfNotPresent', initContainers: [{ name: 'x', image: 'a1', pullPolicy: 'Never' }] })), ['act.initContainers[0].image: the image "a1" is also the image of container main: each container\'s registry requests are told apart by its image\'s repository']);
  const setupPod = { pod: { namespace: 'a', image: 'a1', pullPolicy: 'IfNotPresent' as const, secrets: ['pull-a'], ephemeralContainers: [{ name: 'dbg', image: 'a2', pullPolicy: 'IfNotPresent' as const }] } };
  t.deepEqual(problems(one({ namespace: 'a', image: 'a1', pullPolicy: 'Never' }, [setupPod])), ['setup[0].pod.ephemeralContainers[0]: a setup pod has no ephemeral containers (they are added to a running pod under test)']);
  t.deepEqual(problems(one({ namespace: 'a', image: 'a1', pullPolicy: 'IfNotPresent', containers: [{ name: 'Side_Car', image: 'a2', pullPolicy: 'Never' }] })), ['act.containers[0].name: "Side_Car" is not a valid name']);
  t.deepEqual(problems(one({ namespace: 'a', image: 'a1', pullPolicy: 'IfNotPresent', containers: [{ name: 'side', image: 'a2', pullPolicy: 'Never', restartPolicy: 'Always' }] })), ['act.containers[0].restartPolicy: restartPolicy makes an init container a sidecar; the containers of a pod have none of their own']);
});

function podWith(status: V1Pod['status']): V1Pod {
  return { status: { phase: 'Pending', ...status } };
}

const LIST = [{ kind: 'init' as const, name: 'init' }, { kind: 'container' as const, name: 'main' }, { kind: 'container' as const, name: 'side' }];

test('the observer reads each container from its own status list; after a refused init container the others are not started', (t) => {
  const d = containersOf(podWith({
    initContainerStatuses: [{ name: 'init', image: 'i', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ErrImagePull', message: 'denied' } } }],
    containerStatuses: [{ name: 'main', image: 'm', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }],
  }), LIST);
  t.is(classify(d.get('init') ?? { decided: false, container: { state: 'none' } }, [], []).outcome, 'pull-fails');
  for (const n of ['main', 'side']) {
    const x = d.get(n);
    t.true(x?.decided, n);
    t.is(x ? classify(x, [], []).outcome : undefined, 'not-started', n);
  }
});

test('the observer waits while an init container runs, and reads a completed one as having run', (t) => {
  const running = containersOf(podWith({ initContainerStatuses: [{ name: 'init', image: 'i', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }] }), LIST);
  t.false(running.get('init')?.decided);
  t.false(running.get('main')?.decided);
  const done = containersOf(podWith({
    initContainerStatuses: [{ name: 'init', image: 'i', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
    containerStatuses: [{ name: 'main', image: 'm', imageID: '', ready: true, restartCount: 0, state: { running: {} } }, { name: 'side', image: 's', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ErrImageNeverPull' } } }],
  }), LIST);
  t.is(classify(done.get('init') ?? { decided: false, container: { state: 'none' } }, [], []).outcome, 'runs-cached');
  t.is(classify(done.get('side') ?? { decided: false, container: { state: 'none' } }, [], []).outcome, 'never-pull');
});

test('a container\'s events are those whose fieldPath names it', (t) => {
  const ev = (reason: string, fieldPath?: string): { type: string; reason: string; message: string; count: number; fieldPath?: string } => ({ type: 'Normal', reason, message: reason, count: 1, ...(fieldPath ? { fieldPath } : {}) });
  const events = [ev('Pulled', 'spec.containers{main}'), ev('Failed', 'spec.initContainers{init}'), ev('Failed', 'spec.ephemeralContainers{dbg}'), ev('Scheduled')];
  t.deepEqual(containerEvents(events, 'init', 'init').map((e) => e.reason), ['Failed']);
  t.deepEqual(containerEvents(events, 'container', 'main'), [{ type: 'Normal', reason: 'Pulled', message: 'Pulled', count: 1 }]);
  t.deepEqual(containerEvents(events, 'ephemeral', 'dbg').map((e) => e.reason), ['Failed']);
});

test('a scenario of several containers is as bad as its worst container', (t) => {
  t.is(worstStatus(['passed', 'passed']), 'passed');
  t.is(worstStatus(['passed', 'known-bug']), 'known-bug');
  t.is(worstStatus(['known-bug', 'failed', 'passed']), 'failed');
  t.is(worstStatus(['failed', 'error']), 'error');
});

test('the reports show each container of a scenario that did not pass: its verdict, what was expected and observed', (t) => {
  const report = structuredClone(fullReport) as unknown as Report;
  const html = renderHtml(report);
  t.regex(html, /<h4>Containers<\/h4>/);
  t.regex(html, /<code>init-1<\/code> \(init, <code>other:v2@digest<\/code>\)/);
  const md = renderMarkdown(report);
  t.regex(md, /- container init-1 \(init, `other:v2@digest`\): pass, expected runs-cached \(denied\), observed runs-cached/);
});
