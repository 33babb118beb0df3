// kubelet-restarts: what survives a kubelet restart and what a restart changes. Records survive; an
// ImagePullIntent for a present image becomes a credential-less record (so the next use verifies); a
// corrupt record forces re-verification and is rewritten by the pull; deleting image_manager/ makes
// every cached image count as preloaded (docs/specification.md A6, A7). Record migration between kubelet
// versions belongs to the upgrade suite.
import { defineSuite, type ScenarioSpec } from '../harness/engine/spec.ts';
import { pod, primedBy, privateImageWorld } from './lib.ts';

const POLICIES = ['NeverVerifyPreloadedImages', 'AlwaysVerify'] as const;
const RESTART = { restartKubelet: true } as const;

export const kubeletRestarts = defineSuite({
  name: 'kubelet-restarts',
  title: 'Kubelet restarts: records, intents, corrupt and deleted records',
  description: 'Pull records across kubelet restarts: survival, intents becoming records, corrupt files, image_manager/ deleted.',
  scenarios: (): ScenarioSpec[] => POLICIES.flatMap((policy): ScenarioSpec[] => {
    const kubelet = { ensureSecretPulledImages: true, policy };
    const labels = { gate: 'on', policy, event: 'kubelet restart' };
    return [
      {
        id: `${policy}/survives/same-secret`, name: `After a kubelet restart a Never pod with the pulling secret still starts the image from the cache, under ${policy}`,
        labels: { ...labels, pullPolicy: 'Never', credential: 'same secret' }, world: privateImageWorld(), kubelet,
        setup: [primedBy(), RESTART], act: pod('a', 'Never', { secrets: ['pull-a'] }),
      },
      {
        id: `${policy}/survives/no-secret`, name: `After a kubelet restart an IfNotPresent pod without a pull secret is still refused, under ${policy}`,
        labels: { ...labels, pullPolicy: 'IfNotPresent', credential: 'no secret' }, world: privateImageWorld(), kubelet,
        setup: [primedBy(), RESTART], act: pod('b', 'IfNotPresent'),
      },
      {
        id: `${policy}/intent/with-secret`, name: `An intent left for a preloaded image becomes a credential-less record at restart: a pod with a valid secret re-verifies it, under ${policy}`,
        labels: { ...labels, pullPolicy: 'IfNotPresent', credential: 'intent, valid secret' }, world: privateImageWorld(), kubelet,
        setup: [{ preload: 'img' }, { records: { intent: 'img' } }, RESTART], act: pod('a', 'IfNotPresent', { secrets: ['pull-a'] }),
      },
      {
        id: `${policy}/intent/no-secret`, name: `An intent left for a preloaded image becomes a credential-less record at restart: a Never pod without a secret is refused, under ${policy}`,
        labels: { ...labels, pullPolicy: 'Never', credential: 'intent, no secret' }, world: privateImageWorld(), kubelet,
        setup: [{ preload: 'img' }, { records: { intent: 'img' } }, RESTART], act: pod('b', 'Never'),
      },
      {
        id: `${policy}/corrupt/same-secret`, name: `A corrupt record forces the pulling secret's pod to re-verify after a restart, and the pull rewrites the record, under ${policy}`,
        labels: { ...labels, pullPolicy: 'IfNotPresent', credential: 'corrupt record, same secret' }, world: privateImageWorld(), kubelet,
        setup: [primedBy(), { records: { corrupt: 'img' } }, RESTART], act: pod('a', 'IfNotPresent', { secrets: ['pull-a'] }),
      },
      {
        id: `${policy}/corrupt/never`, name: `A corrupt record makes even the pulling secret's Never pod fail safe after a restart, under ${policy}`,
        labels: { ...labels, pullPolicy: 'Never', credential: 'corrupt record, same secret' }, world: privateImageWorld(), kubelet,
        setup: [primedBy(), { records: { corrupt: 'img' } }, RESTART], act: pod('a', 'Never', { secrets: ['pull-a'] }),
      },
      {
        id: `${policy}/wiped/no-secret`, name: `With image_manager/ deleted and the kubelet restarted, a cached private image counts as preloaded for a pod without a secret, under ${policy}`,
        labels: { ...labels, pullPolicy: 'IfNotPresent', credential: 'records wiped, no secret' }, world: privateImageWorld(), kubelet, exclusive: true,
        setup: [primedBy(), { records: { wipe: true } }, RESTART], act: pod('b', 'IfNotPresent'),
      },
      {
        id: `${policy}/deleted/never`, name: `With the image's record deleted and the kubelet restarted, a Never pod without a secret sees it as preloaded, under ${policy}`,
        labels: { ...labels, pullPolicy: 'Never', credential: 'record deleted, no secret' }, world: privateImageWorld(), kubelet,
        setup: [primedBy(), { records: { delete: 'img' } }, RESTART], act: pod('b', 'Never'),
      },
    ];
  }),
});
