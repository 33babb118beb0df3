// Credential providers for windows that configure one (KEP-4412): the cluster's STS (the API server's
// service-account keys as its JWKS, on the run network), the reference plugin installed once into every
// worker's bin-dir, and per window the CredentialProviderConfig, the kubelet flags pointing at it and
// the audience RBAC. The plugin's matchImages cover only the harness registry's provider/ path, so
// scenarios that use pull secrets never reach it.
import { stringify } from 'yaml';
import type { KubeConfig } from '@kubernetes/client-node';
import { grantAudience, CREDPROV_BIN, CREDPROV_CONFIG, CREDPROV_DIR } from '../cluster/credential-provider.ts';
import type { Cluster } from '../cluster/provider.ts';
import { packagePlugin, type PackagedPlugin } from '../credprovider/plugin/package.ts';
import { PLUGIN_NAME } from '../credprovider/plugin/main.ts';
import { apiServerJwks } from '../identity/jwks.ts';
import { DEFAULT_STS_AUDIENCE, StsStack } from '../identity/stack.ts';
import type { RegistryStack } from '../registry/stack.ts';
import type { RunContext } from '../run/context.ts';
import { run } from '../util/exec.ts';
import { factsOf } from '../oracle/versions.ts';
import type { PlannedScenario } from './plan.ts';
import type { ProviderSpec } from './spec.ts';
import type { Worker } from './worker.ts';
import { vendorConfig, type VendorPlugin, type VendorRuntime } from './vendor.ts';
import { configureEcrMirror, NODE_AWS_CA_PATH } from '../cluster/ecr.ts';
import { parseEcrHost } from '../identity/aws/names.ts';

export const STS_CA_ON_NODE = `${CREDPROV_DIR}/sts-ca.crt`;
export const PROVIDER_AUDIENCE = DEFAULT_STS_AUDIENCE;

/** Whether any planned scenario configures a credential provider. */
export function needsProviders(scenarios: readonly PlannedScenario[]): boolean {
  return scenarios.some((s) => s.status === 'planned' && (s.spec.kubelet.provider || (s.spec.setup ?? []).some((st) => 'kubelet' in st && st.kubelet.provider)));
}

