// AWS's ecr-credential-provider in a kind node, against pullproof's AWS emulation, with no cloud:
//
// - Images named <account>.dkr.ecr.<region>.amazonaws.com/<repo>:tag reach the harness registry
//   through a certs.d entry of their own for that host, in every node, next to the mirror entries:
//   `server` is the harness registry with override_path and the prefix ecr/<host>, which only the
//   registry users the ECR emulation issues may read (the `_default` mirror's mirror/* prefix is
//   anonymously readable and would let a pull pass with no credentials at all).
// - containerd passes the credentials the kubelet got for the ECR host on to that `server`: the
//   kubelet sends them without a ServerAddress (pkg/credentialprovider/keyring.go Add never sets it),
//   and containerd's CRI ParseAuth hands credentials to any host the resolver asks for when
//   ServerAddress is empty (internal/cri/server/images/image_pull.go); the harness registry's token
//   realm accepts them (the token service tells ECR's shared user name "AWS" apart by password).
// - The plugin binary, its config (fixtures/aws/ecr-credential-provider-config.yaml plus the run's
//   endpoint overrides, CA bundle and region) and the kubelet flags, through installCredentialProvider.
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { GoModuleBuild } from '../build/cloud-plugins.ts';
import type { CredentialProviderConfig } from '../credprovider/types.ts';
import type { AwsStack } from '../identity/aws/stack.ts';
import { ecrRepositoryPrefix, parseEcrHost } from '../identity/aws/names.ts';
import type { BuiltImage } from '../image/oci.ts';
import type { KindNode } from '../node/kind-node.ts';
import type { RegistryStack } from '../registry/stack.ts';
import { PROJECT_ROOT } from '../util/paths.ts';
import { CREDPROV_DIR, installCredentialProvider } from './credential-provider.ts';
import type { Kube } from './kube.ts';
import { CERTS_DIR, hostsToml, NODE_CA_PATH } from './mirror.ts';

export const ECR_PROVIDER_CONFIG_FILE = join(PROJECT_ROOT, 'fixtures', 'aws', 'ecr-credential-provider-config.yaml');
/** The run's CA in the node, for the plugin's AWS_CA_BUNDLE. */
export const NODE_AWS_CA_PATH = `${CREDPROV_DIR}/aws-ca.crt`;

function checkedHost(host: string): string {
  if (!parseEcrHost(host)) throw new Error(`${host} is not an ECR registry host (<12-digit account>.dkr.ecr.<region>.amazonaws.com)`);
  return host;
}

/** certs.d files that send each ECR host to its prefix of the harness registry: path -> content. */
export function ecrHostsFiles(stack: RegistryStack, hosts: string[]): Map<string, string> {
  const files = new Map<string, string>();
  for (const host of hosts.map(checkedHost)) {
    files.set(`${CERTS_DIR}/${host}/hosts.toml`, hostsToml(`${stack.endpoint}/v2/${ecrRepositoryPrefix(host)}`, { overridePath: true, ca: NODE_CA_PATH }));
  }
  return files;
}

/** Writes the ECR host entries into a node (containerd reads hosts.toml on every pull: no restart). */
export async function configureEcrMirror(node: KindNode, stack: RegistryStack, hosts: string[]): Promise<void> {
  for (const [path, content] of ecrHostsFiles(stack, hosts)) await node.writeFile(path, content, '0644');
}

/** The provider config pullproof ships for ecr-credential-provider, with the run's environment added. */
export function ecrProviderConfig(env: Record<string, string>, file = ECR_PROVIDER_CONFIG_FILE): CredentialProviderConfig {
  const config = parse(readFileSync(file, 'utf8')) as CredentialProviderConfig;
  for (const p of config.providers) p.env = Object.entries(env).map(([name, value]) => ({ name, value }));
  return config;
}

export interface EcrInstall {
  plugin: GoModuleBuild;
  aws: AwsStack;
  stack: RegistryStack;
  /** Host folder for the bin-dir copy (the run's work folder). */
  workDir: string;
  saTokenGate?: boolean;
}

/** Installs ecr-credential-provider on one node's kubelet (restarts it); returns seconds to Ready. */
export async function installEcrProvider(node: KindNode, kubeletVersion: string, o: EcrInstall): Promise<number> {
  const binDir = join(o.workDir, 'ecr-credential-provider-bin');
  mkdirSync(binDir, { recursive: true });
  copyFileSync(o.plugin.path, join(binDir, o.plugin.name));
  const config = ecrProviderConfig(o.aws.pluginEnv({ caFile: NODE_AWS_CA_PATH }));
  return installCredentialProvider(node, kubeletVersion, {
    config, binDir, files: { [NODE_AWS_CA_PATH]: o.stack.ca.certPem }, saTokenGate: o.saTokenGate ?? true,
  }, `${node.name} ecr-credential-provider`);
}

/** A service account with annotations (e.g. eks.amazonaws.com/ecr-role-arn); returns its uid. */
export async function createServiceAccount(kube: Kube, namespace: string, name: string, annotations: Record<string, string>): Promise<string> {
  const sa = await kube.core.createNamespacedServiceAccount({ namespace, body: { metadata: { name, annotations, labels: { 'io.pullproof': '1' } } } });
  return sa.metadata?.uid ?? '';
}

/** Pushes an image to an ECR host's prefix of the harness registry; returns the reference a pod uses. */
export async function pushEcrImage(stack: RegistryStack, host: string, repository: string, tag: string, image: BuiltImage): Promise<string> {
  const admin = stack.client(stack.admin);
  try {
    await admin.push(`${ecrRepositoryPrefix(checkedHost(host))}/${repository}`, tag, image);
  } finally {
    admin.close();
  }
  return `${host}/${repository}:${tag}`;
}
