// ensure-secret-pulled: KEP-2535's core table. Another namespace pulls a private image with its pull
// secret; then a pod with one of ten credential cases starts it under each verification policy and
// pull policy, and with the gate off for the before/after table. Each scenario owns its image, its
// namespaces, its registry users and its secrets; the oracle predicts every cell (docs/specification.md
// A3-A5) and the judge checks the outcome, its cause, the kubelet's event and the record afterwards.
import { defineSuite, expandAxes, type KubeletSettingsSpec, type PodSpec, type ScenarioSpec, type Step, type WorldSpec } from '../harness/engine/spec.ts';
import type { PullPolicy } from '../harness/oracle/types.ts';
import { pod, primedBy, privateImageWorld } from './lib.ts';

export const POLICIES = ['NeverVerify', 'NeverVerifyPreloadedImages', 'NeverVerifyAllowlistedImages', 'AlwaysVerify'] as const;
export const PULL_POLICIES = ['IfNotPresent', 'Never', 'Always'] as const;

interface CredentialCase {
  id: string;
  /** How the case reads in a scenario name. */
  phrase: string;
  world?: Partial<WorldSpec>;
  /** Replaces the default setup (namespace a pulls img with pull-a). */
  setup?: Step[];
  act(pullPolicy: PullPolicy): PodSpec;
  /** Kubelet settings the case needs besides the gate and the policy. */
  kubelet?: Partial<KubeletSettingsSpec>;
}

const stranger = { users: { stranger: { pulls: [] } } };

export const CASES: CredentialCase[] = [
  { id: 'same-secret', phrase: 'with the same pull secret that pulled it', act: (pp) => pod('a', pp, { secrets: ['pull-a'] }) },
  {
    id: 'same-credentials-other-secret', phrase: 'in another namespace with another secret holding the same credentials',
    world: { secrets: { 'copy-b': { namespace: 'b', user: 'owner' } } }, act: (pp) => pod('b', pp, { secrets: ['copy-b'] }),
  },
  {
    id: 'secret-for-another-registry', phrase: 'in another namespace with a secret for another registry',
    world: { secrets: { 'elsewhere-b': { namespace: 'b', user: 'owner', registry: 'elsewhere' } } }, act: (pp) => pod('b', pp, { secrets: ['elsewhere-b'] }),
  },
  {
    id: 'tenant-without-access', phrase: 'in another namespace with a valid secret of a registry user without access',
    world: { ...stranger, secrets: { 'stranger-b': { namespace: 'b', user: 'stranger' } } }, act: (pp) => pod('b', pp, { secrets: ['stranger-b'] }),
  },
  { id: 'no-secret', phrase: 'in another namespace without a pull secret', act: (pp) => pod('b', pp) },
  {
    id: 'missing-secret', phrase: 'in another namespace naming a pull secret that does not exist',
    world: { secrets: { 'missing-b': { namespace: 'b', user: 'owner', missing: true } } }, act: (pp) => pod('b', pp, { secrets: ['missing-b'] }),
  },
  {
    id: 'secret-recreated', phrase: 'with its pull secret deleted and recreated with the same content (new uid)',
    setup: [primedBy(), { recreateSecret: 'pull-a' }], act: (pp) => pod('a', pp, { secrets: ['pull-a'] }),
  },
  {
    id: 'secret-updated-wrong-password', phrase: 'with its pull secret updated in place to a wrong password (same uid)',
    setup: [primedBy(), { updateSecret: 'pull-a', password: 'wrong' }], act: (pp) => pod('a', pp, { secrets: ['pull-a'] }),
  },
  {
    id: 'node-wide-credentials', phrase: 'in another namespace without a secret, after the kubelet pulled it with node-wide credentials',
    world: { users: { owner: { pulls: [] } }, images: { img: { repository: 'nodewide' } } },
    setup: [{ pod: pod('a', 'IfNotPresent') }], act: (pp) => pod('b', pp), kubelet: { nodeWideCredentials: true },
  },
  {
    id: 'public-anonymous', phrase: 'in another namespace without a secret, for a public image pulled anonymously',
    world: { images: { img: { repository: 'public' } } },
    setup: [{ pod: pod('a', 'IfNotPresent') }], act: (pp) => pod('b', pp),
  },
];

/** The world of a credential case: the private image world with the case's users, images and secrets. */
export function caseWorld(c: CredentialCase): WorldSpec {
  const base = privateImageWorld();
  return {
    ...base,
    users: { ...base.users, ...c.world?.users },
    images: { ...base.images, ...c.world?.images },
    secrets: { ...base.secrets, ...c.world?.secrets },
  };
}

export const ensureSecretPulled = defineSuite({
  name: 'ensure-secret-pulled',
  title: 'KubeletEnsureSecretPulledImages: verification policy x pull policy x credentials',
  description: 'A private image another namespace pulled, started by pods with ten credential cases under every policy and pull policy, and with the gate off.',
  scenarios: (): ScenarioSpec[] => [
    ...expandAxes({ policy: POLICIES, pullPolicy: PULL_POLICIES, credential: CASES.map((c) => c.id) }, ({ policy, pullPolicy, credential }) => {
      const c = CASES.find((x) => x.id === credential) as CredentialCase;
      return {
        id: `${policy}/${pullPolicy}/${c.id}`,
        name: `${pullPolicy} pod ${c.phrase}, under ${policy}`,
        labels: { gate: 'on' },
        world: caseWorld(c),
        kubelet: { ensureSecretPulledImages: true, policy, ...c.kubelet },
        setup: c.setup ?? [primedBy()],
        act: c.act(pullPolicy),
      };
    }),
    ...expandAxes({ pullPolicy: PULL_POLICIES, credential: CASES.map((c) => c.id) }, ({ pullPolicy, credential }) => {
      const c = CASES.find((x) => x.id === credential) as CredentialCase;
      return {
        id: `gate-off/${pullPolicy}/${c.id}`,
        name: `${pullPolicy} pod ${c.phrase}, with KubeletEnsureSecretPulledImages off`,
        labels: { gate: 'off', policy: 'gate off' },
        world: caseWorld(c),
        kubelet: { ensureSecretPulledImages: false, ...c.kubelet },
        setup: c.setup ?? [primedBy()],
        act: c.act(pullPolicy),
      };
    }),
  ],
});
