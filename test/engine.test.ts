// The engine without a cluster: planning, windows, shards, the symbolic model, the judge, the desired
// kubelet configuration, refusal parsing, cluster layouts and exit codes.
import test from 'ava';
import { plan, parseShard, runKey } from '../harness/engine/plan.ts';
import { windowsOf, mergeAttempts, withTimeout } from '../harness/engine/schedule.ts';
import { judge } from '../harness/engine/judge.ts';
import { renderKubeletConfig, refusalReason } from '../harness/engine/worker.ts';
import { clusterLayouts } from '../harness/engine/provision.ts';
import { ScenarioModel, planResolver } from '../harness/engine/model.ts';
import { classify } from '../harness/engine/observe.ts';
import { exitCodeFor, summarize, type Observation, type ScenarioResult } from '../harness/report/types.ts';
import { predict } from '../harness/oracle/predict.ts';
import { smoke } from '../suites/smoke.ts';
import { loophole } from '../suites/loophole.ts';
import { rollbacks, upgrades } from '../suites/upgrades.ts';
import { ensureSecretPulled } from '../suites/ensure-secret-pulled.ts';
import { pod, primedBy, privateImageWorld } from '../suites/lib.ts';
import { defineSuite, type ScenarioSpec } from '../harness/engine/spec.ts';
import { serviceAccountTokens } from '../suites/service-account-tokens.ts';

const V135 = 'v1.35.4';

