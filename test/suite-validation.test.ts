// Every mistake in a suite is an error before anything starts (exit 2), naming the suite, the scenario,
// the field and the fix. A suite file is not type-checked when it runs, so each scenario here is built
// as plain data the way a JavaScript suite file (or a TypeScript one run without a type check) gives it.
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { plan } from '../harness/engine/plan.ts';
import { planSuites } from '../harness/engine/suites.ts';
import { SuiteError, didYouMean, type SuiteProblem } from '../harness/engine/validate.ts';
import type { ScenarioSpec, SuiteDefinition } from '../harness/engine/spec.ts';
import { TESTED_RELEASES } from '../harness/oracle/versions.ts';
import { suites } from '../suites/index.ts';
import { pullproof } from './helpers/cli.ts';

const V135 = 'v1.35.4';

/** A scenario as untyped data, the way a JavaScript suite file gives it (edited freely below). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Data = Record<string, any>;

/** A well-formed scenario: namespace b starts the image namespace a pulled with its secret. */
function good(): Record<string, unknown> {
  return {
    id: 'ok',
    name: 'a pod in b after a pulled the image',
    world: {
      users: { owner: { pulls: ['img'] } },
      images: { img: { repository: 'private' } },
      namespaces: ['a', 'b'],
      secrets: { 'pull-a': { namespace: 'a', user: 'owner' } },
    },
    kubelet: { ensureSecretPulledImages: true },
    setup: [{ pod: { namespace: 'a', image: 'img', pullPolicy: 'IfNotPresent', secrets: ['pull-a'] } }],
    act: { namespace: 'b', image: 'img', pullPolicy: 'IfNotPresent' },
  };
}

function suiteOf(...scenarios: unknown[]): SuiteDefinition {
  return { name: 'my-suite', title: 'My suite', description: 'x', scenarios: () => scenarios as ScenarioSpec[] };
}

/** Plans the scenario (changed by edit) and returns the one problem it must have. */
function problemOf(t: import('ava').ExecutionContext, edit: (s: Data) => void): SuiteProblem {
  const s = good();
  edit(s);
  const err = t.throws(() => plan({ suites: [suiteOf(s)], kubelets: [V135] }), { instanceOf: SuiteError });
  t.is(err?.exitCode, 2);
  t.is(err?.problems.length, 1, err?.message);
  const p = err?.problems[0];
  if (!p) throw new Error('no problem reported');
  t.is(p.suite, 'my-suite');
  t.is(p.scenario, 'ok');
  return p;
}

test('every built-in suite is well formed on every tested kubelet', (t) => {
  const p = planSuites({ suites: Object.values(suites), kubelets: [...TESTED_RELEASES] });
  t.true(p.scenarios.length > 1000);
});

test('the well-formed base scenario plans (the tests below each change one thing)', (t) => {
  t.is(plan({ suites: [suiteOf(good())], kubelets: [V135] }).scenarios.length, 1);
});

test('an unknown step is named, with the step meant', (t) => {
  const p = problemOf(t, (s) => s.setup.push({ restart: true }));
  t.is(p.path, 'setup[1]');
  t.is(p.problem, 'unknown step { restart }');
  t.is(p.fix, 'did you mean { restartKubelet: true }?');
});

test('an unknown step with nothing close lists the steps', (t) => {
  const p = problemOf(t, (s) => s.setup.push({ sleep: 3 }));
  t.regex(p.fix, /^the steps are pod, preload, restartKubelet, kubelet, records, updateSecret/);
});

test('an unknown field is named, with the field meant', (t) => {
  const p = problemOf(t, (s) => { s.exclusiv = true; });
  t.deepEqual([p.path, p.problem, p.fix], ['exclusiv', 'unknown field "exclusiv"', 'did you mean "exclusive"?']);
  const deep = problemOf(t, (s) => { s.kubelet.polcy = 'AlwaysVerify'; });
  t.deepEqual([deep.path, deep.fix], ['kubelet.polcy', 'did you mean "policy"?']);
  const inStep = problemOf(t, (s) => { s.setup[0].pod.secret = ['pull-a']; });
  t.deepEqual([inStep.path, inStep.fix], ['setup[0].pod.secret', 'did you mean "secrets"?']);
  const far = problemOf(t, (s) => { s.world.images.img.colour = 'red'; });
  t.is(far.fix, 'remove it; the fields here are repository, reference, sameContentAs, notInRegistry, host, tags');
});

