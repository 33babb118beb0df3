// preloaded-and-allowlisted: images that reached the node outside the kubelet (as `kind load` or a
// pre-baked node image would put them there), the verification allowlist (exact repositories and "/*"
// prefixes, familiar names: kubernetes#137629), a preloaded name poisoned by a pull of the same content
// under another name (kubernetes#138175), and configurations the kubelet must refuse (an invalid
// allowlist; the policy fields with the gate off), after which the node is restored for the next window.
import { defineSuite, expandAxes, type ScenarioSpec } from '../harness/engine/spec.ts';
import { pod, primedBy, privateImageWorld } from './lib.ts';
import { POLICIES } from './ensure-secret-pulled.ts';

const ALLOWLISTED = { ensureSecretPulledImages: true, policy: 'NeverVerifyAllowlistedImages', allowlist: ['{registry}/allowlisted/*'] };

export const preloadedAndAllowlisted = defineSuite({
  name: 'preloaded-and-allowlisted',
  title: 'Preloaded images, the verification allowlist, and configurations the kubelet refuses',
  description: 'Images loaded outside the kubelet under every policy, allowlist entries (exact, prefix, familiar names), #138175, and refused configurations.',
  scenarios: (): ScenarioSpec[] => [
    // The A4 "no record" row: a preloaded image under every policy, without and with a valid secret.
    ...expandAxes({ policy: POLICIES, pullPolicy: ['IfNotPresent', 'Never'], credential: ['no secret', 'valid secret'] }, ({ policy, pullPolicy, credential }) => ({
      id: `preloaded/${policy}/${pullPolicy}/${credential.replace(/ /g, '-')}`,
      name: `${pullPolicy} pod with ${credential === 'no secret' ? 'no pull secret' : 'a valid pull secret'} starts an image loaded into the node outside the kubelet, under ${policy}`,
      labels: { gate: 'on', credential: `preloaded, ${credential}` },
      world: privateImageWorld(),
      kubelet: { ensureSecretPulledImages: true, policy, ...(policy === 'NeverVerifyAllowlistedImages' ? { allowlist: ['{registry}/allowlisted/*'] } : {}) },
      setup: [{ preload: 'img' }],
      act: credential === 'no secret' ? pod('b', pullPolicy) : pod('a', pullPolicy, { secrets: ['pull-a'] }),
    })),
    // Allowlist entries.
    ...(['IfNotPresent', 'Never'] as const).flatMap((pullPolicy): ScenarioSpec[] => [
      {
        id: `allowlist/prefix/${pullPolicy}`,
        name: `${pullPolicy} pod without a pull secret starts a preloaded image whose repository matches an allowlist "/*" prefix`,
        labels: { gate: 'on', policy: 'NeverVerifyAllowlistedImages', pullPolicy, credential: 'preloaded, allowlisted by prefix' },
        world: privateImageWorld({ images: { img: { repository: 'allowlisted' } }, users: { owner: { pulls: ['img'] } } }),
        kubelet: ALLOWLISTED, setup: [{ preload: 'img' }], act: pod('b', pullPolicy),
      },
      {
        id: `allowlist/exact/${pullPolicy}`,
        name: `${pullPolicy} pod without a pull secret starts a preloaded image whose repository is an exact allowlist entry`,
        labels: { gate: 'on', policy: 'NeverVerifyAllowlistedImages', pullPolicy, credential: 'preloaded, allowlisted exactly' },
        world: privateImageWorld({ images: { img: { repository: 'private' } } }),
        kubelet: { ensureSecretPulledImages: true, policy: 'NeverVerifyAllowlistedImages', allowlist: ['{registry}/private/{key}/img'] },
        setup: [{ preload: 'img' }], act: pod('b', pullPolicy),
      },
      {
        id: `allowlist/unlisted/${pullPolicy}`,
        name: `${pullPolicy} pod without a pull secret cannot start a preloaded image the allowlist does not name`,
        labels: { gate: 'on', policy: 'NeverVerifyAllowlistedImages', pullPolicy, credential: 'preloaded, not allowlisted' },
        world: privateImageWorld(), kubelet: ALLOWLISTED, setup: [{ preload: 'img' }], act: pod('b', pullPolicy),
      },
      {
        id: `allowlist/kubelet-pulled/${pullPolicy}`,
        name: `${pullPolicy} pod without a pull secret starts an allowlisted image the kubelet itself pulled with another namespace's secret (the allowlist ignores who pulled it)`,
        labels: { gate: 'on', policy: 'NeverVerifyAllowlistedImages', pullPolicy, credential: 'pulled, allowlisted' },
        world: privateImageWorld({ images: { img: { repository: 'allowlisted' } } }), kubelet: ALLOWLISTED, setup: [primedBy()], act: pod('b', pullPolicy),
      },
    ]),
    {
      id: 'allowlist/familiar-name',
      name: 'A Never pod naming a preloaded image by its familiar name (org/app) is not exempted by an allowlist entry for the fully qualified name: the kubelet matches the name as the pod writes it',
      labels: { gate: 'on', policy: 'NeverVerifyAllowlistedImages', pullPolicy: 'Never', credential: 'preloaded, fully qualified name allowlisted' },
      world: privateImageWorld({ images: { img: { repository: 'private', reference: 'ppfamiliar/{repo}:v1', notInRegistry: true } } }),
      kubelet: { ensureSecretPulledImages: true, policy: 'NeverVerifyAllowlistedImages', allowlist: ['docker.io/ppfamiliar/*'] },
      setup: [{ preload: 'img' }], act: pod('b', 'Never'),
    },
    {
      id: 'allowlist/familiar-entry',
      name: 'An allowlist entry written as a familiar name (org/app) exempts a Never pod naming the preloaded image that way from 1.36 (kubernetes#137629); older kubelets refuse the entry',
      labels: { gate: 'on', policy: 'NeverVerifyAllowlistedImages', pullPolicy: 'Never', credential: 'preloaded, familiar name allowlisted' },
      world: privateImageWorld({ images: { img: { repository: 'private', reference: 'ppfamiliar/{repo}:v1', notInRegistry: true } } }),
      kubelet: { ensureSecretPulledImages: true, policy: 'NeverVerifyAllowlistedImages', allowlist: ['ppfamiliar/private-{key}-img'] },
      setup: [{ preload: 'img' }], act: pod('b', 'Never'),
    },
    // kubernetes#138175: the same content pulled with credentials under another name.
    ...(['NeverVerifyPreloadedImages', 'AlwaysVerify'] as const).map((policy): ScenarioSpec => ({
      id: `preloaded/poisoned/${policy}`,
      name: `A Never pod without a pull secret starts a preloaded image after its content was pulled with credentials under another repository name, under ${policy} (kubernetes#138175)`,
      labels: { gate: 'on', policy, pullPolicy: 'Never', credential: 'preloaded, same content pulled elsewhere' },
      world: privateImageWorld({ users: { owner: { pulls: ['img', 'copy'] } }, images: { copy: { repository: 'private', sameContentAs: 'img' } } }),
      kubelet: { ensureSecretPulledImages: true, policy },
      setup: [{ preload: 'img' }, primedBy('pull-a', 'copy')],
      act: pod('b', 'Never'),
    })),
    // Configurations the kubelet must refuse (then the next window restores the node).
    ...([
      ['unqualified', 'an allowlist entry that is not fully qualified (nginx; accepted from 1.36, kubernetes#137629)', ['nginx']],
      ['inner-wildcard', 'an allowlist entry with a wildcard inside the path', ['{registry}/a/*/b']],
      ['tagged', 'an allowlist entry with a tag', ['{registry}/private/app:v1']],
    ] as const).map(([id, what, allowlist]): ScenarioSpec => ({
      id: `refused/${id}`,
      name: `The kubelet's answer to ${what}: a refusal in its own words, or a start where the version accepts it`,
      labels: { gate: 'on', policy: 'NeverVerifyAllowlistedImages', credential: 'invalid configuration' },
      world: privateImageWorld(),
      kubelet: { ensureSecretPulledImages: true, policy: 'NeverVerifyAllowlistedImages', allowlist: [...allowlist] },
      act: pod('a', 'IfNotPresent', { secrets: ['pull-a'] }),
    })),
    {
      id: 'refused/allowlist-wrong-policy',
      name: 'The kubelet refuses to start with an allowlist under a policy other than NeverVerifyAllowlistedImages, and says why',
      labels: { gate: 'on', policy: 'AlwaysVerify', credential: 'invalid configuration' },
      world: privateImageWorld(), kubelet: { ensureSecretPulledImages: true, policy: 'AlwaysVerify', allowlist: ['{registry}/allowlisted/*'] },
      act: pod('a', 'IfNotPresent', { secrets: ['pull-a'] }),
    },
    {
      id: 'refused/policy-gate-off',
      name: 'The kubelet refuses to start with a verification policy while KubeletEnsureSecretPulledImages is off, and says why',
      labels: { gate: 'off', policy: 'AlwaysVerify', credential: 'invalid configuration' },
      world: privateImageWorld(), kubelet: { ensureSecretPulledImages: false, policy: 'AlwaysVerify' },
      act: pod('a', 'IfNotPresent', { secrets: ['pull-a'] }),
    },
  ],
});