test('plan: every scenario gets an oracle prediction and rules; ids are suite/scenario', (t) => {
  const p = plan({ suites: [smoke, loophole], kubelets: [V135] });
  t.is(p.scenarios.length, 10);
  for (const s of p.scenarios) {
    t.regex(s.id, /^(smoke|loophole)\//);
    t.true(s.prediction.rules.length > 0, s.id);
  }
  const byId = Object.fromEntries(p.scenarios.map((s) => [s.id, s.prediction.outcome]));
  t.is(byId['smoke/gate-off/loophole'], 'runs-cached');
  t.is(byId['smoke/gate-on/ifnotpresent-no-secret'], 'pull-fails');
  t.is(byId['smoke/gate-on/never-no-secret'], 'never-pull');
  t.is(byId['smoke/gate-on/after-restart'], 'pull-fails');
  t.is(byId['smoke/migration-caveat'], 'runs-cached');
  t.is(byId['smoke/gate-on/pull-with-secret'], 'pulls-runs');
});

test('plan: on a 1.32 kubelet the gate-on scenarios are not applicable, with the reason', (t) => {
  const p = plan({ suites: [loophole], kubelets: ['v1.32.10'] });
  const closed = p.scenarios.find((s) => s.id === 'loophole/loophole-closed');
  t.is(closed?.status, 'not-applicable');
  t.regex(closed?.reason ?? '', /v1\.32\.10 kubelet has no KubeletEnsureSecretPulledImages/);
  t.is(p.scenarios.find((s) => s.id === 'loophole/loophole-open')?.prediction.outcome, 'runs-cached');
});

test('plan: a setup pod the oracle says cannot run is a suite error, named', (t) => {
  const bad: ScenarioSpec = { id: 'bad', name: 'bad', world: privateImageWorld(), kubelet: {}, setup: [{ pod: pod('b', 'IfNotPresent') }], act: pod('a', 'Never') };
  t.throws(() => plan({ suites: [{ name: 'x', title: 'x', description: 'x', scenarios: () => [bad] }], kubelets: [V135] }), { message: /scenario bad, setup\[0\]: on v1\.35\.4, setup step 1 \(setup pod 1 of 1\) is predicted to end in pull-fails/ });
  // Steps and pods counted apart: the fourth step is the second pod.
  const later: ScenarioSpec = { ...bad, id: 'later', setup: [primedBy(), { waitSeconds: 1 }, { preload: 'img' }, { pod: pod('b', 'Always') }] };
  t.throws(() => plan({ suites: [{ name: 'x', title: 'x', description: 'x', scenarios: () => [later] }], kubelets: [V135] }), { message: /scenario later, setup\[3\]: on v1\.35\.4, setup step 4 \(setup pod 2 of 2\) is predicted to end in pull-fails/ });
});

test('windows: the smoke suite needs four kubelet configuration windows (off, on, on + restart, off then on)', (t) => {
  const ws = windowsOf(plan({ suites: [smoke], kubelets: [V135] }).scenarios);
  t.is(ws.length, 4);
  t.deepEqual(ws.map((w) => w.scenarios.length).sort(), [1, 1, 2, 3]);
  t.true(ws.some((w) => w.barriers.some((b) => 'restartKubelet' in b)));
});

test('shards: two shards are non-empty, disjoint, cover the whole plan and are the same on every call', (t) => {
  const all = plan({ suites: [smoke, loophole], kubelets: [V135] }).scenarios.map(runKey);
  const a = plan({ suites: [smoke, loophole], kubelets: [V135], shard: parseShard('1/2') }).scenarios.map(runKey);
  const b = plan({ suites: [smoke, loophole], kubelets: [V135], shard: parseShard('2/2') }).scenarios.map(runKey);
  t.true(a.length > 0 && b.length > 0);
  t.deepEqual(a.filter((x) => b.includes(x)), []);
  t.deepEqual([...a, ...b].sort(), [...all].sort());
  t.deepEqual(plan({ suites: [smoke, loophole], kubelets: [V135], shard: parseShard('1/2') }).scenarios.map(runKey), a);
  t.throws(() => parseShard('3/2'), { message: /--shard: "3\/2" is not K\/N/ });
});

test('focus and skip filter by regular expression on name or id', (t) => {
  const p = plan({ suites: [smoke], kubelets: [V135], focus: [/gate-on/], skip: [/restart/] });
  t.deepEqual(p.scenarios.map((s) => s.id).sort(), ['smoke/gate-on/ifnotpresent-no-secret', 'smoke/gate-on/never-no-secret', 'smoke/gate-on/pull-with-secret']);
  t.is(p.filteredOut, 4);
});

test('model: an intent for a present image becomes a credential-less record at restart (A7)', (t) => {
  const spec: ScenarioSpec = { id: 'i', name: 'i', world: privateImageWorld(), kubelet: { ensureSecretPulledImages: true, policy: 'NeverVerify' }, act: pod('b', 'IfNotPresent') };
  const m = new ScenarioModel(spec, V135, planResolver('k'));
  m.applyStep({ preload: 'img' });
  m.applyStep({ records: { intent: 'img' } });
  m.applyStep({ restartKubelet: true });
  const input = m.input(pod('b', 'IfNotPresent'));
  t.deepEqual(input.node.record, { kind: 'present', credentialMapping: {} });
  t.true(input.node.kubeletPulledName);
  t.false(input.node.intent);
});

test('model: a secret updated in place keeps its uid and changes its hash; recreated, it gets a new uid', (t) => {
  const spec: ScenarioSpec = { id: 'u', name: 'u', world: privateImageWorld(), kubelet: {}, setup: [primedBy()], act: pod('a', 'IfNotPresent', { secrets: ['pull-a'] }) };
  const m = new ScenarioModel(spec, V135, planResolver('k'));
  const first = m.input(spec.act).pod.secrets[0]?.coordinates;
  m.applyStep({ updateSecret: 'pull-a', password: 'wrong' });
  const updated = m.input(spec.act).pod.secrets[0];
  t.is(updated?.coordinates.uid, first?.uid);
  t.not(updated?.coordinates.credentialHash, first?.credentialHash);
  t.false(updated?.registryAccepts);
  m.applyStep({ recreateSecret: 'pull-a' });
  t.not(m.input(spec.act).pod.secrets[0]?.coordinates.uid, first?.uid);
});

function obs(o: Partial<Observation>): Observation {
  return { outcome: 'runs-cached', summary: 's', events: [], requests: [], timings: { createdAt: '' }, ...o };
}

test('judge: a refusal for the wrong reason (registry unreachable where a 401 was due) is a failure', (t) => {
  const p = predict({ kubelet: { version: V135, gates: {} }, node: { present: true, record: { kind: 'present', credentialMapping: { 'registry.pullproof.test:5443/private/app': { kubernetesSecrets: [{ uid: 'u', namespace: 'a', name: 's', credentialHash: 'h' }] } } } }, pod: { namespace: 'b', image: 'registry.pullproof.test:5443/private/app:v1', pullPolicy: 'IfNotPresent', secrets: [] }, registry: { up: true, anonymousReadable: false } });
  t.is(p.outcome, 'pull-fails');
  const v = judge({ prediction: p, observation: obs({ outcome: 'pull-fails', cause: 'unreachable', events: [{ type: 'Warning', reason: 'Failed', message: 'Failed to pull image', count: 1 }] }), checkRecord: false });
  t.is(v.status, 'failed');
  t.regex(v.problems[0] ?? '', /expected pull-fails \(denied\); observed pull-fails \(unreachable\)/);
  const ok = judge({ prediction: p, observation: obs({ outcome: 'pull-fails', cause: 'denied', events: [{ type: 'Warning', reason: 'Failed', message: 'Failed to pull image "x": 401', count: 1 }] }), checkRecord: false });
  t.is(ok.status, 'passed', ok.problems.join('; '));
});

test('judge: the gate-on event wording and the record afterwards are checked', (t) => {
  const entry = { kubernetesSecrets: [{ uid: 'u', namespace: 'a', name: 's', credentialHash: 'h' }] };
  const p = predict({ kubelet: { version: V135, gates: {} }, node: { present: true, record: { kind: 'present', credentialMapping: { 'registry.pullproof.test:5443/private/app': entry } } }, pod: { namespace: 'a', image: 'registry.pullproof.test:5443/private/app:v1', pullPolicy: 'IfNotPresent', secrets: [{ coordinates: entry.kubernetesSecrets[0] as never, matchesRegistry: true, registryAccepts: true }] }, registry: { up: true, anonymousReadable: false } });
  const gateOffWording = judge({ prediction: p, observation: obs({ events: [{ type: 'Normal', reason: 'Pulled', message: 'Container image "x" already present on machine', count: 1 }], record: { name: 'n', entry } }), entryBefore: entry, checkRecord: true });
  t.is(gateOffWording.status, 'failed');
  t.regex(gateOffWording.problems.join(' '), /expected a Pulled event saying "already present on machine and can be accessed by the pod"/);
  const wrongRecord = judge({ prediction: p, observation: obs({ events: [{ type: 'Normal', reason: 'Pulled', message: 'Container image "x" already present on machine and can be accessed by the pod', count: 1 }], record: { name: 'n', entry: { nodePodsAccessible: true } } }), entryBefore: entry, checkRecord: true });
  t.regex(wrongRecord.problems.join(' '), /expected the record for n to hold secrets \[a\/s\/u#h\]; observed nodePodsAccessible/);
});

test('judge: an observation matching a known bug is the known bug, neither pass nor fail', (t) => {
  const p = predict({ kubelet: { version: V135, gates: {}, policy: 'NeverVerifyAllowlistedImages', allowlist: ['registry.pullproof.test:5443/allowlisted/app'] }, node: { present: true, loadedOutsideKubelet: true, record: { kind: 'none' } }, pod: { namespace: 'a', image: 'registry.pullproof.test:5443/allowlisted/app:v1', pullPolicy: 'Never', secrets: [] }, registry: { up: true, anonymousReadable: false } });
  t.is(p.knownBug?.issue, 137629);
  t.is(judge({ prediction: p, observation: obs({ outcome: 'never-pull' }), checkRecord: false }).status, 'known-bug');
  const fixed = judge({ prediction: p, observation: obs({ events: [{ type: 'Normal', reason: 'Pulled', message: 'already present on machine and can be accessed by the pod', count: 1 }] }), checkRecord: false });
  t.is(fixed.status, 'passed');
  t.regex(fixed.notes.join(' '), /did not reproduce/);
});

test('observer: outcomes are read blind from the container state and the requests', (t) => {
  const running = { decided: true, container: { state: 'running' as const } };
  t.is(classify(running, [], []).outcome, 'runs-cached');
  t.is(classify(running, [{ target: 'registry', kind: 'manifest', method: 'HEAD', status: 200, identity: 'u', at: '' }], []).outcome, 'reverifies-runs');
  t.is(classify(running, [{ target: 'registry', kind: 'manifest', method: 'GET', status: 200, identity: 'u', at: '' }, { target: 'registry', kind: 'blob', method: 'GET', status: 200, identity: 'u', at: '' }], []).outcome, 'pulls-runs');
  const failed = { decided: true, container: { state: 'waiting' as const, reason: 'ErrImagePull' } };
  const denied = classify(failed, [{ target: 'token', kind: 'token', method: 'POST', status: 401, identity: 'k-owner', at: '' }], []);
  t.is(denied.cause, 'denied');
  t.regex(denied.summary, /token service answered 401 to k-owner/);
  t.is(classify(failed, [], [{ type: 'Warning', reason: 'Failed', message: 'Failed to pull image "x": failed to resolve reference: dial tcp 172.29.1.1:5443: connect: connection refused', count: 1 }]).cause, 'unreachable');
  t.is(classify({ decided: false, container: { state: 'none' } }, [], []).outcome, 'no-outcome');
});

test('kubelet configuration is a desired state: fields a window does not set are removed', (t) => {
  const base = 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nfailCgroupV1: false\nimagePullCredentialsVerificationPolicy: NeverVerifyAllowlistedImages\npreloadedImagesVerificationAllowlist:\n  - registry.example/*\n';
  const out = renderKubeletConfig(base, { version: V135, gates: { KubeletEnsureSecretPulledImages: true }, policy: 'AlwaysVerify' });
  t.regex(out, /imagePullCredentialsVerificationPolicy: AlwaysVerify/);
  t.notRegex(out, /preloadedImagesVerificationAllowlist/);
  t.regex(out, /failCgroupV1: false/);
  t.regex(out, /KubeletEnsureSecretPulledImages: true/);
  const none = renderKubeletConfig(base, { version: V135, gates: {} });
  t.notRegex(none, /imagePullCredentialsVerificationPolicy|featureGates/);
});

test('a refusing kubelet is reported with its own message', (t) => {
  const journal = [
    'Nov 29 16:00:00 node kubelet[123]: I1129 16:00:00.000000 123 server.go:1] "Starting"',
    'Nov 29 16:00:00 node kubelet[123]: E1129 16:00:00.100000 123 run.go:72] "command failed" err="failed to validate kubelet configuration, error: invalid configuration: can\'t set `preloadedImagesVerificationAllowlist` if `imagePullCredentialsVertificationPolicy` is not \\"NeverVerifyAllowlistedImages\\", path: &TypeMeta{}"',
  ].join('\n');
  t.regex(refusalReason(journal) ?? '', /^failed to validate kubelet configuration, error: invalid configuration: can't set `preloadedImagesVerificationAllowlist`/);
});

test('cluster layouts follow the skew policy: older kubelets join 1.35, 1.37 cannot host 1.32', (t) => {
  t.deepEqual(clusterLayouts(['v1.32.10', 'v1.33.13', 'v1.34.4', 'v1.35.4']), [{ controlPlane: 'v1.35.4', kubelets: ['v1.35.4', 'v1.34.4', 'v1.33.13', 'v1.32.10'] }]);
  const two = clusterLayouts(['v1.32.10', 'v1.37.2']);
  t.is(two.length, 2);
  t.true(two.some((c) => c.controlPlane === 'v1.37.2') && two.some((c) => c.controlPlane === 'v1.35.4'));
});

test('exit codes: 1 for a failure, 3 for infrastructure, 4 when nothing ran, 0 with known bugs and flaky passes', (t) => {
  const r = (status: ScenarioResult['status']): ScenarioResult => ({ kind: 'oracle', id: 'x', key: `x-${status}`, suite: 's', name: 'n', kubelet: V135, labels: {}, status, setup: [], attempts: [], seconds: 0 });
  const run = { complete: true } as never;
  t.is(exitCodeFor({ summary: summarize([r('passed'), r('known-bug'), r('flaky')]), checks: [], run }), 0);
  t.is(exitCodeFor({ summary: summarize([r('passed'), r('failed')]), checks: [], run }), 1);
  t.is(exitCodeFor({ summary: summarize([r('passed')]), checks: [{ name: 'cleanup', ok: false }], run }), 3);
  t.is(exitCodeFor({ summary: summarize([r('not-applicable')]), checks: [], run }), 4);
});

test('retries: a pass after a failure is flaky with both attempts kept', (t) => {
  const base = { kind: 'oracle' as const, id: 'x', key: 'x@v', suite: 's', name: 'n', kubelet: V135, labels: {}, setup: [], seconds: 1 };
  const first: ScenarioResult = { ...base, status: 'failed', message: 'boom', attempts: [{ attempt: 1, status: 'failed', startedAt: '', seconds: 1 }] };
  const second: ScenarioResult = { ...base, status: 'passed', attempts: [{ attempt: 2, status: 'passed', startedAt: '', seconds: 1 }] };
  const m = mergeAttempts(first, second);
  t.is(m.status, 'flaky');
  t.is(m.attempts.length, 2);
});

test('a scenario timeout aborts its work (the signal passed down fires)', async (t) => {
  let aborted = false;
  await t.throwsAsync(withTimeout(50, undefined, 'scenario "x"', (signal) => new Promise((resolve) => {
    signal.addEventListener('abort', () => { aborted = true; resolve(undefined); });
  })), { message: /scenario "x" timed out after 0s/ });
  t.true(aborted);
});

test('upgrade chains: planned once from their own first kubelet, one window per chain and gate mode, under the newest kubelet of the chain as control plane', (t) => {
  const p = plan({ suites: [upgrades], kubelets: ['v1.32.10', V135] });
  const chainA = p.scenarios.filter((s) => s.id.startsWith('upgrades/1.33-to-1.36/'));
  t.true(chainA.length > 0 && chainA.every((s) => s.kubelet === 'v1.33.13' && s.controlPlane === 'v1.36.3'), 'chain A starts on 1.33 under a 1.36 control plane');
  t.true(p.scenarios.filter((s) => s.id.startsWith('upgrades/1.34-to-1.37/')).every((s) => s.kubelet === 'v1.34.4' && s.controlPlane === 'v1.37.2'));
  t.is(new Set(p.scenarios.map((s) => s.id)).size, p.scenarios.length, '--kubelet does not multiply a suite that names its own kubelets');
  // Scenarios with the same chain and settings share a window: the swaps happen once for all of them.
  const windows = windowsOf(p.scenarios);
  t.is(windows.length, 6);
  t.true(windows.every((w) => w.barriers.length === 3 && w.barriers.every((b) => 'swapKubelet' in b)));
  // The oracle judges the last pod with the last kubelet: the gate-on chain refuses a Never pod without a secret,
  // the gate-off chain shows the migration caveat (the image counts as preloaded).
  const verdict = (id: string): string | undefined => p.scenarios.find((s) => s.id === id)?.prediction.outcome;
  t.is(verdict('upgrades/1.33-to-1.36/gate-on/pulled/no-secret/Never'), 'never-pull');
  t.is(verdict('upgrades/1.33-to-1.36/gate-off-before-1.35/pulled/no-secret/Never'), 'runs-cached');
  t.is(verdict('upgrades/1.33-to-1.36/gate-off-before-1.35/AlwaysVerify/pulled/same-secret/IfNotPresent'), 'reverifies-runs');
  // Clusters: 1.33 cannot join a 1.37 control plane (four minors), so the chains need two.
  t.deepEqual(clusterLayouts([{ kubelet: 'v1.33.13', controlPlane: 'v1.36.3' }, { kubelet: 'v1.34.4', controlPlane: 'v1.37.2' }]).map((c) => c.controlPlane).sort(), ['v1.36.3', 'v1.37.2']);
});

test('model: records written by 1.33 (v1alpha1) are migrated to v1beta1 when a 1.35 kubelet with the gate on starts, not by 1.34', (t) => {
  const spec: ScenarioSpec = { id: 'u', name: 'u', world: privateImageWorld(), kubelet: { ensureSecretPulledImages: true }, act: pod('b', 'Never') };
  const m = new ScenarioModel(spec, 'v1.33.13', planResolver('k'));
  m.applyPod(pod('a', 'IfNotPresent', { secrets: ['pull-a'] }), m.predict(pod('a', 'IfNotPresent', { secrets: ['pull-a'] })));
  t.deepEqual(m.storedVersions(), { img: 'v1alpha1' });
  m.applyStep({ swapKubelet: 'v1.34.4', kubelet: { ensureSecretPulledImages: true } });
  t.deepEqual(m.storedVersions(), { img: 'v1alpha1' });
  m.applyStep({ swapKubelet: 'v1.35.4', kubelet: { ensureSecretPulledImages: true } });
  t.deepEqual(m.storedVersions(), { img: 'v1beta1' });
});

test('rollbacks are observed, not judged; failing open fails the run', (t) => {
  const p = plan({ suites: [rollbacks], kubelets: [V135] });
  t.true(p.scenarios.every((s) => s.spec.observeOnly));
  const r = (status: ScenarioResult['status'], failOpen?: boolean): ScenarioResult => ({ kind: 'oracle', id: 'x', key: `x-${status}-${failOpen}`, suite: 's', name: 'n', kubelet: V135, labels: {}, status, setup: [], attempts: [], seconds: 0, ...(failOpen ? { failOpen } : {}) });
  const run = { complete: true } as never;
  t.is(exitCodeFor({ summary: summarize([r('observed')]), checks: [], run }), 0, 'observed alone is not nothing-ran');
  t.is(exitCodeFor({ summary: summarize([r('passed'), r('observed', true)]), checks: [], run }), 1);
  t.deepEqual(summarize([r('observed'), r('observed', true)]).failOpen, 1);
});

test('--kubelet-limits: with recordedSecretsLimit 1 the oracle predicts a secret updated in place to a wrong password is no longer enough', (t) => {
  const id = 'ensure-secret-pulled/AlwaysVerify/Never/secret-updated-wrong-password';
  const upstream = plan({ suites: [ensureSecretPulled], kubelets: [V135], focus: [new RegExp(`^${id}$`)] });
  const changed = plan({ suites: [ensureSecretPulled], kubelets: [V135], focus: [new RegExp(`^${id}$`)], limits: { recordedSecretsLimit: 1 } });
  t.is(upstream.scenarios[0]?.prediction.outcome, 'runs-cached');
  t.is(changed.scenarios[0]?.prediction.outcome, 'never-pull');
  t.deepEqual(changed.scenarios[0]?.limits, { recordedSecretsLimit: 1 });
});

test('judge: STS exchanges count up to the pod\'s decision; a refused pod\'s extra syncs are noted, not judged; missing or unexpected exchanges fail', (t) => {
  const p = { ...predict({ kubelet: { version: V135, gates: {} }, node: { present: false, record: { kind: 'none' } }, pod: { namespace: 'b', image: 'registry.pullproof.test:5443/private/app:v1', pullPolicy: 'IfNotPresent', secrets: [] }, registry: { up: true, anonymousReadable: false } }), stsExchanges: 1 };
  const sts = (at: string) => ({ target: 'sts' as const, kind: 'exchange', method: 'POST', status: 403, identity: 'pp-b/denied', at });
  const o = (requests: ReturnType<typeof sts>[]) => obs({ outcome: p.outcome, cause: p.cause, events: [{ type: 'Warning', reason: 'Failed', message: 'Failed to pull image', count: 1 }], requests, timings: { createdAt: '2026-11-29T12:00:00.000Z', decidedAt: '2026-11-29T12:00:02.000Z' } });
  const later = judge({ prediction: p, observation: o([sts('2026-11-29T12:00:01.000Z'), sts('2026-11-29T12:00:03.000Z')]), checkRecord: false });
  t.is(later.status, 'passed', later.problems.join('; '));
  t.true(later.notes.some((n) => n.startsWith('1 more STS exchange(s) after the pod\'s decision')));
  // A refused pod synced twice before its refusal was visible: the kubelet's retry, noted.
  const twice = judge({ prediction: p, observation: o([sts('2026-11-29T12:00:01.000Z'), sts('2026-11-29T12:00:01.500Z')]), checkRecord: false });
  t.is(twice.status, 'passed', twice.problems.join('; '));
  t.true(twice.notes.some((n) => n.startsWith('2 STS exchanges before the refusal was visible where one pod sync makes 1')));
  // None where one was due, or one where none was due (a cache hit), fails.
  const none = judge({ prediction: p, observation: o([]), checkRecord: false });
  t.deepEqual(none.problems, ['expected 1 STS exchange(s) before the pod\'s decision; observed 0']);
  const cached = judge({ prediction: { ...p, stsExchanges: 0 }, observation: o([sts('2026-11-29T12:00:01.000Z')]), checkRecord: false });
  t.deepEqual(cached.problems, ['expected 0 STS exchange(s) before the pod\'s decision; observed 1']);
});

test('plan: cacheType Token is not applicable on 1.33 (no cacheType there; it caches per service account, observed on v1.33.13: 0 exchanges for a second pod), and applies from 1.34', (t) => {
  const p = plan({ suites: [serviceAccountTokens], kubelets: ['v1.33.13', 'v1.34.4'], focus: [/same-sa\/cache-token/] });
  const byKubelet = Object.fromEntries(p.scenarios.map((s) => [s.kubelet, s]));
  t.is(byKubelet['v1.33.13']?.status, 'not-applicable');
  t.regex(byKubelet['v1.33.13']?.reason ?? '', /no tokenAttributes\.cacheType \(1\.34\+\)/);
  t.is(byKubelet['v1.34.4']?.status, 'planned');
  t.is(byKubelet['v1.34.4']?.prediction.stsExchanges, 1);
});

test('a scenario whose allowlist names its {key} plans with a kubelet restart or settings change in its setup (the restart reads the kubelet model with the key)', (t) => {
  const allowlisted = { ensureSecretPulledImages: true, policy: 'NeverVerifyAllowlistedImages' as const, allowlist: ['{registry}/private/{key}/img'] };
  const suite = defineSuite({
    name: 'keyed', title: 'keyed', description: 'keyed allowlist across a restart',
    scenarios: (): ScenarioSpec[] => [
      { id: 'restart', name: 'restart', world: privateImageWorld(), kubelet: allowlisted, setup: [{ preload: 'img' }, { restartKubelet: true }], act: pod('b', 'Never') },
      { id: 'settings', name: 'settings', world: privateImageWorld(), kubelet: allowlisted, setup: [{ preload: 'img' }, { kubelet: { ensureSecretPulledImages: true, policy: 'AlwaysVerify' } }], act: pod('b', 'Never') },
    ],
  });
  const p = plan({ suites: [suite], kubelets: [V135] });
  t.deepEqual(p.scenarios.map((s) => [s.id, s.status, s.prediction.outcome]), [['keyed/restart', 'planned', 'runs-cached'], ['keyed/settings', 'planned', 'never-pull']]);
});

test('list: the text shows every rule of each prediction that --json shows (A2.default-policy too)', async (t) => {
  const { formatPlan } = await import('../harness/cli/run.ts');
  const p = plan({ suites: [smoke], kubelets: [V135] });
  const text = formatPlan(p, [], { rules: true });
  for (const s of p.scenarios) {
    const block = text.split(/\n(?= {2}\S)/).find((b) => b.startsWith(`  ${s.id}\n`)) ?? '';
    t.is(block.split('\n').find((l) => l.startsWith('    rules:  ')), `    rules:  ${s.prediction.rules.map((r) => `${r.id} (${r.section})`).join(' > ')}`, s.id);
  }
  t.regex(text, /smoke\/gate-on\/pull-with-secret\n.*\n.*\n {4}rules: {2}A2\.default-policy \(A2\) > A4\.absent-pull/);
});
