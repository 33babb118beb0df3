// vendor-plugin (certify --in-cluster): a vendor's credential provider plugin, with the provider entry
// the vendor wrote, run by real kubelets against the backend pullproof emulates for it (AWS STS + ECR),
// in place of the reference plugin. The scenarios are those of service-account-tokens and
// ensure-secret-pulled that a vendor's plugin decides: its own pull, the kubelet's cache of its answer
// (cacheType from the vendor's config), another allowed identity re-verifying, a denied identity neither
// pulling nor reusing the image (the negative control: the backend refusing), a recreated service
// account, a service account without the annotations the config requires, and AlwaysVerify. Built from
// the vendor's config at run time (not in `pullproof suites`); every expectation is the oracle's, from
// the vendor's tokenAttributes. Images are named under the vendor's registry host (an ECR host), which
// reaches the harness registry only through a certs.d entry whose prefix needs the credentials the
// plugin obtained. Each service account that should be allowed gets an IAM role of its own that trusts
// it ("{role}"); the denied one names a role that does not trust it.
import { defineSuite, type KubeletSettingsSpec, type ScenarioSpec, type SuiteDefinition, type WorldSpec } from '../harness/engine/spec.ts';
import { vendorProviderSpec, type VendorPlugin } from '../harness/engine/vendor.ts';
import { ECR_ROLE_ANNOTATION } from '../harness/identity/aws/names.ts';
import { pod } from './lib.ts';

export const VENDOR_SUITE = 'vendor-plugin';

export function vendorSuite(v: VendorPlugin): SuiteDefinition {
  const spec = vendorProviderSpec(v);
  const required = spec.serviceAccount?.requiredAnnotations ?? [];
  const optional = spec.serviceAccount?.optionalAnnotations ?? [];
  // Every annotation the config names, the backend's role annotation standing for the service account's own role.
  const annotations: Record<string, string> = { [ECR_ROLE_ANNOTATION]: '{role}' };
  for (const k of [...required, ...optional]) annotations[k] ??= 'pullproof';
  const world = (): WorldSpec => ({
    images: { img: { repository: 'provider', host: v.host } },
    namespaces: ['a', 'b'],
    serviceAccounts: {
      puller: { namespace: 'a', annotations, stsPulls: ['img'] },
      other: { namespace: 'b', annotations, stsPulls: ['img'] },
      denied: { namespace: 'b', annotations, stsPulls: [] },
      ...(required.length ? { unannotated: { namespace: 'b', stsPulls: ['img'] } } : {}),
    },
  });
  const settings = (policy?: string): KubeletSettingsSpec => ({ ensureSecretPulledImages: true, serviceAccountTokens: true, provider: spec, ...(policy ? { policy } : {}) });
  const prime = { pod: pod('a', 'IfNotPresent', { serviceAccount: 'puller' }) };
  const labels = (policy: string, pullPolicy: string, credential: string): Record<string, string> => ({ policy, pullPolicy, credential, plugin: v.name });
  const P = 'NeverVerifyPreloadedImages';
  const scenarios: ScenarioSpec[] = [
    {
      id: 'pull', name: `A pod whose service account the backend trusts pulls a private image with the credentials ${v.name} obtained, and the record names the service account`,
      labels: labels(P, 'IfNotPresent', 'trusted service account'), world: world(), kubelet: settings(), act: pod('a', 'IfNotPresent', { serviceAccount: 'puller' }),
    },
    ...(['IfNotPresent', 'Never'] as const).map((pullPolicy): ScenarioSpec => ({
      id: `same-sa/${pullPolicy}`, name: `A second ${pullPolicy} pod of the same service account starts the image from the node cache (cacheType ${spec.serviceAccount?.cacheType ?? 'unset'} decides whether ${v.name} runs again)`,
      labels: labels(P, pullPolicy, 'same service account'), world: world(), kubelet: settings(), setup: [prime], act: pod('a', pullPolicy, { serviceAccount: 'puller' }),
    })),
    {
      id: 'other-sa/allowed', name: `A pod of another trusted service account must re-verify the image at the registry with the credentials ${v.name} obtains for it`,
      labels: labels(P, 'IfNotPresent', 'other trusted service account'), world: world(), kubelet: settings(), setup: [prime], act: pod('b', 'IfNotPresent', { serviceAccount: 'other' }),
    },
    ...(['IfNotPresent', 'Never'] as const).map((pullPolicy): ScenarioSpec => ({
      id: `other-sa/denied/${pullPolicy}`, name: `A ${pullPolicy} pod of a service account the backend refuses cannot pull or reuse the image a trusted one pulled (negative control)`,
      labels: labels(P, pullPolicy, 'refused service account'), world: world(), kubelet: settings(), setup: [prime], act: pod('b', pullPolicy, { serviceAccount: 'denied' }),
    })),
    {
      id: 'recreated-sa', name: 'Deleting and recreating the service account (new uid) makes the next pod re-verify the image',
      labels: labels(P, 'IfNotPresent', 'recreated service account'), world: world(), kubelet: settings(), setup: [prime, { recreateServiceAccount: 'puller' }], act: pod('a', 'IfNotPresent', { serviceAccount: 'puller' }),
    },
    ...(required.length ? [{
      id: 'missing-required-annotation', name: `A pod whose service account lacks the annotation(s) the config requires (${required.join(', ')}) gets no credentials: ${v.name} is not called`,
      labels: labels(P, 'IfNotPresent', 'service account without the required annotations'), world: world(), kubelet: settings(), act: pod('b', 'IfNotPresent', { serviceAccount: 'unannotated' }),
    } satisfies ScenarioSpec] : []),
    {
      id: 'AlwaysVerify/same-sa', name: 'Under AlwaysVerify a second pod of the same service account re-verifies the cached image',
      labels: labels('AlwaysVerify', 'IfNotPresent', 'same service account'), world: world(), kubelet: settings('AlwaysVerify'), setup: [prime], act: pod('a', 'IfNotPresent', { serviceAccount: 'puller' }),
    },
    {
      id: 'AlwaysVerify/other-sa/denied/Never', name: 'Under AlwaysVerify a Never pod of a refused service account cannot start the cached image',
      labels: labels('AlwaysVerify', 'Never', 'refused service account'), world: world(), kubelet: settings('AlwaysVerify'), setup: [prime], act: pod('b', 'Never', { serviceAccount: 'denied' }),
    },
  ];
  return defineSuite({
    name: VENDOR_SUITE,
    title: `${v.name} in a cluster: service-account credentials and their records`,
    description: `The vendor's plugin ${v.name} (sha256 ${v.sha256.slice(0, 12)}) with its own provider entry, against pullproof's AWS emulation.`,
    scenarios: () => scenarios,
  });
}
