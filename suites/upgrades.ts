// upgrades: a node's kubelet moved one minor at a time on one cluster, so the node's disk (images,
// /var/lib/kubelet/image_manager/) carries over: 1.33 -> 1.34 -> 1.35 -> 1.36 on a 1.36 control plane and
// 1.34 -> 1.35 -> 1.36 -> 1.37 on a 1.37 control plane (a kubelet is never newer than the API server and
// at most three minors older). Each step drains the node, stops the kubelet, swaps the binary, writes that
// version's configuration, starts it and uncordons (docs/specification.md A6, A7). The record files are read
// before and after every swap and compared with the oracle's model (v1alpha1 written by 1.33/1.34,
// migrated to v1beta1 when a 1.35+ kubelet with the gate on starts); the pod at the end is judged by the
// oracle for the last version. Variants: the alpha gate on explicitly on 1.33/1.34, or off there (images
// pulled without records: the migration caveat), the last version under AlwaysVerify, and an intent left
// by an interrupted pull on the old version.
//
// Not in `--suite all`: the chains need 1.36 and 1.37 control planes (node images built from source the
// first time, about 45 minutes each here) besides the run's own. Run it with `--suite upgrades`.
import { defineSuite, type KubeletSettingsSpec, type PodSpec, type ScenarioSpec, type Step } from '../harness/engine/spec.ts';
import { factsOf } from '../harness/oracle/versions.ts';
import { pod, primedBy, privateImageWorld } from './lib.ts';

/** The tested release of a minor (the version table's choice). */
function release(minor: number): string {
  const r = factsOf(minor)?.release;
  if (!r) throw new Error(`the version table has no release for 1.${minor}`);
  return r;
}

export const CHAINS: readonly { id: string; minors: readonly number[] }[] = [
  { id: '1.33-to-1.36', minors: [33, 34, 35, 36] },
  { id: '1.34-to-1.37', minors: [34, 35, 36, 37] },
];

type GateMode = 'gate-on' | 'gate-off-before-1.35';
type FinalPolicy = 'default' | 'AlwaysVerify';

/** The settings of one step of a chain: the gate set explicitly where it is alpha (1.33, 1.34). */
function settingsFor(minor: number, mode: GateMode, policy?: string): KubeletSettingsSpec {
  const alpha = minor < 35;
  if (alpha && mode === 'gate-off-before-1.35') return { ensureSecretPulledImages: false };
  return { ensureSecretPulledImages: true, ...(policy ? { policy } : {}) };
}

const ACTS: readonly { id: string; what: string; pod: PodSpec }[] = [
  { id: 'no-secret/Never', what: 'a Never pod without a pull secret', pod: pod('b', 'Never') },
  { id: 'no-secret/IfNotPresent', what: 'an IfNotPresent pod without a pull secret', pod: pod('b', 'IfNotPresent') },
  { id: 'same-secret/Never', what: 'a Never pod with the pulling secret', pod: pod('a', 'Never', { secrets: ['pull-a'] }) },
  { id: 'same-secret/IfNotPresent', what: 'an IfNotPresent pod with the pulling secret', pod: pod('a', 'IfNotPresent', { secrets: ['pull-a'] }) },
];

