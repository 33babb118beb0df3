// service-account-tokens (KEP-4412): the kubelet hands a pod-bound service-account token to the
// reference credential provider, which exchanges it at pullproof's STS for short-lived registry
// credentials. On 1.33 with the alpha gate on, 1.34 and later by default; not applicable before.
// Required annotations (missing: the plugin is not called), cacheType Token vs ServiceAccount told apart
// by counting STS exchanges, the audience RBAC, a service account the STS denies, a recreated service
// account (new uid) and the STS down within and after cacheDuration. The provider matches only the
// registry's provider/ path, so secret-based scenarios never reach it. Its audience is the STS's
// (sts.pullproof.test); the RBAC scenario uses an audience no RBAC grants.
import { defineSuite, type KubeletSettingsSpec, type ProviderSpec, type ScenarioSpec, type WorldSpec } from '../harness/engine/spec.ts';
import { PROVIDER_AUDIENCE } from '../harness/engine/providers.ts';
import { pod } from './lib.ts';

const ID = 'example.com/identity-id';
const OPTIONAL = 'example.com/team';

function provider(o: Partial<NonNullable<ProviderSpec['serviceAccount']>> & { cacheDurationSeconds?: number; audienceRbac?: boolean } = {}): ProviderSpec {
  return {
    matchRepository: 'provider', cacheDurationSeconds: o.cacheDurationSeconds ?? 300, audienceRbac: o.audienceRbac,
    serviceAccount: { audience: o.audience ?? PROVIDER_AUDIENCE, cacheType: o.cacheType ?? 'ServiceAccount', requireServiceAccount: true, requiredAnnotations: [ID], optionalAnnotations: [OPTIONAL] },
  };
}

function settings(p: ProviderSpec): KubeletSettingsSpec {
  return { ensureSecretPulledImages: true, serviceAccountTokens: true, provider: p };
}

/** puller (allowed by the STS) in a, other (allowed too) and denied (not allowed) in b. */
function world(extra: Partial<WorldSpec> = {}): WorldSpec {
  return {
    images: { img: { repository: 'provider' } },
    namespaces: ['a', 'b'],
    serviceAccounts: {
      puller: { namespace: 'a', annotations: { [ID]: '123' }, stsPulls: ['img'] },
      other: { namespace: 'b', annotations: { [ID]: '456' }, stsPulls: ['img'] },
      denied: { namespace: 'b', annotations: { [ID]: '789' }, stsPulls: [] },
      unannotated: { namespace: 'b', stsPulls: ['img'] },
      ...extra.serviceAccounts,
    },
  };
}

const prime = { pod: pod('a', 'IfNotPresent', { serviceAccount: 'puller' }) };