test('a value outside its set is named, with the value meant', (t) => {
  const p = problemOf(t, (s) => { s.act.pullPolicy = 'IfNotPresnt'; });
  t.deepEqual([p.path, p.problem, p.fix], ['act.pullPolicy', '"IfNotPresnt" is not one of Always, IfNotPresent, Never', 'did you mean "IfNotPresent"?']);
  const kind = problemOf(t, (s) => { s.world.images.img.repository = 'secret'; });
  t.is(kind.fix, 'use one of private, public, allowlisted, provider, nodewide');
});

test('a value of the wrong type, and a required field left out', (t) => {
  const p = problemOf(t, (s) => s.setup.push({ waitSeconds: '10' }));
  t.deepEqual([p.path, p.problem, p.fix], ['setup[1].waitSeconds', 'must be a number, not "10"', 'write a number']);
  const gone = problemOf(t, (s) => { delete s.act.image; });
  t.deepEqual([gone.path, gone.problem], ['act.image', 'is required']);
  const neg = problemOf(t, (s) => s.setup.push({ waitSeconds: -1 }));
  t.regex(neg.problem, /^number -1 is out of range/);
});

test('a namespace the world does not declare', (t) => {
  const p = problemOf(t, (s) => { s.act.namespace = 'c'; });
  t.deepEqual([p.path, p.problem, p.fix], ['act.namespace', 'the namespace "c" is not declared in world.namespaces (declared: a, b)', 'declare "c" in world.namespaces, or use one of a, b']);
});

test('a world without namespaces has a and b, and only those', (t) => {
  const s = good();
  delete (s.world as Record<string, unknown>).namespaces;
  t.is(plan({ suites: [suiteOf(s)], kubelets: [V135] }).scenarios.length, 1);
  const p = problemOf(t, (x) => { delete x.world.namespaces; x.act.namespace = 'default'; });
  t.is(p.problem, 'the namespace "default" is not declared in world.namespaces (declared: a, b)');
});

test('a secret the world does not declare is an error, not a missing secret', (t) => {
  const p = problemOf(t, (s) => { s.setup[0].pod.secrets = ['pull-A']; });
  t.deepEqual([p.path, p.fix], ['setup[0].pod.secrets[0]', 'did you mean "pull-a"? Otherwise declare "pull-A" in world.secrets']);
});

test('a secret in another namespace than the pod that lists it', (t) => {
  const p = problemOf(t, (s) => { s.act.secrets = ['pull-a']; });
  t.is(p.path, 'act.secrets[0]');
  t.regex(p.problem, /the secret "pull-a" is in namespace a, the pod in b: the kubelet reads a pod's pull secrets from the pod's own namespace/);
});

test('undeclared images, users and service accounts, wherever they are named', (t) => {
  t.is(problemOf(t, (s) => { s.act.image = 'imag'; }).fix, 'did you mean "img"? Otherwise declare "imag" in world.images');
  t.is(problemOf(t, (s) => { s.world.users.owner.pulls = ['other']; }).path, 'world.users.owner.pulls[0]');
  t.is(problemOf(t, (s) => s.setup.push({ preload: 'other' })).path, 'setup[1].preload');
  t.is(problemOf(t, (s) => s.setup.push({ records: { delete: 'other' } })).path, 'setup[1].records.delete');
  t.is(problemOf(t, (s) => s.setup.push({ removeImage: 'other' })).path, 'setup[1].removeImage');
  t.is(problemOf(t, (s) => { s.world.secrets['pull-a'].user = 'ownr'; }).fix, 'did you mean "owner"? Otherwise declare "ownr" in world.users');
  t.is(problemOf(t, (s) => { s.act.serviceAccount = 'puller'; }).problem, 'the service account "puller" is not declared in world.serviceAccounts (none declared)');
  t.is(problemOf(t, (s) => s.setup.push({ recreateServiceAccount: 'puller' })).path, 'setup[1].recreateServiceAccount');
  t.is(problemOf(t, (s) => { s.world.serviceAccounts = { puller: { namespace: 'c' } }; }).path, 'world.serviceAccounts.puller.namespace');
});

