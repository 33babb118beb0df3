// The node authorizer lag, as the observer sees it: which kubelet attempts are set aside (made without a
// pull secret that exists, refusing as the pod without it would) and which are always judged. The event
// and log texts are the kubelet's own format strings (pkg/kubelet/kubelet_pods.go getPullSecretsForPod;
// 1.37: pkg/kubelet/kubelet.go SyncPod emits the event only after a sync whose pull failed with
// ErrImagePull, kubernetes#138432). The same path on real 1.35 and 1.37 kubelets: test/cluster-suites.test.ts.
import test from 'ava';
import { refusalRecorded, refusedAttempts, secretReadFailures, setAsideDecision } from '../harness/engine/observe.ts';
import type { ObservedEvent } from '../harness/report/types.ts';
import { lagOf } from '../harness/bench/cluster/pod-start.ts';

const at = '2026-12-07T01:00:00.000Z';
const ev = (reason: string, message: string, count = 1): ObservedEvent => ({ type: reason === 'Pulling' ? 'Normal' : 'Warning', reason, message, count, at });
const LAG_EVENT = ev('FailedToRetrieveImagePullSecret', 'Unable to retrieve some image pull secrets (pull-a); attempting to pull the image may not succeed.');
const FAILED_401 = ev('Failed', 'Failed to pull image "registry.pullproof.test:5443/registry/k1/app:v1": failed to authorize: failed to fetch anonymous token: unexpected status from GET request to https://registry.pullproof.test:5443/token: 401 Unauthorized');
const ERR_PULL = ev('Failed', 'Error: ErrImagePull');
const ns = 'pp-k1-a';
// 1.35: the secret printed from a nil object; 1.37: klog.KRef(namespace, name).
const LOG_135 = `I1207 01:00:00.100000     812 kubelet_pods.go:1079] "Unable to retrieve pull secret, the image pull may not succeed." pod="${ns}/act" secret="" err="failed to sync secret cache: timed out waiting for the condition"`;
const LOG_137 = `I1207 01:00:00.100000     812 kubelet_pods.go:1106] "Unable to retrieve pull secret, the image pull may not succeed." pod="${ns}/act" secret="${ns}/pull-a" err="secret \\"pull-a\\" is forbidden: User \\"system:node:w\\" cannot get resource \\"secrets\\""`;

const denied = { outcome: 'pull-fails', cause: 'denied' };
const base = { before: { eventCount: 0, logLines: 0 }, listed: ['pull-a'], existing: ['pull-a'], without: () => denied };

test('a pull refused after the kubelet could not read an existing secret (its 1.35 event) is set aside, naming the secret and the evidence', (t) => {
  const failures = secretReadFailures([LAG_EVENT, FAILED_401, ERR_PULL], [LOG_135], ns, 'act');
  t.deepEqual(failures.secrets, ['pull-a']);
  const why = setAsideDecision({ ...base, observed: denied, failures });
  t.deepEqual(why?.secrets, ['pull-a']);
  t.regex(why?.evidence ?? '', /FailedToRetrieveImagePullSecret: Unable to retrieve some image pull secrets \(pull-a\)/);
});

test('the same refusal without the kubelet saying it could not read a secret is judged, never set aside', (t) => {
  const failures = secretReadFailures([FAILED_401, ERR_PULL], [], ns, 'act');
  t.is(setAsideDecision({ ...base, observed: denied, failures }), undefined);
});

test('on 1.37 an ErrImageNeverPull carries no event (only a failed pull does): the kubelet log line names the secret and the attempt is set aside', (t) => {
  const never = { outcome: 'never-pull' };
  const failures = secretReadFailures([ev('ErrImageNeverPull', 'Container image "x" is not present with pull policy of Never'), ev('Failed', 'Error: ErrImageNeverPull')], [LOG_137], ns, 'act');
  t.is(failures.eventCount, 0);
  t.deepEqual(failures.secrets, ['pull-a']);
  t.deepEqual(setAsideDecision({ ...base, observed: never, failures, without: () => never })?.secrets, ['pull-a']);
});

test('the event for a secret that does not exist (the missing-secret case) is the behaviour under test, never a reason to set aside', (t) => {
  const failures = secretReadFailures([ev('FailedToRetrieveImagePullSecret', 'Unable to retrieve some image pull secrets (gone); attempting to pull the image may not succeed.'), FAILED_401], [], ns, 'act');
  t.is(setAsideDecision({ ...base, observed: denied, failures, listed: ['gone'], existing: [] }), undefined);
  // With an existing secret beside the missing one, only the existing one counts, and only if the kubelet named it.
  t.is(setAsideDecision({ ...base, observed: denied, failures, listed: ['gone', 'pull-a'], existing: ['pull-a'] }), undefined);
});

