// The smoke suite (the default): on one 1.35 cluster built from source, the loophole kubernetes#18787
// with KubeletEnsureSecretPulledImages off, its closing with the gate on under the default policy
// (NeverVerifyPreloadedImages), the record surviving a kubelet restart, and the migration caveat
// (images cached while the gate was off count as preloaded). Each scenario owns its images,
// namespaces and credentials; the oracle gives every expectation.
import { defineSuite, type ScenarioSpec } from '../harness/engine/spec.ts';
import { pod, primedBy, privateImageWorld } from './lib.ts';

const OFF = { ensureSecretPulledImages: false };
const ON = { ensureSecretPulledImages: true };

export const smoke = defineSuite({
  name: 'smoke',
  title: 'Smoke: the #18787 loophole and KubeletEnsureSecretPulledImages closing it',
  description: 'The loophole with the gate off, closed with it on under the default policy, across a kubelet restart, and the migration caveat.',
  scenarios: (): ScenarioSpec[] => [
    {
      id: 'gate-off/pull-with-secret',
      name: 'With KubeletEnsureSecretPulledImages off, a pod with a pull secret pulls a private image and runs',
      labels: { gate: 'off', pullPolicy: 'IfNotPresent', credential: 'same secret' },
      world: privateImageWorld(), kubelet: OFF,
      act: pod('a', 'IfNotPresent', { secrets: ['pull-a'] }),
    },
    {
      id: 'gate-off/loophole',
      name: 'With KubeletEnsureSecretPulledImages off, a pod in another namespace without a pull secret runs a private image another namespace pulled (kubernetes#18787)',
      labels: { gate: 'off', pullPolicy: 'IfNotPresent', credential: 'no secret' },
      world: privateImageWorld(), kubelet: OFF,
      setup: [primedBy()],
      act: pod('b', 'IfNotPresent'),
    },
    {
      id: 'gate-on/pull-with-secret',
      name: 'With the gate on (default policy), a privileged pod with a pull secret pulls a private image and runs, and the record names its secret and credential hash',
      labels: { gate: 'on', pullPolicy: 'IfNotPresent', credential: 'same secret' },
      world: privateImageWorld(), kubelet: ON,
      act: pod('a', 'IfNotPresent', { secrets: ['pull-a'], privileged: true }),
    },
    {
      id: 'gate-on/ifnotpresent-no-secret',
      name: 'With the gate on (default policy), an IfNotPresent pod without a pull secret cannot reuse a private image another namespace pulled',
      labels: { gate: 'on', pullPolicy: 'IfNotPresent', credential: 'no secret' },
      world: privateImageWorld(), kubelet: ON,
      setup: [primedBy()],
      act: pod('b', 'IfNotPresent'),
    },
    {
      id: 'gate-on/never-no-secret',
      name: 'With the gate on (default policy), a Never pod without a pull secret is refused a private image another namespace pulled',
      labels: { gate: 'on', pullPolicy: 'Never', credential: 'no secret' },
      world: privateImageWorld(), kubelet: ON,
      setup: [primedBy()],
      act: pod('b', 'Never'),
    },
    {
      id: 'gate-on/after-restart',
      name: 'After a kubelet restart the pull record survives: a pod without a pull secret is still refused the private image',
      labels: { gate: 'on', pullPolicy: 'IfNotPresent', credential: 'no secret', event: 'kubelet restart' },
      world: privateImageWorld(), kubelet: ON,
      setup: [primedBy(), { restartKubelet: true }],
      act: pod('b', 'IfNotPresent'),
    },
    {
      id: 'migration-caveat',
      name: 'An image pulled while the gate was off counts as preloaded once it is on: a pod without a pull secret runs it (migration caveat)',
      labels: { gate: 'off, then on', pullPolicy: 'IfNotPresent', credential: 'no secret' },
      world: privateImageWorld(), kubelet: OFF,
      setup: [primedBy(), { kubelet: ON }],
      act: pod('b', 'IfNotPresent'),
    },
  ],
});
