// pod-shapes: pods of several containers. Every container's image goes through the same decision with
// the pod's pull secrets (docs/specification.md A9): an init container, a sidecar, a second and third container
// with a cached and an absent private image beside a public one, and an ephemeral container added to a
// running pod (kubectl debug), each observed and judged on its own. The private images were pulled by
// namespace a with its secret; the pods start in b without a secret, or in a with it, under the default
// policy, AlwaysVerify, and with the gate off (the loophole: a cached private image runs for anyone).
import { defineSuite, expandAxes, type ScenarioSpec, type WorldSpec } from '../harness/engine/spec.ts';
import { pod, primedBy } from './lib.ts';

const SETTINGS = ['NeverVerifyPreloadedImages', 'AlwaysVerify', 'gate-off'] as const;
type Setting = (typeof SETTINGS)[number];

/** owner may pull the private images; pub is public; pull-a holds owner's credentials in a. */
function world(): WorldSpec {
  return {
    users: { owner: { pulls: ['pub', 'init', 'side', 'img', 'fresh', 'debug'] } },
    images: { pub: { repository: 'public' }, init: { repository: 'private' }, side: { repository: 'private' }, img: { repository: 'private' }, fresh: { repository: 'private' }, debug: { repository: 'private' } },
    namespaces: ['a', 'b'],
    secrets: { 'pull-a': { namespace: 'a', user: 'owner' } },
  };
}

function kubelet(s: Setting): ScenarioSpec['kubelet'] {
  return s === 'gate-off' ? { ensureSecretPulledImages: false } : { ensureSecretPulledImages: true, policy: s };
}

function under(s: Setting): string {
  return s === 'gate-off' ? 'with KubeletEnsureSecretPulledImages off' : `under ${s}`;
}

const WHO = {
  'no-secret': { phrase: 'in another namespace without a pull secret', pod: () => pod('b', 'IfNotPresent', { image: 'pub' }) },
  'same-secret': { phrase: 'with the pull secret that pulled the private images', pod: () => pod('a', 'IfNotPresent', { image: 'pub', secrets: ['pull-a'] }) },
} as const;

export const podShapes = defineSuite({
  name: 'pod-shapes',
  title: 'Init containers, several containers and ephemeral containers',
  description: 'Pods whose init container, second and third containers, or ephemeral container use cached and absent private images beside a public one, each container judged on its own, under the default policy, AlwaysVerify and with the gate off.',
  scenarios: (): ScenarioSpec[] => expandAxes({ policy: SETTINGS, credential: Object.keys(WHO) as (keyof typeof WHO)[], shape: ['init', 'sidecar', 'containers', 'ephemeral', 'ephemeral-never'] }, ({ policy: setting, credential: who, shape }) => {
    const w = WHO[who];
    const base = { labels: setting === 'gate-off' ? { gate: 'off', policy: 'gate off' } : { gate: 'on', policy: setting }, world: world(), kubelet: kubelet(setting) };
    if (shape === 'init') {
      return {
        ...base, id: `init/${setting}/${who}`,
        name: `Pod ${w.phrase} whose init container uses a private image namespace a pulled (IfNotPresent), before a public image, ${under(setting)}`,
        setup: [primedBy('pull-a', 'init')],
        act: { ...w.pod(), initContainers: [{ name: 'init', image: 'init', pullPolicy: 'IfNotPresent' }] },
      };
    }
    if (shape === 'sidecar') {
      return {
        ...base, id: `sidecar/${setting}/${who}`,
        name: `Pod ${w.phrase} whose sidecar (an init container with restartPolicy Always) uses a private image namespace a pulled (IfNotPresent), before a public image, ${under(setting)}`,
        setup: [primedBy('pull-a', 'side')],
        act: { ...w.pod(), initContainers: [{ name: 'sidecar', image: 'side', pullPolicy: 'IfNotPresent', restartPolicy: 'Always' }] },
      };
    }
    if (shape === 'containers') {
      return {
        ...base, id: `containers/${setting}/${who}`,
        name: `Pod ${w.phrase} with a public image, a private image namespace a pulled and a private image nobody pulled (IfNotPresent), ${under(setting)}`,
        setup: [primedBy('pull-a', 'img')],
        act: { ...w.pod(), containers: [{ name: 'cached', image: 'img', pullPolicy: 'IfNotPresent' }, { name: 'fresh', image: 'fresh', pullPolicy: 'IfNotPresent' }] },
      };
    }
    const pullPolicy = shape === 'ephemeral' ? 'IfNotPresent' : 'Never';
    return {
      ...base, id: `${shape}/${setting}/${who}`,
      name: `Ephemeral container (kubectl debug, ${pullPolicy}) with a private image namespace a pulled, added to a running pod ${w.phrase}, ${under(setting)}`,
      setup: [primedBy('pull-a', 'debug')],
      act: { ...w.pod(), ephemeralContainers: [{ name: 'debugger', image: 'debug', pullPolicy }] },
    };
  }),
});