test('a refusal the unread secret does not explain (the pod without it would run, or fail otherwise) is judged', (t) => {
  const failures = secretReadFailures([LAG_EVENT, FAILED_401], [], ns, 'act');
  t.is(setAsideDecision({ ...base, observed: denied, failures, without: () => ({ outcome: 'runs-cached' }) }), undefined);
  t.is(setAsideDecision({ ...base, observed: { outcome: 'pull-fails', cause: 'unreachable' }, failures }), undefined);
});

test('an attempt in which the container ran is always judged, whatever the kubelet said about its secrets', (t) => {
  const failures = secretReadFailures([LAG_EVENT], [LOG_137], ns, 'act');
  for (const outcome of ['runs-cached', 'reverifies-runs', 'pulls-runs', 'no-outcome', 'unexpected']) {
    t.is(setAsideDecision({ ...base, observed: { outcome }, failures, without: () => ({ outcome }) }), undefined, outcome);
  }
});

test('evidence already counted for an attempt set aside does not set the next attempt aside; a new occurrence does', (t) => {
  const first = secretReadFailures([LAG_EVENT, FAILED_401], [LOG_135], ns, 'act');
  const before = { eventCount: first.eventCount, logLines: first.logLines };
  t.is(setAsideDecision({ ...base, before, observed: denied, failures: secretReadFailures([LAG_EVENT, FAILED_401, ERR_PULL], [LOG_135], ns, 'act') }), undefined);
  const again = secretReadFailures([{ ...LAG_EVENT, count: 2 }, FAILED_401], [LOG_135, LOG_135], ns, 'act');
  t.deepEqual(setAsideDecision({ ...base, before, observed: denied, failures: again })?.secrets, ['pull-a']);
});

test('a 1.35 log line that does not name its secret counts only when every secret the pod lists exists, and only for this pod', (t) => {
  const failures = secretReadFailures([FAILED_401], [LOG_135], ns, 'act');
  t.true(failures.unnamedInLog);
  t.deepEqual(setAsideDecision({ ...base, observed: denied, failures })?.secrets, ['pull-a']);
  t.is(setAsideDecision({ ...base, observed: denied, failures, listed: ['gone', 'pull-a'], existing: ['pull-a'] }), undefined);
  t.is(secretReadFailures([], [LOG_135.replace('/act"', '/setup1"')], ns, 'act').logLines, 0);
});

test('refused attempts are counted from the "Error: <reason>" events, not the back-off syncs', (t) => {
  const events = [ERR_PULL, ev('Failed', 'Error: ImagePullBackOff', 3), ev('Failed', 'Error: ErrImageNeverPull', 2), ev('BackOff', 'Back-off pulling image "x"')];
  t.is(refusedAttempts(events), 3);
  t.true(refusalRecorded({ decided: true, container: { state: 'waiting', reason: 'ImagePullBackOff' } }, [ERR_PULL]));
  t.false(refusalRecorded({ decided: true, container: { state: 'waiting', reason: 'ErrImageNeverPull' } }, [ERR_PULL]));
});

// The bench: a pod start whose pull failed with the lag's evidence measured a pull without credentials.
const benchPod = { namespace: ns, name: 'act', pullSecrets: ['pull-a'] };
const BENCH_FAILURE = 'pod pp-k1-a/act: ErrImagePull: failed to pull and unpack image "registry.pullproof.test:5443/private/bench/gate-off:v1": failed to resolve reference: pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed';

