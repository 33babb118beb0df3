// The loophole suite, for any worker kubelet (`pullproof run --suite loophole --kubelet v1.32.10`): a
// pod with a pull secret pulls a private image; a pod in another namespace without one runs it from the
// node cache (kubernetes#18787) while KubeletEnsureSecretPulledImages is off or unknown; and, on
// kubelets that have the gate, turning it on refuses the image to the pod without a secret (not
// applicable where the kubelet has no such gate, with the reason).
import { defineSuite, type ScenarioSpec } from '../harness/engine/spec.ts';
import { pod, primedBy, privateImageWorld } from './lib.ts';

export const loophole = defineSuite({
  name: 'loophole',
  title: 'Loophole: a private image reused without credentials, per worker kubelet version',
  description: 'kubernetes#18787 on the kubelet you choose with --kubelet, and whether that kubelet can close it.',
  scenarios: (): ScenarioSpec[] => [
    {
      id: 'pull-with-secret',
      name: 'A pod with a pull secret pulls a private image and runs (KubeletEnsureSecretPulledImages off, or unknown to this kubelet)',
      labels: { gate: 'off', pullPolicy: 'IfNotPresent', credential: 'same secret' },
      world: privateImageWorld(), kubelet: { ensureSecretPulledImages: false },
      act: pod('a', 'IfNotPresent', { secrets: ['pull-a'] }),
    },
    {
      id: 'loophole-open',
      name: 'A pod in another namespace without a pull secret runs a private image another namespace pulled (kubernetes#18787), with the gate off',
      labels: { gate: 'off', pullPolicy: 'IfNotPresent', credential: 'no secret' },
      world: privateImageWorld(), kubelet: { ensureSecretPulledImages: false },
      setup: [primedBy()],
      act: pod('b', 'IfNotPresent'),
    },
    {
      id: 'loophole-closed',
      name: 'With KubeletEnsureSecretPulledImages on, a pod in another namespace without a pull secret cannot reuse a private image another namespace pulled',
      labels: { gate: 'on', pullPolicy: 'IfNotPresent', credential: 'no secret' },
      world: privateImageWorld(), kubelet: { ensureSecretPulledImages: true },
      setup: [primedBy()],
      act: pod('b', 'IfNotPresent'),
    },
  ],
});
