// The bench's world on a cluster: per arm a namespace, a fixture image pushed under a repository of
// its own (private/bench/<arm>, or provider/bench/<arm> for the service-account arms, the path the
// reference plugin's matchImages cover), the credentials the image is seeded with (a token-service
// user and a pull secret, or a service account the STS trusts), and per sample what it must mint so
// that it measures what it claims: a new token-service user and secret (a credential hash no record
// holds) or a new service account (a new uid: a credential cache miss and no record entry).
import type { Kube, PodSpec } from '../../cluster/kube.ts';
import { HarnessError } from '../../errors.ts';
import type { StsStack } from '../../identity/stack.ts';
import { buildFixtureImage } from '../../image/fixtures.ts';
import type { RegistryStack } from '../../registry/stack.ts';
import type { Credential } from '../../registry/token-service.ts';
import type { Arm, ArmId } from '../arms.ts';
import type { ScheduledSample } from '../schedule.ts';

export const SEEDED_SECRET = 'seeded';
export const FIXED_SERVICE_ACCOUNT = 'fixed';

export interface ArmWorld {
  arm: Arm;
  namespace: string;
  /** Repository path in the harness registry. */
  repository: string;
  /** Reference the pods use. */
  image: string;
  seedUser?: Credential;
}

export interface MintedPod {
  spec: PodSpec;
  /** What was minted for this sample (for the log; never a secret). */
  minted?: string;
}

function saName(sampleId: string): string {
  return `sa-${sampleId}`.toLowerCase();
}

export class BenchWorld {
  readonly arms = new Map<ArmId, ArmWorld>();
  private readonly kube: Kube;
  private readonly registry: RegistryStack;
  private readonly sts?: StsStack;
  private readonly node: string;

  constructor(o: { kube: Kube; registry: RegistryStack; sts?: StsStack; node: string }) {
    this.kube = o.kube;
    this.registry = o.registry;
    this.sts = o.sts;
    this.node = o.node;
  }

  /** Namespaces, images, seeding users and secrets, the fixed service accounts. */
  async prepare(arms: readonly Arm[]): Promise<void> {
    const admin = this.registry.client(this.registry.admin);
    try {
      for (const arm of arms) {
        const sa = arm.pod.credentials.endsWith('service-account');
        if (sa && !this.sts) throw new HarnessError(`arm ${arm.id} needs the STS, and the run has none`);
        const repository = `${sa ? 'provider' : 'private'}/bench/${arm.id}`;
        const namespace = `ppb-${arm.id}`;
        // A fixture image of its own per arm: no two arms share a digest, so no two share a pulled record.
        const img = await buildFixtureImage({ scenario: `bench-${arm.id}` });
        await admin.push(repository, 'v1', img);
        await this.kube.ensureNamespace(namespace, { 'io.pullproof.bench': arm.id });
        const w: ArmWorld = { arm, namespace, repository, image: `${this.registry.host}/${repository}:v1` };
        if (!sa) {
          w.seedUser = this.registry.tokens.addUser(`bench-${arm.id}-seed`, { repositories: [repository], origin: 'static' });
          await this.kube.createPullSecret({ namespace, name: SEEDED_SECRET, registry: this.registry.host, username: w.seedUser.username, password: w.seedUser.password });
        } else {
          await this.kube.createServiceAccount(namespace, FIXED_SERVICE_ACCOUNT);
          this.sts?.policy.allow({ namespace, serviceAccount: FIXED_SERVICE_ACCOUNT, repositories: [repository] });
        }
        this.arms.set(arm.id, w);
      }
    } finally {
      admin.close();
    }
    // Pods with the default service account are refused until the namespace's controller created it.
    for (const w of this.arms.values()) await this.waitForDefaultServiceAccount(w.namespace);
  }

  private async waitForDefaultServiceAccount(namespace: string): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        await this.kube.core.readNamespacedServiceAccount({ namespace, name: 'default' });
        return;
      } catch (err) {
        if (Date.now() > deadline) throw new HarnessError(`namespace ${namespace} has no default service account after 30 s`, String((err as Error).message));
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  of(arm: ArmId): ArmWorld {
    const w = this.arms.get(arm);
    if (!w) throw new HarnessError(`the bench world has no arm ${arm}`);
    return w;
  }

  /** The pod that first pulls an arm's image, with the credentials its records then name. */
  seedPod(arm: ArmId, name = `seed-${arm}`): PodSpec {
    const w = this.of(arm);
    const sa = w.arm.pod.credentials.endsWith('service-account');
    return {
      namespace: w.namespace, name, node: this.node, image: w.image, pullPolicy: 'IfNotPresent',
      ...(sa ? { serviceAccount: FIXED_SERVICE_ACCOUNT } : { pullSecrets: [SEEDED_SECRET] }),
    };
  }

  /** Mints what the sample needs and returns its pod. */
  async mint(s: Pick<ScheduledSample, 'arm' | 'id'>, name = s.id): Promise<MintedPod> {
    const w = this.of(s.arm);
    const base = { namespace: w.namespace, name, node: this.node, image: w.image, pullPolicy: w.arm.pod.pullPolicy };
    switch (w.arm.pod.credentials) {
      case 'seeded-secret':
        return { spec: { ...base, pullSecrets: [SEEDED_SECRET] } };
      case 'fixed-service-account':
        return { spec: { ...base, serviceAccount: FIXED_SERVICE_ACCOUNT } };
      case 'fresh-secret': {
        const user = this.registry.tokens.addUser(`bench-${name}`, { repositories: [w.repository], origin: 'static' });
        const secret = `s-${name}`;
        await this.kube.createPullSecret({ namespace: w.namespace, name: secret, registry: this.registry.host, username: user.username, password: user.password });
        return { spec: { ...base, pullSecrets: [secret] }, minted: `token-service user ${user.username} and pull secret ${secret}` };
      }
      case 'fresh-service-account': {
        const sa = saName(name);
        await this.kube.createServiceAccount(w.namespace, sa);
        this.sts?.policy.allow({ namespace: w.namespace, serviceAccount: sa, repositories: [w.repository] });
        return { spec: { ...base, serviceAccount: sa }, minted: `service account ${w.namespace}/${sa}` };
      }
    }
  }

  /** Deletes every namespace of the bench (without waiting). */
  async dispose(): Promise<void> {
    for (const w of this.arms.values()) await this.kube.deleteNamespace(w.namespace).catch(() => undefined);
  }
}
