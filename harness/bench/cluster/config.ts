// What the bench asks of a kubelet version: which arms can apply to it (and why not), and each arm's
// kubelet configuration as the engine's settings (gate, policy, the service-account provider). Pure:
// `pullproof bench latency --plan` and the tests use it without a cluster.
import type { Arm, KubeletNeeds } from '../arms.ts';
import type { KubeletSettingsSpec, ProviderSpec } from '../../engine/spec.ts';
import { PROVIDER_AUDIENCE } from '../../engine/providers.ts';
import { ENSURE_SECRET_PULLED_IMAGES, SA_TOKEN_FOR_CREDENTIAL_PROVIDERS, factsOf } from '../../oracle/versions.ts';

/** The kubelet's verbosity on the bench worker: -v=3 logs the markers the in-node timing needs. */
export const BENCH_VERBOSITY = ['--v=3'];

/** How long the provider's answer is cached: longer than any bench run, so sa-hit never expires. */
export const PROVIDER_CACHE_SECONDS = 3600;

export type Applicability = { applicable: true } | { applicable: false; reason: string };

/** Whether an arm can run on a kubelet version, with the reason when it cannot. */
export function armApplicability(arm: Arm, version: string): Applicability {
  const f = factsOf(version);
  if (!f) return { applicable: false, reason: `pullproof does not model kubelet ${version}` };
  if (arm.kubelet.ensureSecretPulledImages && !f.ensureSecretPulledImages) {
    return { applicable: false, reason: `the ${version} kubelet has no ${ENSURE_SECRET_PULLED_IMAGES} feature (it exists from 1.33)` };
  }
  const sa = arm.kubelet.serviceAccountProvider;
  if (sa) {
    if (!f.saTokenForCredentialProviders) return { applicable: false, reason: `the ${version} kubelet has no ${SA_TOKEN_FOR_CREDENTIAL_PROVIDERS} feature (it exists from 1.33)` };
    if (!f.cacheTypeRequired) return { applicable: false, reason: `the ${version} kubelet has no tokenAttributes.cacheType (from 1.34), so cacheType ${sa.cacheType} cannot be configured` };
  }
  return { applicable: true };
}

/** The provider the service-account arms configure: the reference plugin for the provider/ path only. */
export function benchProvider(cacheType: 'ServiceAccount' | 'Token'): ProviderSpec {
  return {
    matchRepository: 'provider',
    cacheDurationSeconds: PROVIDER_CACHE_SECONDS,
    serviceAccount: { audience: PROVIDER_AUDIENCE, cacheType, requireServiceAccount: true },
  };
}

/**
 * An arm configuration as the engine's kubelet settings. The gate is set explicitly both ways (on
 * 1.33 and 1.34 it is alpha and off by default); the policy only with the gate on (a kubelet refuses
 * the policy without the gate).
 */
export function kubeletSettings(k: KubeletNeeds): KubeletSettingsSpec {
  const out: KubeletSettingsSpec = { ensureSecretPulledImages: k.ensureSecretPulledImages };
  if (k.ensureSecretPulledImages) out.policy = k.verificationPolicy ?? 'NeverVerifyPreloadedImages';
  if (k.serviceAccountProvider) {
    out.serviceAccountTokens = true;
    out.provider = benchProvider(k.serviceAccountProvider.cacheType);
  }
  return out;
}

/**
 * The configuration every arm's image is seeded (first pulled) in: the gate on, so the pulled records
 * name the seeding credentials, with the provider when an arm needs it; the gate off when no arm runs
 * with it on (a kubelet without the feature).
 */
export function seedingNeeds(arms: readonly Arm[]): KubeletNeeds {
  if (!arms.some((a) => a.kubelet.ensureSecretPulledImages)) return { ensureSecretPulledImages: false };
  const sa = arms.find((a) => a.kubelet.serviceAccountProvider)?.kubelet.serviceAccountProvider;
  return { ensureSecretPulledImages: true, verificationPolicy: 'NeverVerifyPreloadedImages', ...(sa ? { serviceAccountProvider: sa } : {}) };
}
