// A vendor's credential provider plugin in a cluster (certify --in-cluster): the plugin binary and its
// provider entry as the vendor wrote them, run by real kubelets in place of pullproof's reference
// plugin, against a backend pullproof emulates on the run network. Only backends pullproof emulates can
// be certified in a cluster: today AWS (STS AssumeRoleWithWebIdentity + ECR GetAuthorizationToken, the
// protocol of ecr-credential-provider), recognised by matchImages that cover an ECR registry host. The
// vendor's entry is installed as written, with the endpoint overrides, CA bundle, region and IMDS off
// added to its env (the only change), and the exact config each kubelet read is kept for the report.
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { stringify } from 'yaml';
import { UsageError } from '../errors.ts';
import type { CredentialProvider, CredentialProviderConfig } from '../credprovider/types.ts';
import { exampleImage } from '../certify/example-image.ts';
import { parseEcrHost } from '../identity/aws/names.ts';
import type { AwsStack } from '../identity/aws/stack.ts';
import type { ProviderSpec } from './spec.ts';

/** A vendor's plugin as installed in a run's cluster: its backend emulation and the config each kubelet read. */
export interface VendorRuntime {
  plugin: VendorPlugin;
  aws: AwsStack;
  /** The exact CredentialProviderConfig written for each kubelet version. */
  configs: Map<string, string>;
}

export interface VendorPlugin {
  /** The provider's name, which is the plugin's file name in the kubelet's bin dir. */
  name: string;
  /** The plugin on this host. */
  binary: string;
  sha256: string;
  /** The provider entry as the vendor wrote it. */
  provider: CredentialProvider;
  /** Where the config came from (for the report). */
  source: string;
  /** The cloud registry host the scenarios' images are named under (derived from matchImages). */
  host: string;
  backend: 'aws';
}

/**
 * Checks that a plugin and its provider entry can be certified in a cluster (a backend pullproof emulates,
 * service-account mode, the file named like its provider); returns the registry host the images use.
 */
export function checkVendorPlugin(binary: string, provider: CredentialProvider): string {
  const image = exampleImage(provider.matchImages);
  const host = image?.split('/')[0];
  // exampleImage returns an image one of the patterns matches as the kubelet matches them.
  if (!host || !parseEcrHost(host)) {
    throw new UsageError('--in-cluster', `the provider's matchImages (${provider.matchImages.join(', ')}) name no registry whose backend pullproof emulates`,
      'certify --in-cluster runs plugins against pullproof\'s AWS emulation (STS and ECR): matchImages must cover an ECR host such as *.dkr.ecr.*.amazonaws.com; certify without --in-cluster judges any plugin at protocol level');
  }
  if (!provider.tokenAttributes) {
    throw new UsageError('--in-cluster', `provider ${provider.name} has no tokenAttributes`, 'the cluster scenarios certify service-account mode (KEP-4412): give the provider tokenAttributes (serviceAccountTokenAudience, cacheType, requireServiceAccount)');
  }
  if (!statSync(binary, { throwIfNoEntry: false })?.isFile()) throw new UsageError('--plugin', `${binary} is not a file`, 'pass the plugin executable');
  if (basename(binary) !== provider.name) {
    throw new UsageError('--plugin', `the plugin file is named ${basename(binary)} but its provider is ${provider.name}`, 'the kubelet runs <bin-dir>/<provider name>: name the file like the provider');
  }
  return host;
}

/** The vendor's plugin for a cluster run; `sha256` is the one certify already computed for its report. */
export function vendorPlugin(binary: string, provider: CredentialProvider, source: string, sha256: string): VendorPlugin {
  return { name: provider.name, binary, sha256, provider, source, host: checkVendorPlugin(binary, provider), backend: 'aws' };
}

/** The scenarios' provider spec, copied from the vendor's tokenAttributes (so the oracle predicts with them). */
export function vendorProviderSpec(v: VendorPlugin): ProviderSpec {
  const t = v.provider.tokenAttributes;
  return {
    vendor: true,
    matchRepository: 'provider',
    // The response's cacheDuration (ecr-credential-provider: half the ECR token's life) or the default; both outlast a scenario.
    cacheDurationSeconds: 3600,
    serviceAccount: t ? {
      audience: t.serviceAccountTokenAudience, cacheType: t.cacheType === 'Token' || t.cacheType === 'ServiceAccount' ? t.cacheType : undefined, requireServiceAccount: t.requireServiceAccount ?? true,
      requiredAnnotations: t.requiredServiceAccountAnnotationKeys, optionalAnnotations: t.optionalServiceAccountAnnotationKeys,
    } : undefined,
  };
}

/** The config a kubelet reads: the vendor's entry, its env extended with the emulation's endpoints. */
export function vendorConfig(v: VendorPlugin, env: Record<string, string>): string {
  const provider: CredentialProvider = { ...v.provider, env: [...(v.provider.env ?? []).filter((e) => !(e.name in env)), ...Object.entries(env).map(([name, value]) => ({ name, value }))] };
  const config: CredentialProviderConfig = { apiVersion: 'kubelet.config.k8s.io/v1', kind: 'CredentialProviderConfig', providers: [provider] };
  return stringify(config);
}
