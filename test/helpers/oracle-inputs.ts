// Compact builders of oracle inputs for the oracle's unit tests.
import type { CredentialEntry, OracleInput, PodSecret, ProviderModel, PullPolicy, SecretCoordinates, ServiceAccountCoordinates } from '../../harness/oracle/types.ts';

export const REG = 'registry.pullproof.test:5443';
export const IMAGE = `${REG}/private/app:v1`;
export const NAME = `${REG}/private/app`;

export function secret(name: string, o: { namespace?: string; hash?: string; uid?: string } = {}): SecretCoordinates {
  return { uid: o.uid ?? `uid-${name}`, namespace: o.namespace ?? 'a', name, credentialHash: o.hash ?? 'hash-user1' };
}

/** A pull secret on the pod that matches the registry; accepted by the registry unless said otherwise. */
export function podSecret(c: SecretCoordinates, o: { matchesRegistry?: boolean; accepted?: boolean } = {}): PodSecret {
  return { coordinates: c, matchesRegistry: o.matchesRegistry ?? true, registryAccepts: o.accepted ?? true };
}

export interface Build {
  version?: string;
  gates?: Record<string, boolean>;
  policy?: string;
  allowlist?: string[];
  pullPolicy?: PullPolicy;
  image?: string;
  present?: boolean;
  loadedOutsideKubelet?: boolean;
  /** none, unreadable, an entry for NAME, or a whole mapping. */
  record?: 'none' | 'unreadable' | CredentialEntry | { mapping: Record<string, CredentialEntry> };
  intent?: boolean;
  secrets?: PodSecret[];
  missingSecrets?: string[];
  serviceAccount?: ServiceAccountCoordinates & { annotations?: Record<string, string> };
  provider?: ProviderModel;
  registryUp?: boolean;
  anonymousReadable?: boolean;
  stsUp?: boolean;
  limit?: number;
  maxParallelImagePulls?: number;
  runtime?: OracleInput['runtime'];
  editedWithoutRestart?: boolean;
}

export function build(b: Build = {}): OracleInput {
  let record: OracleInput['node']['record'];
  if (b.record === undefined || b.record === 'none') record = { kind: 'none' };
  else if (b.record === 'unreadable') record = { kind: 'unreadable' };
  else if ('mapping' in b.record) record = { kind: 'present', credentialMapping: (b.record as { mapping: Record<string, CredentialEntry> }).mapping };
  else record = { kind: 'present', credentialMapping: { [NAME]: b.record as CredentialEntry } };
  return {
    kubelet: {
      version: b.version ?? 'v1.35.4', gates: b.gates ?? {}, policy: b.policy, allowlist: b.allowlist,
      maxParallelImagePulls: b.maxParallelImagePulls, limits: b.limit !== undefined ? { recordedSecretsLimit: b.limit } : undefined,
    },
    runtime: b.runtime,
    node: { present: b.present ?? true, loadedOutsideKubelet: b.loadedOutsideKubelet, record, intent: b.intent, editedWithoutRestart: b.editedWithoutRestart },
    pod: { namespace: 'b', image: b.image ?? IMAGE, pullPolicy: b.pullPolicy ?? 'IfNotPresent', secrets: b.secrets ?? [], missingSecrets: b.missingSecrets, serviceAccount: b.serviceAccount },
    provider: b.provider,
    registry: { up: b.registryUp ?? true, anonymousReadable: b.anonymousReadable ?? false },
    sts: b.stsUp === undefined ? undefined : { up: b.stsUp },
  };
}
