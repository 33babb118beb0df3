// gate-flips: KubeletEnsureSecretPulledImages switched off and on again on one kubelet, and the
// verification policy changed between its four values, with pull records on the node (docs/specification.md
// A2, A4, A6, A7). Records survive while the gate is off (the no-op pull manager neither reads nor
// deletes them); an image pulled while the gate was off has no record, so with the gate back on it is
// treated as preloaded; a policy change applies to the records already on disk at the next start.
import { defineSuite, expandAxes, type KubeletSettingsSpec, type ScenarioSpec } from '../harness/engine/spec.ts';
import { pod, primedBy, privateImageWorld } from './lib.ts';
import { POLICIES } from './ensure-secret-pulled.ts';

const ON: KubeletSettingsSpec = { ensureSecretPulledImages: true };
const OFF: KubeletSettingsSpec = { ensureSecretPulledImages: false };

export const gateFlips = defineSuite({
  name: 'gate-flips',
  title: 'Gate flips and policy changes in place, with records on the node',
  description: 'KubeletEnsureSecretPulledImages on -> off -> on on one kubelet, and the verification policy changed between its four values with records present.',
  scenarios: (): ScenarioSpec[] => [
    // on -> off -> on: pulled with the gate on (recorded), used while off, then judged with it on again.
    ...expandAxes({ pullPolicy: ['Never', 'IfNotPresent'], credential: ['no-secret', 'same-secret'] }, ({ pullPolicy, credential }) => ({
      id: `on-off-on/recorded/${pullPolicy}/${credential}`,
      name: `Pulled with the gate on, the gate switched off and on again: ${pullPolicy === 'Never' ? 'a Never' : 'an IfNotPresent'} pod ${credential === 'no-secret' ? 'without a pull secret' : 'with the pulling secret'}`,
      labels: { gate: 'on -> off -> on', pullPolicy, credential: credential.replace('-', ' ') },
      world: privateImageWorld(),
      kubelet: ON,
      // While the gate is off a pod without a secret runs the image (nothing is checked).
      setup: [primedBy(), { kubelet: OFF }, { pod: pod('b', 'IfNotPresent') }, { kubelet: ON }],
      act: credential === 'no-secret' ? pod('b', pullPolicy) : pod('a', pullPolicy, { secrets: ['pull-a'] }),
    })),
    // Pulled while the gate was off (no record), then the gate on: the image counts as preloaded.
    ...expandAxes({ policy: POLICIES, pullPolicy: ['Never', 'IfNotPresent'] }, ({ policy, pullPolicy }) => ({
      id: `off-on/unrecorded/${policy}/${pullPolicy}`,
      name: `Pulled with a secret while the gate was off, then the gate on under ${policy}: ${pullPolicy === 'Never' ? 'a Never' : 'an IfNotPresent'} pod without a pull secret`,
      labels: { gate: 'off -> on', policy, pullPolicy, credential: 'no secret' },
      world: privateImageWorld(),
      kubelet: OFF,
      setup: [primedBy(), { kubelet: { ...ON, policy, ...(policy === 'NeverVerifyAllowlistedImages' ? { allowlist: ['{registry}/allowlisted/*'] } : {}) } }],
      act: pod('b', pullPolicy),
    })),
    // The policy changed with a record present (pulled under NeverVerifyPreloadedImages).
    ...expandAxes({ policy: POLICIES, credential: ['no-secret', 'same-secret'] }, ({ policy, credential }) => ({
      id: `policy-change/${policy}/Never/${credential}`,
      name: `Pulled with a secret under NeverVerifyPreloadedImages, the policy changed to ${policy}: a Never pod ${credential === 'no-secret' ? 'without a pull secret' : 'with the pulling secret'}`,
      labels: { gate: 'on', policy: `NeverVerifyPreloadedImages -> ${policy}`, pullPolicy: 'Never', credential: credential.replace('-', ' ') },
      world: privateImageWorld(),
      kubelet: { ...ON, policy: 'NeverVerifyPreloadedImages' },
      setup: [primedBy(), { kubelet: { ...ON, policy, ...(policy === 'NeverVerifyAllowlistedImages' ? { allowlist: ['{registry}/allowlisted/*'] } : {}) } }],
      act: credential === 'no-secret' ? pod('b', 'Never') : pod('a', 'Never', { secrets: ['pull-a'] }),
    })),
  ],
});
