// The kubelet's image pull records (KEP-2535) as typed objects: ImagePullIntent files under
// image_manager/pulling/ and ImagePulledRecord files under image_manager/pulled/, each named
// sha256-<hex sha256 of its key> (the image string as written in the pod spec for an intent, the CRI
// image ref for a pulled record). Group kubelet.config.k8s.io; v1alpha1 on 1.33-1.34, v1beta1 from 1.35.
import { createHash } from 'node:crypto';

export const RECORDS_ROOT = '/var/lib/kubelet/image_manager';
export const RECORD_GROUP = 'kubelet.config.k8s.io';

export interface ImagePullSecret {
  uid: string;
  namespace: string;
  name: string;
  credentialHash: string;
}

export interface ImagePullServiceAccount {
  uid: string;
  namespace: string;
  name: string;
}

export interface ImagePullCredentials {
  kubernetesSecrets?: ImagePullSecret[];
  kubernetesServiceAccounts?: ImagePullServiceAccount[];
  nodePodsAccessible?: boolean;
}

export interface ImagePullIntent {
  kind: 'ImagePullIntent';
  apiVersion: string;
  image: string;
}

export interface ImagePulledRecord {
  kind: 'ImagePulledRecord';
  apiVersion: string;
  lastUpdatedTime: string;
  imageRef: string;
  credentialMapping: Record<string, ImagePullCredentials>;
}

export type PullRecord = ImagePullIntent | ImagePulledRecord;

export function recordFileName(key: string): string {
  return `sha256-${createHash('sha256').update(key).digest('hex')}`;
}

export function recordPath(r: PullRecord | { kind: PullRecord['kind']; key: string }): string {
  const key = 'key' in r ? r.key : r.kind === 'ImagePullIntent' ? r.image : r.imageRef;
  return `${RECORDS_ROOT}/${r.kind === 'ImagePullIntent' ? 'pulling' : 'pulled'}/${recordFileName(key)}`;
}

/** Parses one record file; throws with the file name on anything the kubelet's strict decoder would reject too. */
export function parseRecord(text: string, file: string): PullRecord {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file}: not JSON (${(err as Error).message})`, { cause: err });
  }
  const o = obj as Partial<PullRecord>;
  if (!o.apiVersion?.startsWith(`${RECORD_GROUP}/`)) throw new Error(`${file}: apiVersion ${String(o.apiVersion)} is not in group ${RECORD_GROUP}`);
  if (o.kind === 'ImagePullIntent' && typeof (o as ImagePullIntent).image === 'string') return o as ImagePullIntent;
  if (o.kind === 'ImagePulledRecord' && typeof (o as ImagePulledRecord).imageRef === 'string') return o as ImagePulledRecord;
  throw new Error(`${file}: kind ${String(o.kind)} with missing fields`);
}
