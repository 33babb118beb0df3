// The Kubernetes minor versions whose credential-provider behaviour pullproof models, and what differs
// between them (docs/specification.md B1/B2). The facts come from the one version table
// (harness/oracle/versions.ts); this module only shapes them for the credential-provider rules.
import { UsageError } from '../errors.ts';
import { MINORS, factsOf, parseAnyVersion } from '../oracle/versions.ts';

export const KUBERNETES_VERSIONS: readonly string[] = MINORS.map((m) => `1.${m.minor}`);
/** "1.34": a minor version, as certify and the config rules judge by minor. */
export type KubernetesVersion = string;

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
  const f = factsOf(v);
  if (!f) throw new Error(`no facts for Kubernetes ${v}`);
  return {
    tokenAttributesField: f.tokenAttributes,
    cacheTypeField: f.cacheTypeRequired,
    gateDefault: f.saTokenForCredentialProviders?.defaultOn,
    echoRule: f.tokenEchoRule,
    configDirectory: f.credentialProviderConfigDirectory,
  };
}

/** Accepts "1.34", "v1.34" and "v1.34.2" (the patch is ignored). */
export function parseKubernetesVersion(text: string, field = '--kubernetes'): KubernetesVersion {
  const p = parseAnyVersion(text);
  const v = p && p.major === 1 && !p.suffix ? `1.${p.minor}` : '';
  if (!KUBERNETES_VERSIONS.includes(v)) {
    throw new UsageError(field, `"${text}" is not a Kubernetes version pullproof can judge`, `use one of ${KUBERNETES_VERSIONS.map((x) => `v${x}`).join(', ')}`);
  }
  return v;
}
