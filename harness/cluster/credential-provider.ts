// Credential providers in a node: the CredentialProviderConfig (validated for that node's kubelet
// version before it is written), the plugin bin-dir, the kubelet flags that point at both, and (for
// service-account mode) the API server's audience RBAC, without which the Node authorizer refuses the
// kubelet's TokenRequest and the plugin never runs.
import { stringify } from 'yaml';
import { run } from '../util/exec.ts';
import type { KindNode } from '../node/kind-node.ts';
import { issuesToUsageError, validateConfig } from '../credprovider/config.ts';
import type { CredentialProviderConfig } from '../credprovider/types.ts';
import { parseKubernetesVersion } from '../credprovider/versions.ts';

export const CREDPROV_DIR = '/etc/kubernetes/credprov';
export const CREDPROV_CONFIG = `${CREDPROV_DIR}/config.yaml`;
export const CREDPROV_BIN = `${CREDPROV_DIR}/bin`;
const DEFAULTS_FILE = '/etc/default/kubelet';
const FLAGS = `--image-credential-provider-config=${CREDPROV_CONFIG} --image-credential-provider-bin-dir=${CREDPROV_BIN}`;

export interface CredentialProviderInstall {
  config: CredentialProviderConfig;
  /** Host folder used as the kubelet's bin-dir (e.g. a packaged reference plugin). */
  binDir: string;
  /** Extra files for the node, e.g. the run's CA for the plugin's STS calls: path -> content. */
  files?: Record<string, string>;
  /** Gate state on that node, for validation. */
  saTokenGate: boolean;
}

/** Installs the provider on one node and restarts its kubelet; returns seconds to Ready. */
export async function installCredentialProvider(node: KindNode, kubeletVersion: string, o: CredentialProviderInstall, field: string): Promise<number> {
  const version = parseKubernetesVersion(kubeletVersion, field);
  const issues = validateConfig(o.config, { version, saTokenGate: o.saTokenGate });
  if (issues.length) throw issuesToUsageError(field, issues, version);
  await node.exec(['sh', '-c', `rm -rf ${CREDPROV_BIN} && mkdir -p ${CREDPROV_DIR}`]);
  await run(['docker', 'cp', `${o.binDir}/.`, `${node.name}:${CREDPROV_BIN}`], { timeoutMs: 300_000 });
  await node.writeFile(CREDPROV_CONFIG, stringify(o.config), '0644');
  for (const [path, content] of Object.entries(o.files ?? {})) await node.writeFile(path, content, '0644');
  const current = await node.exec(['cat', DEFAULTS_FILE], { allowFailure: true });
  const line = /^KUBELET_EXTRA_ARGS=(.*)$/m.exec(current.stdout)?.[1] ?? '';
  if (!line.includes('--image-credential-provider-config')) {
    await node.writeFile(DEFAULTS_FILE, `KUBELET_EXTRA_ARGS=${[line, FLAGS].filter(Boolean).join(' ')}\n`, '0644');
  }
  return node.restartKubelet();
}

/** The RBAC that lets kubelets (group system:nodes) request service-account tokens for an audience. */
export function audienceRbac(audience: string, serviceAccounts?: string[]): string {
  const name = `pullproof-credential-provider-audience-${audience.replace(/[^a-z0-9-]/gi, '-').toLowerCase()}`.slice(0, 63);
  return [
    stringify({
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name },
      rules: [{ verbs: ['request-serviceaccounts-token-audience'], apiGroups: [''], resources: [audience], ...(serviceAccounts ? { resourceNames: serviceAccounts } : {}) }],
    }),
    stringify({
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:nodes' }],
    }),
  ].join('---\n');
}

export async function grantAudience(controlPlane: KindNode, audience: string, serviceAccounts?: string[]): Promise<void> {
  await controlPlane.kubectl(['apply', '-f', '-'], { input: audienceRbac(audience, serviceAccounts) });
}