test('bench: a failed pull of a pod start with the kubelet saying it could not read the pod\'s secret is set aside, naming it (1.35 event, 1.37 log line)', (t) => {
  t.deepEqual(lagOf(benchPod, BENCH_FAILURE, [LAG_EVENT, FAILED_401], [])?.secrets, ['pull-a']);
  const from137 = lagOf(benchPod, BENCH_FAILURE, [FAILED_401], [LOG_137]);
  t.deepEqual(from137?.secrets, ['pull-a']);
  t.regex(from137?.message ?? '', /pulled without its pull secret pull-a, which exists \(kubelet log: Unable to retrieve pull secret/);
});

test('bench: the same failure without that evidence, a pod without pull secrets, or a failure that is not a pull, fails the pod start', (t) => {
  t.is(lagOf(benchPod, BENCH_FAILURE, [FAILED_401, ERR_PULL], []), undefined);
  t.is(lagOf({ namespace: ns, name: 'act' }, BENCH_FAILURE, [LAG_EVENT], [LOG_137]), undefined);
  t.is(lagOf(benchPod, 'pod pp-k1-a/act: not running within 120 s', [LAG_EVENT], [LOG_137]), undefined);
  // Another pod's line is not this pod's evidence.
  t.is(lagOf(benchPod, BENCH_FAILURE, [], [LOG_137.replace('/act"', '/other"')]), undefined);
});

// The kubelet v1.35.4 journal of a Never pod whose secret copy-b was created after the kubelet's first
// decision: it synced the pod twice within a second, both times without the secret (-o cat, as read).
const podB = 'pp-2c624771-b';
const NEVER_REFUSAL = `E1208 02:07:24.997853     416 pod_workers.go:1324] "Error syncing pod, skipping" err="failed to \\"StartContainer\\" for \\"main\\" with ErrImageNeverPull: \\"Container image \\\\\\"registry.pullproof.test:5443/private/2c624771/img:v1\\\\\\" is not present with pull policy of Never\\"" pod="${podB}/act" podUID="b3552d0f-17ec-4196-8222-eb11e21cc833"`;
const NOT_FOUND = `I1208 02:07:24.801578     416 kubelet_pods.go:1079] "Unable to retrieve pull secret, the image pull may not succeed." pod="${podB}/act" secret="" err="secret \\"copy-b\\" not found"`;
const TWO_SYNCS = [NOT_FOUND, NEVER_REFUSAL, NOT_FOUND, NEVER_REFUSAL];
const never = { outcome: 'never-pull' };
const lagB = { listed: ['copy-b'], existing: ['copy-b'], without: () => never, observed: never };
const evB = (retrieved: number, refused: number): ObservedEvent[] => [
  ev('FailedToRetrieveImagePullSecret', 'Unable to retrieve some image pull secrets (copy-b); attempting to pull the image may not succeed.', retrieved),
  ev('Failed', 'Error: ErrImageNeverPull', refused),
];

test('each refused attempt in the kubelet log is tied to its own sync\'s secret read; back-off syncs and other pods are no attempts', (t) => {
  t.deepEqual(secretReadFailures(evB(2, 2), TWO_SYNCS, podB, 'act').refusals, { main: [true, true] });
  const read = NEVER_REFUSAL.replace('02:07:24', '02:07:40');
  const backOff = NEVER_REFUSAL.replace('with ErrImageNeverPull', 'with ImagePullBackOff');
  t.deepEqual(secretReadFailures([], [NOT_FOUND, backOff, read], podB, 'act').refusals, { main: [false] });
  t.deepEqual(secretReadFailures([], TWO_SYNCS.map((l) => l.replace('/act"', '/other"')), podB, 'act').refusals, {});
  // A sync that failed for two containers names each.
  const two = NEVER_REFUSAL.replace('err="failed to', 'err="[failed to \\"StartContainer\\" for \\"init\\" with ErrImagePull: \\"x\\", failed to').replace('podUID', ']" podUID');
  t.deepEqual(secretReadFailures([], [NOT_FOUND, two], podB, 'act').refusals, { init: [true], main: [true] });
});

test('the second of two quick syncs without the secret is set aside too, although the event snapshot of the first already counted its secret failure (the CI failure of fd9f2ec)', (t) => {
  // The first check: the events counted the second sync's secret failure, not yet its refusal.
  const first = secretReadFailures(evB(2, 1), [NOT_FOUND, NEVER_REFUSAL, NOT_FOUND], podB, 'act');
  t.truthy(setAsideDecision({ ...lagB, failures: first, before: { eventCount: 0, logLines: 0, refusals: 0 } }));
  const before = { eventCount: first.eventCount, logLines: first.logLines, refusals: first.refusals.main?.length ?? 0 };
  // The next attempt seen is the second sync: by the counts it is nothing new; by the log it was made without copy-b.
  const second = secretReadFailures(evB(2, 2), TWO_SYNCS, podB, 'act');
  t.is(second.eventCount, before.eventCount);
  t.deepEqual(setAsideDecision({ ...lagB, failures: second, before })?.secrets, ['copy-b']);
});

test('an attempt whose own sync read the secret is judged, even right after attempts made without it', (t) => {
  const third = secretReadFailures(evB(2, 3), [...TWO_SYNCS, NEVER_REFUSAL], podB, 'act');
  t.deepEqual(third.refusals.main, [true, true, false]);
  t.is(setAsideDecision({ ...lagB, failures: third, before: { eventCount: 2, logLines: 2, refusals: 2 } }), undefined);
  // An attempt already set aside is not set aside again when the log shows nothing new.
  const same = secretReadFailures(evB(3, 2), [...TWO_SYNCS, NOT_FOUND], podB, 'act');
  t.is(setAsideDecision({ ...lagB, failures: same, before: { eventCount: 2, logLines: 2, refusals: 2 } }), undefined);
});