function chainScenarios(chain: (typeof CHAINS)[number], mode: GateMode, finalPolicy: FinalPolicy): ScenarioSpec[] {
  const [first, ...rest] = chain.minors;
  if (first === undefined) return [];
  const last = chain.minors[chain.minors.length - 1] as number;
  const swaps: Step[] = rest.map((minor) => ({
    swapKubelet: release(minor),
    kubelet: settingsFor(minor, mode, minor === last && finalPolicy === 'AlwaysVerify' ? 'AlwaysVerify' : undefined),
  }));
  const path = chain.minors.map((m) => `1.${m}`).join(' -> ');
  const base = `${chain.id}/${mode}${finalPolicy === 'AlwaysVerify' ? '/AlwaysVerify' : ''}`;
  const labels = { chain: chain.id, gate: mode, policy: finalPolicy === 'AlwaysVerify' ? 'AlwaysVerify' : 'default' };
  const gateWords = mode === 'gate-on' ? 'the gate on at every step' : `the gate off on 1.${first}${first < 34 ? ' and 1.34' : ''}`;
  const common = {
    world: privateImageWorld(), kubelet: settingsFor(first, mode), startKubelet: release(first),
    timeoutMs: 15 * 60_000,
  };
  const out: ScenarioSpec[] = ACTS.map((act) => ({
    ...common,
    id: `${base}/pulled/${act.id}`,
    name: `Image pulled with a secret on 1.${first}, kubelet upgraded ${path} with ${gateWords}${finalPolicy === 'AlwaysVerify' ? ', AlwaysVerify at the end' : ''}: ${act.what}`,
    labels: { ...labels, pullPolicy: act.pod.pullPolicy, credential: act.id.startsWith('no-secret') ? 'no secret' : 'same secret' },
    setup: [primedBy(), ...swaps],
    act: act.pod,
  }));
  if (mode === 'gate-on' && finalPolicy === 'default') {
    // An intent left on the old version by an interrupted pull (the image is on the node without a record).
    out.push({
      ...common,
      id: `${base}/intent/no-secret/Never`,
      name: `An intent left on 1.${first} for an image on the node, kubelet upgraded ${path}: a Never pod without a pull secret`,
      labels: { ...labels, pullPolicy: 'Never', credential: 'intent, no secret' },
      setup: [{ preload: 'img' }, { records: { intent: 'img' } }, ...swaps],
      act: pod('b', 'Never'),
    });
  }
  return out;
}

export const upgrades = defineSuite({
  name: 'upgrades',
  title: 'Kubelet upgrades in place: records and verdicts across 1.33 to 1.37',
  description: 'Two upgrade chains on one node each (1.33->1.36, 1.34->1.37): record files before and after every swap, and the verdicts of the last version.',
  ownKubelets: true,
  inAll: false,
  scenarios: (): ScenarioSpec[] => CHAINS.flatMap((chain) => [
    ...chainScenarios(chain, 'gate-on', 'default'),
    ...chainScenarios(chain, 'gate-off-before-1.35', 'default'),
    ...chainScenarios(chain, 'gate-off-before-1.35', 'AlwaysVerify'),
  ]),
});

/**
 * One minor back on the same node (1.35 -> 1.34 on a 1.35 control plane, 1.37 -> 1.36 on a 1.37 one):
 * reported, not judged (the specification promises reading records only within supported skew). The
 * oracle's model gives the fail-safe reading (a record the older kubelet cannot decode counts as
 * unreadable, so the image must be verified); a pod that runs where that reading refuses it is flagged
 * as failing open, which fails the run.
 */
export const ROLLBACKS: readonly { id: string; from: number; to: number }[] = [
  { id: '1.35-to-1.34', from: 35, to: 34 },
  { id: '1.37-to-1.36', from: 37, to: 36 },
];

export const rollbacks = defineSuite({
  name: 'rollbacks',
  title: 'Kubelet rollbacks one minor back: what the older kubelet does with the newer records (reported, not judged)',
  description: 'Images pulled with a secret on 1.35 / 1.37, the kubelet rolled back to 1.34 / 1.36 in place: record files before and after, and what pods see; a pod that runs without the credentials is flagged as failing open.',
  ownKubelets: true,
  inAll: false,
  scenarios: (): ScenarioSpec[] => ROLLBACKS.flatMap((rb) => ACTS.map((act): ScenarioSpec => ({
    id: `${rb.id}/${act.id}`,
    name: `Image pulled with a secret on 1.${rb.from}, kubelet rolled back to 1.${rb.to} with the gate on: ${act.what}`,
    labels: { chain: rb.id, gate: 'on', pullPolicy: act.pod.pullPolicy, credential: act.id.startsWith('no-secret') ? 'no secret' : 'same secret' },
    world: privateImageWorld(),
    kubelet: settingsFor(rb.from, 'gate-on'),
    startKubelet: release(rb.from),
    setup: [primedBy(), { swapKubelet: release(rb.to), kubelet: settingsFor(rb.to, 'gate-on') }],
    act: act.pod,
    observeOnly: true,
    timeoutMs: 10 * 60_000,
  }))),
});
