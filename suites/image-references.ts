// image-references: the ensure-secret-pulled table for the other ways a pod names the same image. A pod
// in namespace a pulls img:v1 with its secret; then a pod names the same content by digest
// (<repository>@sha256:...), by tag and digest (<repository>:v1@sha256:...) or by another tag of the same
// repository (<repository>:v2, the same manifest), under every policy and with the gate off, with the
// same secret, another secret holding the same credentials, or none. The record is keyed by imageRef
// and its credentials by the repository (tag and digest cut), so digest references follow the tag
// case; another tag is a name containerd does not have until it is pulled, so it is pulled with the
// pod's own credentials under every policy (docs/specification.md A8). Then the reverse (pulled by
// digest, started by tag) and a preloaded image named by digest. Always is left out: it pulls with the
// pod's credentials whatever the reference (A4), as in ensure-secret-pulled.
import { defineSuite, expandAxes, type PodSpec, type ScenarioSpec, type WorldSpec } from '../harness/engine/spec.ts';
import type { PullPolicy } from '../harness/oracle/types.ts';
import { CASES, POLICIES, caseWorld } from './ensure-secret-pulled.ts';
import { pod, primedBy, privateImageWorld } from './lib.ts';

const REFERENCES = {
  digest: { form: { digest: true }, phrase: 'by digest' },
  'tag-and-digest': { form: { tag: 'v1', digest: true }, phrase: 'by tag and digest (:v1@sha256:...)' },
  'other-tag': { form: { tag: 'v2' }, phrase: 'by another tag of the same repository and content (:v2)' },
} as const satisfies Record<string, { form: Pick<PodSpec, 'tag' | 'digest'>; phrase: string }>;

const CREDENTIALS = {
  'same-secret': { phrase: 'with the same pull secret that pulled it', act: (pp: PullPolicy) => pod('a', pp, { secrets: ['pull-a'] }) },
  'same-credentials-other-secret': { phrase: 'in another namespace with another secret holding the same credentials', act: (pp: PullPolicy) => pod('b', pp, { secrets: ['copy-b'] }) },
  'no-secret': { phrase: 'in another namespace without a pull secret', act: (pp: PullPolicy) => pod('b', pp) },
} as const;

const PULL_POLICIES = ['IfNotPresent', 'Never'] as const;
/** The policies and the gate off, as one axis. */
const SETTINGS = [...POLICIES, 'gate-off'] as const;

function world(): WorldSpec {
  return privateImageWorld({ images: { img: { repository: 'private', tags: ['v2'] } }, secrets: { 'copy-b': { namespace: 'b', user: 'owner' } } });
}

function kubelet(setting: (typeof SETTINGS)[number]): ScenarioSpec['kubelet'] {
  return setting === 'gate-off' ? { ensureSecretPulledImages: false } : { ensureSecretPulledImages: true, policy: setting };
}

function under(setting: (typeof SETTINGS)[number]): string {
  return setting === 'gate-off' ? 'with KubeletEnsureSecretPulledImages off' : `under ${setting}`;
}

function labels(setting: (typeof SETTINGS)[number]): Record<string, string> {
  return setting === 'gate-off' ? { gate: 'off', policy: 'gate off' } : { gate: 'on' };
}

export const imageReferences = defineSuite({
  name: 'image-references',
  title: 'Digest references, tag and digest, and another tag of the same image',
  description: 'The ensure-secret-pulled table for a private image named by digest, by tag and digest, or by another tag of the same content, under every policy and with the gate off; then pulled by digest and started by tag, and a preloaded image named by digest.',
  scenarios: (): ScenarioSpec[] => [
    ...expandAxes({ policy: SETTINGS, pullPolicy: PULL_POLICIES, reference: Object.keys(REFERENCES) as (keyof typeof REFERENCES)[], credential: Object.keys(CREDENTIALS) as (keyof typeof CREDENTIALS)[] }, ({ policy: setting, pullPolicy, reference, credential }) => {
      const r = REFERENCES[reference];
      const c = CREDENTIALS[credential];
      return {
        id: `${reference}/${setting}/${pullPolicy}/${credential}`,
        name: `${pullPolicy} pod names a private image ${r.phrase} that namespace a pulled by tag, ${c.phrase}, ${under(setting)}`,
        labels: { ...labels(setting), reference },
        world: world(),
        kubelet: kubelet(setting),
        setup: [primedBy()],
        act: { ...c.act(pullPolicy), ...r.form },
      };
    }),
    // All ten credential cases of ensure-secret-pulled, for a digest reference where the tag case verifies
    // (AlwaysVerify: the same verdicts as its AlwaysVerify/IfNotPresent row) and for another tag where the
    // tag case runs from the cache for anyone (NeverVerify: here the pod's own credentials decide).
    ...expandAxes({ reference: ['digest', 'other-tag'] as const, credential: CASES.map((c) => c.id) }, ({ reference, credential }) => {
      const c = CASES.find((x) => x.id === credential) as (typeof CASES)[number];
      const setting = reference === 'digest' ? 'AlwaysVerify' : 'NeverVerify';
      const w = caseWorld(c);
      const img = w.images.img;
      return {
        id: `all-credentials/${reference}/${setting}/IfNotPresent/${c.id}`,
        name: `IfNotPresent pod names a private image ${REFERENCES[reference].phrase} ${c.phrase}, under ${setting}`,
        labels: { gate: 'on', policy: setting, pullPolicy: 'IfNotPresent', reference, credential: c.id },
        world: { ...w, images: { ...w.images, ...(img ? { img: { ...img, tags: ['v2'] } } : {}) } },
        kubelet: { ensureSecretPulledImages: true, policy: setting, ...c.kubelet },
        setup: c.setup ?? [primedBy()],
        act: { ...c.act('IfNotPresent'), ...REFERENCES[reference].form },
      };
    }),
    // Pulled by digest only: containerd has no tag for it, so a pod naming the tag finds nothing.
    ...expandAxes({ policy: SETTINGS, pullPolicy: PULL_POLICIES }, ({ policy: setting, pullPolicy }) => ({
      id: `pulled-by-digest/${setting}/${pullPolicy}/no-secret`,
      name: `${pullPolicy} pod in another namespace without a pull secret names by tag a private image that namespace a pulled by digest, ${under(setting)}`,
      labels: { ...labels(setting), reference: 'tag after a digest pull', credential: 'no-secret' },
      world: world(),
      kubelet: kubelet(setting),
      setup: [{ pod: { ...pod('a', 'IfNotPresent', { secrets: ['pull-a'] }), digest: true } }],
      act: pod('b', pullPolicy),
    })),
    // Loaded outside the kubelet under its tag: ctr images import names its digest import-<date>@sha256:...,
    // not <repository>@sha256:..., so a pod naming the digest finds nothing.
    ...expandAxes({ policy: SETTINGS, pullPolicy: PULL_POLICIES }, ({ policy: setting, pullPolicy }) => ({
      id: `preloaded-by-digest/${setting}/${pullPolicy}/no-secret`,
      name: `${pullPolicy} pod in another namespace without a pull secret names by digest a private image loaded into the node outside the kubelet under its tag, ${under(setting)}`,
      labels: { ...labels(setting), reference: 'digest of a preloaded tag', credential: 'no-secret' },
      world: world(),
      kubelet: kubelet(setting),
      setup: [{ preload: 'img' }],
      act: { ...pod('b', pullPolicy), digest: true },
    })),
  ],
});
