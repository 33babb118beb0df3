// The kubelet's credential provider API as the harness speaks it: the exec protocol
// (credentialprovider.kubelet.k8s.io) and the provider configuration (kubelet.config.k8s.io
// CredentialProviderConfig). Field names and optionality follow k8s.io/kubelet v0.35.
export const PROVIDER_GROUP = 'credentialprovider.kubelet.k8s.io';
export const PROVIDER_API_VERSIONS = [
  'credentialprovider.kubelet.k8s.io/v1alpha1',
  'credentialprovider.kubelet.k8s.io/v1beta1',
  'credentialprovider.kubelet.k8s.io/v1',
] as const;
export const PROVIDER_V1 = 'credentialprovider.kubelet.k8s.io/v1';

export const CONFIG_GROUP = 'kubelet.config.k8s.io';
export const CONFIG_API_VERSIONS = ['kubelet.config.k8s.io/v1alpha1', 'kubelet.config.k8s.io/v1beta1', 'kubelet.config.k8s.io/v1'] as const;
export const CONFIG_V1 = 'kubelet.config.k8s.io/v1';

export const CACHE_KEY_TYPES = ['Image', 'Registry', 'Global'] as const;
export type CacheKeyType = (typeof CACHE_KEY_TYPES)[number];
export const TOKEN_CACHE_TYPES = ['ServiceAccount', 'Token'] as const;

/** The feature gate of KEP-4412 (the name in the v1.33 blog post does not exist). */
export const SA_TOKEN_GATE = 'KubeletServiceAccountTokenForCredentialProviders';

export interface CredentialProviderRequest {
  kind: 'CredentialProviderRequest';
  apiVersion: string;
  /** Repository without tag or digest, e.g. registry.example/org/app. */
  image: string;
  serviceAccountToken?: string;
  serviceAccountAnnotations?: Record<string, string>;
}

export interface AuthConfig {
  username: string;
  password: string;
}

export interface CredentialProviderResponse {
  kind: string;
  apiVersion: string;
  cacheKeyType: string;
  /** A Go duration string (metav1.Duration), e.g. "10m0s". */
  cacheDuration?: string | null;
  auth?: Record<string, AuthConfig> | null;
}

export interface TokenAttributes {
  serviceAccountTokenAudience: string;
  /** Required from 1.34; an unknown field before. */
  cacheType?: string;
  requireServiceAccount?: boolean;
  requiredServiceAccountAnnotationKeys?: string[];
  optionalServiceAccountAnnotationKeys?: string[];
}

export interface ExecEnvVar {
  name: string;
  value: string;
}

export interface CredentialProvider {
  name: string;
  matchImages: string[];
  defaultCacheDuration?: string;
  apiVersion: string;
  args?: string[];
  env?: ExecEnvVar[];
  tokenAttributes?: TokenAttributes;
}

export interface CredentialProviderConfig {
  kind: 'CredentialProviderConfig';
  apiVersion: string;
  providers: CredentialProvider[];
}
