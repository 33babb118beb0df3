// How a pod names its image (specification A8): the names containerd resolves and leaves, and what the
// model makes of them at plan time for the image-references suite and for scenarios written here. The
// real kubelets' verdicts are in docs/examples/image-references/ (measured runs).
import test from 'ava';
import { lookupName, pulledNames, planResolver, imageReference } from '../harness/engine/model.ts';
import { plan } from '../harness/engine/plan.ts';
import type { PodSpec, ScenarioSpec, SuiteDefinition } from '../harness/engine/spec.ts';
import { podImageText } from '../harness/engine/spec.ts';
import { imageReferences } from '../suites/image-references.ts';

const D = `sha256:${'ab'.repeat(32)}`;
const R = 'registry.pullproof.test:5443/private/k/img';

test('containerd looks a tag+digest reference up by the digest alone, and a tagless one as :latest', (t) => {
  t.is(lookupName(`${R}:v1`), `${R}:v1`);
  t.is(lookupName(`${R}@${D}`), `${R}@${D}`);
  t.is(lookupName(`${R}:v1@${D}`), `${R}@${D}`);
  t.is(lookupName('busybox'), 'docker.io/library/busybox:latest');
});

test('a pull by tag leaves the tag and the repository digest; a pull by digest leaves no tag', (t) => {
  t.deepEqual(pulledNames(`${R}:v2`, D), [`${R}:v2`, `${R}@${D}`]);
  t.deepEqual(pulledNames(`${R}@${D}`, D), [`${R}@${D}`]);
  t.deepEqual(pulledNames(`${R}:v1@${D}`, D), [`${R}@${D}`]);
});

test('references a pod names: v1 by default, another tag, the digest of the content, both', (t) => {
  const r = planResolver('k');
  const spec = { repository: 'private' as const, tags: ['v2'] };
  t.is(imageReference('img', spec, r), `${R}:v1`);
  t.is(imageReference('img', spec, r, { tag: 'v2' }), `${R}:v2`);
  t.regex(imageReference('img', spec, r, { digest: true }), /^registry\.pullproof\.test:5443\/private\/k\/img@sha256:[0-9a-f]{64}$/);
  t.regex(imageReference('img', spec, r, { tag: 'v1', digest: true }), /:v1@sha256:[0-9a-f]{64}$/);
  // Images sharing content share the digest.
  t.is(r.digest('img'), imageReference('copy', { repository: 'private', sameContentAs: 'img' }, r, { digest: true }).split('@')[1] ?? '');
  t.is(podImageText({ image: 'img', tag: 'v1', digest: true }), 'img:v1@digest');
});

function predicted(id: string, kubelet = 'v1.35.4'): { outcome: string; cause?: string; rules: string[] } {
  const p = plan({ suites: [imageReferences], kubelets: [kubelet] });
  const s = p.scenarios.find((x) => x.id === `image-references/${id}`);
  if (!s) throw new Error(`no scenario ${id}`);
  return { outcome: s.prediction.outcome, cause: s.prediction.cause, rules: s.prediction.rules.map((r) => r.id) };
}

test('a digest reference after a pull by tag is present and decided as the tag is (same record, same entry)', (t) => {
  t.is(predicted('digest/NeverVerify/Never/no-secret').outcome, 'runs-cached');
  t.is(predicted('digest/AlwaysVerify/IfNotPresent/same-secret').outcome, 'runs-cached');
  t.is(predicted('digest/AlwaysVerify/IfNotPresent/same-credentials-other-secret').outcome, 'runs-cached');
  const denied = predicted('tag-and-digest/NeverVerifyPreloadedImages/IfNotPresent/no-secret');
  t.deepEqual([denied.outcome, denied.cause], ['pull-fails', 'denied']);
  t.is(denied.rules[0], 'A8.digest-lookup');
  t.is(predicted('tag-and-digest/AlwaysVerify/Never/no-secret').outcome, 'never-pull');
});

test('another tag of the same content is absent under every policy and with the gate off: pulled with the pod\'s own credentials', (t) => {
  for (const setting of ['NeverVerify', 'NeverVerifyPreloadedImages', 'NeverVerifyAllowlistedImages', 'AlwaysVerify', 'gate-off']) {
    const none = predicted(`other-tag/${setting}/IfNotPresent/no-secret`);
    t.deepEqual([none.outcome, none.cause, none.rules[0]], ['pull-fails', 'denied', 'A8.other-name'], setting);
    t.is(predicted(`other-tag/${setting}/IfNotPresent/same-credentials-other-secret`).outcome, 'pulls-runs', setting);
    t.is(predicted(`other-tag/${setting}/Never/same-secret`).outcome, 'never-pull', setting);
  }
});

test('a pull by digest leaves no tag; a preload leaves no repository digest', (t) => {
  t.is(predicted('pulled-by-digest/NeverVerify/Never/no-secret').outcome, 'never-pull');
  t.is(predicted('preloaded-by-digest/NeverVerify/Never/no-secret', 'v1.37.2').outcome, 'never-pull');
  t.deepEqual(predicted('preloaded-by-digest/NeverVerify/IfNotPresent/no-secret').rules.slice(0, 2), ['A8.digest-lookup', 'A8.other-name']);
});

test('after the other tag is pulled, it is present: a second pod without credentials is decided by the record', (t) => {
  const podIn = (namespace: string, o: Partial<PodSpec> = {}): PodSpec => ({ namespace, image: 'img', pullPolicy: 'IfNotPresent', tag: 'v2', ...o });
  const scenario: ScenarioSpec = {
    id: 'v2-twice', name: 'v2 pulled by a, then b without a secret',
    world: { users: { owner: { pulls: ['img'] } }, images: { img: { repository: 'private', tags: ['v2'] } }, secrets: { 'pull-a': { namespace: 'a', user: 'owner' } } },
    kubelet: { ensureSecretPulledImages: true, policy: 'NeverVerify' },
    setup: [{ pod: podIn('a', { secrets: ['pull-a'] }) }],
    act: podIn('b', { pullPolicy: 'Never' }),
  };
  const suite: SuiteDefinition = { name: 'mine', title: 'x', description: 'x', scenarios: () => [scenario] };
  const s = plan({ suites: [suite], kubelets: ['v1.35.4'] }).scenarios[0];
  t.is(s?.prediction.outcome, 'runs-cached');
  t.deepEqual(s?.setup.map((x) => x.prediction.outcome), ['pulls-runs']);
});