test('a service account of another namespace than the pod', (t) => {
  const p = problemOf(t, (s) => { s.world.serviceAccounts = { puller: { namespace: 'a' } }; s.act.serviceAccount = 'puller'; });
  t.regex(p.problem, /a pod runs as a service account of its own namespace/);
});

test('missing: true makes user optional; any other secret needs a user', (t) => {
  const s = good();
  (s.world as { secrets: Record<string, unknown> }).secrets['gone-b'] = { namespace: 'b', missing: true };
  (s.act as { secrets?: string[] }).secrets = ['gone-b'];
  const p = plan({ suites: [suiteOf(s)], kubelets: [V135] });
  t.is(p.scenarios[0]?.prediction.outcome, 'pull-fails');
  const err = problemOf(t, (x) => { delete x.world.secrets['pull-a'].user; });
  t.deepEqual([err.path, err.problem], ['world.secrets["pull-a"].user', "is required: the secret holds a registry user's credentials"]);
});

test('contradictory fields: a missing secret with a password, updated or recreated', (t) => {
  const add = (s: Data): void => { s.world.secrets['gone-a'] = { namespace: 'a', missing: true }; };
  t.is(problemOf(t, (s) => { add(s); s.world.secrets['gone-a'].password = 'wrong'; }).problem, 'a missing secret (listed by pods, never created) has no password');
  t.regex(problemOf(t, (s) => { add(s); s.setup.push({ updateSecret: 'gone-a', password: 'new' }); }).problem, /declared missing: true \(never created\), so there is nothing to update/);
  t.regex(problemOf(t, (s) => { add(s); s.setup.push({ recreateSecret: 'gone-a' }); }).problem, /nothing to recreate/);
});

test('contradictory fields: faults and a records wipe need an exclusive scenario; a fault needs an effect', (t) => {
  const f = problemOf(t, (s) => s.setup.push({ fault: { target: 'registry', outage: true } }));
  t.deepEqual([f.path, f.fix], ['setup[1].fault', 'mark the scenario exclusive: true']);
  const w = problemOf(t, (s) => s.setup.push({ records: { wipe: true } }));
  t.deepEqual([w.path, w.fix], ['setup[1].records.wipe', 'mark the scenario exclusive: true']);
  const none = problemOf(t, (s) => { s.exclusive = true; s.setup.push({ fault: { target: 'sts' } }); });
  t.is(none.problem, 'a fault with no effect');
});

test('contradictory fields: images sharing content with themselves or through a chain; reference with host', (t) => {
  t.is(problemOf(t, (s) => { s.world.images.img.sameContentAs = 'img'; }).problem, 'an image cannot share content with itself');
  t.regex(problemOf(t, (s) => { s.world.images.b = { repository: 'private', sameContentAs: 'img' }; s.world.images.c = { repository: 'private', sameContentAs: 'b' }; }).problem, /a chain/);
  t.regex(problemOf(t, (s) => { s.world.images.img.reference = 'ppfamiliar/{repo}:v1'; s.world.images.img.host = 'x.dkr.ecr.us-east-1.amazonaws.com'; }).problem, /contradict each other/);
});

test('a tag the image does not have, with the one meant; tag or digest on an image with its own reference; v1 listed as another tag', (t) => {
  const p = problemOf(t, (s) => { s.world.images.img.tags = ['stable']; s.act.tag = 'stabel'; });
  t.deepEqual([p.path, p.problem, p.fix], ['act.tag', 'the image "img" has no tag "stabel" (tags: v1, stable)', 'did you mean "stable"? Otherwise add "stabel" to world.images["img"].tags']);
  const bad = problemOf(t, (s) => { s.act.tag = 'v 2'; });
  t.deepEqual([bad.path, bad.problem, bad.fix], ['act.tag', '"v 2" is not a tag', 'write letters, digits, _ . and - (up to 128 characters, not starting with . or -)']);
  const own = problemOf(t, (s) => { s.world.images.img.reference = 'ppfamiliar/{repo}'; s.act.digest = true; });
  t.deepEqual([own.path, own.fix], ['act.digest', 'remove tag and digest, or use an image of the harness registry']);
  const v1 = problemOf(t, (s) => { s.world.images.img.tags = ['v1']; });
  t.deepEqual([v1.path, v1.problem], ['world.images.img.tags', 'v1 is always pushed']);
  // The forms that are right plan: another tag that is declared, a digest, both.
  for (const form of [{ tag: 'v2' }, { digest: true }, { tag: 'v1', digest: true }]) {
    const s = good() as Data;
    s.world.images.img.tags = ['v2'];
    Object.assign(s.act, form);
    t.is(plan({ suites: [suiteOf(s)], kubelets: [V135] }).scenarios.length, 1, JSON.stringify(form));
  }
});