export const serviceAccountTokens = defineSuite({
  name: 'service-account-tokens',
  title: 'Service-account tokens for credential providers (KEP-4412) and their records (KEP-2535)',
  description: 'The reference plugin exchanging pod-bound tokens at the STS: annotations, cacheType, audience RBAC, denied and recreated service accounts, the STS down.',
  scenarios: (): ScenarioSpec[] => [
    {
      id: 'pull', name: 'A pod with an annotated service account pulls a private image with credentials its token was exchanged for, and the record names the service account',
      labels: { policy: 'NeverVerifyPreloadedImages', pullPolicy: 'IfNotPresent', credential: 'service account' },
      world: world(), kubelet: settings(provider()), act: pod('a', 'IfNotPresent', { serviceAccount: 'puller' }),
    },
    {
      id: 'same-sa/cache-service-account', name: 'A second pod of the same service account starts the image from the node cache, and cacheType ServiceAccount answers it without a new STS exchange',
      labels: { policy: 'NeverVerifyPreloadedImages', pullPolicy: 'IfNotPresent', credential: 'same service account, cacheType ServiceAccount' },
      world: world(), kubelet: settings(provider()), setup: [prime], act: pod('a', 'IfNotPresent', { serviceAccount: 'puller' }),
    },
    {
      id: 'same-sa/cache-token', name: 'A second pod of the same service account starts the image from the node cache, and cacheType Token costs it a new STS exchange',
      labels: { policy: 'NeverVerifyPreloadedImages', pullPolicy: 'IfNotPresent', credential: 'same service account, cacheType Token' },
      world: world(), kubelet: settings(provider({ cacheType: 'Token' })), setup: [prime], act: pod('a', 'IfNotPresent', { serviceAccount: 'puller' }),
    },
    {
      id: 'other-sa/allowed', name: 'A pod of another service account the STS allows must re-verify the image at the registry (the record names only the first)',
      labels: { policy: 'NeverVerifyPreloadedImages', pullPolicy: 'IfNotPresent', credential: 'other allowed service account' },
      world: world(), kubelet: settings(provider()), setup: [prime], act: pod('b', 'IfNotPresent', { serviceAccount: 'other' }),
    },
    ...(['IfNotPresent', 'Never'] as const).map((pullPolicy): ScenarioSpec => ({
      id: `other-sa/denied/${pullPolicy}`, name: `A ${pullPolicy} pod of a service account the STS denies cannot reuse the image an allowed one pulled`,
      labels: { policy: 'NeverVerifyPreloadedImages', pullPolicy, credential: 'denied service account' },
      world: world(), kubelet: settings(provider()), setup: [prime], act: pod('b', pullPolicy, { serviceAccount: 'denied' }),
    })),
    {
      id: 'recreated-sa', name: 'Deleting and recreating the service account (new uid) forces the next pod to re-verify the image',
      labels: { policy: 'NeverVerifyPreloadedImages', pullPolicy: 'IfNotPresent', credential: 'recreated service account' },
      world: world(), kubelet: settings(provider()), setup: [prime, { recreateServiceAccount: 'puller' }], act: pod('a', 'IfNotPresent', { serviceAccount: 'puller' }),
    },
    {
      id: 'missing-required-annotation', name: 'A pod whose service account lacks the required annotation gets no credentials from the provider (the plugin is not called) and its pull fails',
      labels: { policy: 'NeverVerifyPreloadedImages', pullPolicy: 'IfNotPresent', credential: 'service account without the required annotation' },
      world: world(), kubelet: settings(provider()), act: pod('b', 'IfNotPresent', { serviceAccount: 'unannotated' }),
    },
    {
      id: 'default-sa', name: 'A pod of the namespace\'s default service account (not annotated) gets no credentials from the provider',
      labels: { policy: 'NeverVerifyPreloadedImages', pullPolicy: 'IfNotPresent', credential: 'default service account' },
      world: world(), kubelet: settings(provider()), act: pod('b', 'IfNotPresent'),
    },
    {
      id: 'no-audience-rbac', name: 'Without RBAC granting the audience, the kubelet cannot request the token and the pull fails (ServiceAccountNodeAudienceRestriction)',
      labels: { policy: 'NeverVerifyPreloadedImages', pullPolicy: 'IfNotPresent', credential: 'audience not granted' },
      world: world(), kubelet: settings(provider({ audience: 'pullproof-ungranted-audience', audienceRbac: false })), act: pod('a', 'IfNotPresent', { serviceAccount: 'puller' }),
    },
    {
      id: 'sts-down/cached', name: 'With the STS down, a pod of the same service account still starts the image within cacheDuration (cacheType ServiceAccount answers from the kubelet\'s cache)',
      labels: { policy: 'NeverVerifyPreloadedImages', pullPolicy: 'IfNotPresent', credential: 'STS down, cached answer' },
      world: world(), kubelet: settings(provider()), exclusive: true,
      setup: [prime, { fault: { target: 'sts', outage: true } }], act: pod('a', 'IfNotPresent', { serviceAccount: 'puller' }),
    },
    ...(['IfNotPresent', 'Never'] as const).map((pullPolicy): ScenarioSpec => ({
      id: `sts-down/expired/${pullPolicy}`, name: `With the STS down after cacheDuration ended, a ${pullPolicy} pod of the same service account cannot prove its identity and is refused`,
      labels: { policy: 'NeverVerifyPreloadedImages', pullPolicy, credential: 'STS down, cache expired' },
      world: world(), kubelet: settings(provider({ cacheDurationSeconds: 10 })), exclusive: true,
      setup: [prime, { waitSeconds: 12 }, { fault: { target: 'sts', outage: true } }], act: pod('a', pullPolicy, { serviceAccount: 'puller' }),
    })),
  ],
});
