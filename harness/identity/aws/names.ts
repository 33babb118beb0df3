// AWS names the emulation and the node wiring share: ECR registry hosts, role ARNs, the service-account
// annotation ecr-credential-provider reads, and where an ECR registry's images live in the harness
// registry. The host pattern is the plugin's own (cmd/ecr-credential-provider/main.go, v1.37.1 line 51).

/** ecr-credential-provider's ecrPrivateHostPattern: account, optional -fips, region, domain. */
export const ECR_PRIVATE_HOST = /^(\d{12})\.dkr[.-]ecr(-fips)?\.([a-zA-Z0-9][a-zA-Z0-9-_]*)\.(amazonaws\.(?:com(?:\.cn)?|eu)|on\.(?:aws|amazonwebservices\.com\.cn)|sc2s\.sgov\.gov|c2s\.ic\.gov|cloud\.adc-e\.uk|csp\.hci\.ic\.gov)$/;

/** The annotation the plugin takes the role to assume from (SA mode). */
export const ECR_ROLE_ANNOTATION = 'eks.amazonaws.com/ecr-role-arn';
/** The RoleSessionName the plugin always sends. */
export const ECR_PLUGIN_SESSION_NAME = 'ecr-credential-provider';
/** The audience EKS's IAM OIDC providers expect (IRSA); the provider config asks the kubelet for it. */
export const AWS_STS_AUDIENCE = 'sts.amazonaws.com';

export interface EcrRegistry {
  account: string;
  region: string;
  host: string;
}

export function parseEcrHost(host: string): EcrRegistry | undefined {
  const m = ECR_PRIVATE_HOST.exec(host);
  if (!m?.[1] || !m[3]) return undefined;
  return { account: m[1], region: m[3], host };
}

export function ecrHost(account: string, region: string): string {
  return `${account}.dkr.ecr.${region}.amazonaws.com`;
}

/** Where an ECR registry's repositories live in the harness registry (never anonymously readable). */
export function ecrRepositoryPrefix(host: string): string {
  return `ecr/${host}`;
}

export interface RoleArn {
  partition: string;
  account: string;
  /** Role name without its path. */
  name: string;
}

export function parseRoleArn(arn: string): RoleArn | undefined {
  const m = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/.exec(arn);
  if (!m?.[1] || !m[2] || !m[3]) return undefined;
  return { partition: m[1], account: m[2], name: m[3] };
}