test('two scenarios with one id', (t) => {
  const err = t.throws(() => plan({ suites: [suiteOf(good(), good())], kubelets: [V135] }), { instanceOf: SuiteError });
  t.deepEqual(err?.problems.map((p) => [p.path, p.problem]), [['id', 'scenarios 1 and 2 have the same id']]);
});

test("the suite's own fields", (t) => {
  const bad = { ...suiteOf(good()), inall: false } as unknown as SuiteDefinition;
  const err = t.throws(() => plan({ suites: [bad], kubelets: [V135] }), { instanceOf: SuiteError });
  t.deepEqual(err?.problems.map((p) => [p.scenario, p.path, p.fix]), [[undefined, 'inall', 'did you mean "inAll"?']]);
  const named = t.throws(() => plan({ suites: [{ ...suiteOf(good()), name: 'My Suite' }], kubelets: [V135] }), { instanceOf: SuiteError });
  t.is(named?.problems[0]?.path, 'name');
  const threw = t.throws(() => plan({ suites: [{ ...suiteOf(), scenarios: () => { throw new Error('boom'); } }], kubelets: [V135] }), { instanceOf: SuiteError });
  t.is(threw?.problems[0]?.problem, 'threw for v1.35.4: boom');
  const notList = t.throws(() => plan({ suites: [{ ...suiteOf(), scenarios: (() => ({})) as unknown as SuiteDefinition['scenarios'] }], kubelets: [V135] }), { instanceOf: SuiteError });
  t.is(notList?.problems[0]?.problem, 'returned object, not a list');
});

test('every mistake of every suite is reported at once, each once although planned for two kubelets', (t) => {
  const a = good();
  (a.act as Record<string, unknown>).namespace = 'c';
  const b = { ...good(), id: 'two', setup: [{ restart: true }] };
  const err = t.throws(() => plan({ suites: [suiteOf(a, b)], kubelets: [V135, 'v1.37.2'] }), { instanceOf: SuiteError });
  t.deepEqual(err?.problems.map((p) => `${p.scenario} ${p.path}`), ['ok act.namespace', 'two setup[0]']);
  t.regex(err?.message ?? '', /^2 mistakes in the suites, nothing was started:\n {2}suite my-suite, scenario ok, act\.namespace: the namespace "c" is not declared/);
});

test('didYouMean: close names and case only, nothing for a far one', (t) => {
  t.is(didYouMean('restartkubelet', ['restartKubelet', 'kubelet']), 'restartKubelet');
  t.is(didYouMean('polcy', ['policy', 'provider']), 'policy');
  t.is(didYouMean('zzz', ['policy', 'provider']), undefined);
  t.is(didYouMean('x', []), undefined);
});

test('pullproof list --suite-file: a bad file exits 2 naming the suite, scenario, field and fix; a good one lists', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pullproof-suite-file-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'bad-suite.js');
  writeFileSync(file, `import { defineSuite, pod, primedBy, privateImageWorld } from 'pullproof';
export const mine = defineSuite({
  name: 'mine', title: 'Mine', description: 'A suite with a misspelt step.',
  scenarios: () => [{ id: 'after-restart', name: 'b after a restart', world: privateImageWorld(), kubelet: { ensureSecretPulledImages: true },
    setup: [primedBy(), { restart: true }], act: pod('b', 'IfNotPresent') }],
});
`);
  const bad = await pullproof(['list', '--suite-file', file, '--kubelet', V135]);
  t.is(bad.code, 2, bad.stderr);
  t.regex(bad.stderr, /error: suite mine, scenario after-restart, setup\[1\]: unknown step \{ restart \}\. Fix: did you mean \{ restartKubelet: true \}\? \(nothing was started\)/);
  const example = fileURLToPath(new URL('../docs/examples/my-suite/kep2535-table.ts', import.meta.url));
  const ok = await pullproof(['list', '--suite-file', example, '--kubelet', V135]);
  t.is(ok.code, 0, ok.stderr);
  t.regex(ok.stdout, /my-kep2535-table\//);
});
