// The Kubernetes minor versions whose credential-provider behaviour pullproof models, and what
// differs between them (kubelet-features.md B1/B2).
import { UsageError } from '../errors.ts';

export const KUBERNETES_VERSIONS = ['1.32', '1.33', '1.34', '1.35', '1.36'] as const;
export type KubernetesVersion = (typeof KUBERNETES_VERSIONS)[number];

export interface VersionTraits {
  /** `tokenAttributes` exists in CredentialProviderConfig v1 (1.33+). */
  tokenAttributesField: boolean;
  /** `tokenAttributes.cacheType` exists and is required (1.34+). */
  cacheTypeField: boolean;
  /** Default of the KubeletServiceAccountTokenForCredentialProviders gate (undefined: the gate does not exist). */
  gateDefault?: boolean;
  /** The token-echo rule (password == SA token refused unless cacheType Token) exists (1.34+, with cacheType). */
  echoRule: boolean;
  /** --image-credential-provider-config may be a directory (1.34+). */
  configDirectory: boolean;
}

export function traitsOf(v: KubernetesVersion): VersionTraits {
  const minor = Number(v.split('.')[1]);
  return {
    tokenAttributesField: minor >= 33,
    cacheTypeField: minor >= 34,
    gateDefault: minor < 33 ? undefined : minor >= 34,
    echoRule: minor >= 34,
    configDirectory: minor >= 34,
  };
}

/** Accepts "1.34", "v1.34" and "v1.34.2" (the patch is ignored). */
export function parseKubernetesVersion(text: string, field = '--kubernetes'): KubernetesVersion {
  const m = /^v?(\d+)\.(\d+)(?:\.\d+)?$/.exec(text.trim());
  const v = m ? `${m[1]}.${m[2]}` : '';
  if (!(KUBERNETES_VERSIONS as readonly string[]).includes(v)) {
    throw new UsageError(field, `"${text}" is not a Kubernetes version pullproof can judge`, `use one of ${KUBERNETES_VERSIONS.map((x) => `v${x}`).join(', ')}`);
  }
  return v as KubernetesVersion;
}
