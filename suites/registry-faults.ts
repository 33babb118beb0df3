// registry-faults: the registry or its token service fails (outage: connections refused at once;
// failing the next requests; added latency) while pods start. Pods with a matching record start from
// the node's cache; pods that need re-verification fail with a registry error (never a credential
// refusal) and start within the image pull back-off plus 30 s after the registry returns. Every scenario
// owns the registry alone (exclusive), so no other scenario shares its window.
import { defineSuite, type ScenarioSpec } from '../harness/engine/spec.ts';
import { pod, primedBy, privateImageWorld } from './lib.ts';

/** owner pulls img in a; second (another user with access) has its own secret in b. */
const world = () => privateImageWorld({ users: { owner: { pulls: ['img'] }, second: { pulls: ['img'] } }, secrets: { 'second-b': { namespace: 'b', user: 'second' } } });
const ON = { ensureSecretPulledImages: true };
const RECOVER_S = 10 + 30; // the first image pull back-off (10 s) plus 30 s

export const registryFaults = defineSuite({
  name: 'registry-faults',
  title: 'Registry and token-service faults: cache hits survive, re-verification fails and recovers',
  description: 'Outages (connections refused), failing requests and latency at the registry and token service, with records that match and records that do not.',
  scenarios: (): ScenarioSpec[] => [
    ...(['registry', 'token'] as const).flatMap((target): ScenarioSpec[] => [
      {
        id: `${target}-outage/record-hit`, name: `During a ${target === 'registry' ? 'registry' : 'token service'} outage a pod with the pulling secret starts the cached image (its record matches; no registry needed)`,
        labels: { gate: 'on', pullPolicy: 'IfNotPresent', credential: `same secret, ${target} down` }, exclusive: true,
        world: world(), kubelet: ON, setup: [primedBy(), { fault: { target, outage: true } }], act: pod('a', 'IfNotPresent', { secrets: ['pull-a'] }),
      },
      {
        id: `${target}-outage/reverify-recovers`, name: `During a ${target === 'registry' ? 'registry' : 'token service'} outage a pod that must re-verify fails with a registry error, then starts once it returns`,
        labels: { gate: 'on', pullPolicy: 'IfNotPresent', credential: `another valid secret, ${target} down` }, exclusive: true, recover: { withinSeconds: RECOVER_S },
        world: world(), kubelet: ON, setup: [primedBy(), { fault: { target, outage: true } }], act: pod('b', 'IfNotPresent', { secrets: ['second-b'] }),
      },
    ]),
    {
      id: 'registry-outage/never', name: 'During a registry outage a Never pod that would need re-verification is refused with ErrImageNeverPull (no registry contact is tried)',
      labels: { gate: 'on', pullPolicy: 'Never', credential: 'another valid secret, registry down' }, exclusive: true,
      world: world(), kubelet: ON, setup: [primedBy(), { fault: { target: 'registry', outage: true } }], act: pod('b', 'Never', { secrets: ['second-b'] }),
    },
    {
      id: 'registry-outage/always', name: 'During a registry outage an Always pod with the pulling secret fails (Always always asks the registry), then starts once it returns',
      labels: { gate: 'on', pullPolicy: 'Always', credential: 'same secret, registry down' }, exclusive: true, recover: { withinSeconds: RECOVER_S },
      world: world(), kubelet: ON, setup: [primedBy(), { fault: { target: 'registry', outage: true } }], act: pod('a', 'Always', { secrets: ['pull-a'] }),
    },
    {
      id: 'registry-latency/reverify', name: 'With 2 s added to every registry request, a pod that must re-verify still starts (slower)',
      labels: { gate: 'on', pullPolicy: 'IfNotPresent', credential: 'another valid secret, registry slow' }, exclusive: true,
      world: world(), kubelet: ON, setup: [primedBy(), { fault: { target: 'registry', latencyMs: 2000 } }], act: pod('b', 'IfNotPresent', { secrets: ['second-b'] }),
    },
  ],
});