async function issuerOf(kc: KubeConfig): Promise<string> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  const https = await import('node:https');
  const opts: import('node:https').RequestOptions = {};
  await kc.applyToHTTPSOptions(opts);
  const url = `${cluster.server.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const body = await new Promise<string>((resolve, reject) => {
    const req = https.get(url, opts, (res) => {
      let data = '';
      res.on('data', (c: Buffer) => { data += c.toString(); });
      res.on('end', () => resolve(data));
    });
    req.on('error', reject);
  });
  const issuer = (JSON.parse(body) as { issuer?: string }).issuer;
  if (!issuer) throw new Error(`${url} has no issuer`);
  return issuer;
}

export interface ClusterProviders {
  sts: StsStack;
  plugin: PackagedPlugin;
  /** The vendor's plugin under certification (certify --in-cluster), with its backend emulation. */
  vendor?: VendorRuntime;
}

/**
 * Starts the cluster's STS and installs the reference plugin into every worker (once per run); with a
 * vendor's plugin, also its backend emulation (AWS STS + ECR), the plugin next to the reference one and
 * the certs.d entry that sends its registry host to the harness registry's prefix for that host.
 */
export async function prepareProviders(ctx: RunContext, registry: RegistryStack, cluster: Cluster, workers: Worker[], vendorPlugin?: VendorPlugin): Promise<ClusterProviders> {
  if (!ctx.network) throw new Error('the run network must exist first');
  const issuer = await issuerOf(cluster.kube.config);
  const sts = await StsStack.start({
    ca: registry.ca, log: registry.log, tokens: registry.tokens,
    jwks: apiServerJwks(cluster.kube.config), issuer,
    audience: PROVIDER_AUDIENCE, listenHost: ctx.network.gateway, credentialTtlSeconds: 3600,
  }, (name, fn) => ctx.cleanup.defer(`${name} (${cluster.name})`, fn));
  const plugin = await packagePlugin();
  let vendor: VendorRuntime | undefined;
  if (vendorPlugin) {
    const { AwsStack } = await import('../identity/aws/stack.ts');
    const aws = await AwsStack.start({
      ca: registry.ca, log: registry.log, tokens: registry.tokens, jwks: apiServerJwks(cluster.kube.config), issuer,
      audience: vendorPlugin.provider.tokenAttributes?.serviceAccountTokenAudience, listenHost: ctx.network.gateway, stsPort: 0, ecrPort: 0,
    }, (name, fn) => ctx.cleanup.defer(`${name} (${cluster.name})`, fn));
    vendor = { plugin: vendorPlugin, aws, configs: new Map() };
    for (const node of [cluster.controlPlane, ...cluster.workers]) await configureEcrMirror(node, registry, [vendorPlugin.host]);
  }
  for (const w of workers) {
    await w.node.exec(['sh', '-c', `rm -rf ${CREDPROV_BIN} && mkdir -p ${CREDPROV_BIN}`]);
    await run(['docker', 'cp', `${plugin.dir}/.`, `${w.name}:${CREDPROV_BIN}`], { timeoutMs: 300_000 });
    await w.node.writeFile(STS_CA_ON_NODE, registry.ca.certPem, '0644');
    if (vendorPlugin) {
      await run(['docker', 'cp', vendorPlugin.binary, `${w.name}:${CREDPROV_BIN}/${vendorPlugin.name}`], { timeoutMs: 300_000 });
      await w.node.exec(['chmod', '0755', `${CREDPROV_BIN}/${vendorPlugin.name}`]);
      await w.node.writeFile(NODE_AWS_CA_PATH, registry.ca.certPem, '0644');
    }
  }
  return { sts, plugin, vendor };
}

/** The CredentialProviderConfig for a window's provider, as this kubelet version accepts it. */
export function providerConfig(spec: ProviderSpec, o: { kubelet: string; registryHost: string; stsUrl: string }): string {
  const facts = factsOf(o.kubelet);
  const sa = spec.serviceAccount;
  const duration = `${spec.cacheDurationSeconds}s`;
  const provider: Record<string, unknown> = {
    name: PLUGIN_NAME,
    matchImages: [`${o.registryHost}/${spec.matchRepository}/`],
    defaultCacheDuration: duration,
    apiVersion: 'credentialprovider.kubelet.k8s.io/v1',
    args: [sa ? '--mode=serviceaccount' : '--mode=static', `--registry=${o.registryHost}`, ...(sa ? [`--sts-url=${o.stsUrl}`, `--sts-ca=${STS_CA_ON_NODE}`] : []), `--cache-duration=${duration}`],
  };
  if (sa) {
    provider.tokenAttributes = {
      serviceAccountTokenAudience: sa.audience,
      requireServiceAccount: sa.requireServiceAccount ?? true,
      ...(sa.requiredAnnotations?.length ? { requiredServiceAccountAnnotationKeys: sa.requiredAnnotations } : {}),
      ...(sa.optionalAnnotations?.length ? { optionalServiceAccountAnnotationKeys: sa.optionalAnnotations } : {}),
      ...(facts?.cacheTypeRequired && sa.cacheType ? { cacheType: sa.cacheType } : {}),
    };
  }
  return stringify({ apiVersion: 'kubelet.config.k8s.io/v1', kind: 'CredentialProviderConfig', providers: [provider] });
}

/** Writes a window's provider config, grants its audience if asked, and returns the kubelet flags. */
export async function configureProvider(worker: Worker, controlPlane: Cluster['controlPlane'], spec: ProviderSpec, o: { kubelet: string; registryHost: string; sts: StsStack; vendor?: VendorRuntime }): Promise<string[]> {
  if (spec.vendor && !o.vendor) throw new Error('a window configures the vendor\'s plugin but the run has none (certify --in-cluster)');
  const text = spec.vendor && o.vendor
    ? vendorConfig(o.vendor.plugin, o.vendor.aws.pluginEnv({ caFile: NODE_AWS_CA_PATH, region: parseEcrHost(o.vendor.plugin.host)?.region }))
    : providerConfig(spec, { kubelet: o.kubelet, registryHost: o.registryHost, stsUrl: o.sts.tokenUrl });
  if (spec.vendor) o.vendor?.configs.set(o.kubelet, text);
  await worker.node.writeFile(CREDPROV_CONFIG, text, '0644');
  if (spec.serviceAccount && spec.audienceRbac !== false) await grantAudience(controlPlane, spec.serviceAccount.audience);
  return [`--image-credential-provider-config=${CREDPROV_CONFIG}`, `--image-credential-provider-bin-dir=${CREDPROV_BIN}`];
}
