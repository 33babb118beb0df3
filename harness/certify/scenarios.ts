// The requests certify sends, built as the kubelet builds them for the configured provider: the image
// without tag; in SA mode (tokenAttributes) a fresh projected-token-shaped JWT for the configured
// audience, bound to a pod, and only the configured annotation keys that the service account has;
// outside SA mode neither token nor annotations. Negative scenarios probe what a plugin must refuse.
import { randomUUID } from 'node:crypto';
import type { TestIssuer } from '../identity/test-issuer.ts';
import { PROVIDER_V1, type CredentialProvider, type CredentialProviderRequest } from '../credprovider/types.ts';

export type Expectation = 'credentials' | 'refusal';

export interface Scenario {
  id: string;
  description: string;
  expect: Expectation;
  request: CredentialProviderRequest;
  /** For the report: "absent" or "JWT aud=..., expires ...". */
  tokenInfo: string;
  /** The pod the token is bound to (what the kubelet's TokenRequest names). */
  pod?: { name: string; uid: string };
  /** The service account the kubelet would read (its annotations, not only the ones sent). */
  serviceAccount?: { namespace: string; name: string; uid: string; annotations: Record<string, string> };
}

export interface ScenarioInputs {
  provider: CredentialProvider;
  image: string;
  issuer: TestIssuer;
  serviceAccount: { namespace: string; name: string; uid?: string };
  /** The service account's annotations (certify adds configured keys that are missing, and one unconfigured key). */
  annotations: Record<string, string>;
  validCalls: number;
}

export const UNCONFIGURED_ANNOTATION = 'pullproof.test/not-configured';

/** What the kubelet sends: configured keys present on the SA, nothing else (B3). */
export function kubeletAnnotations(p: CredentialProvider, sa: Record<string, string>, include: 'all' | 'required' = 'all'): Record<string, string> {
  const keys = [...(p.tokenAttributes?.requiredServiceAccountAnnotationKeys ?? []), ...(include === 'all' ? p.tokenAttributes?.optionalServiceAccountAnnotationKeys ?? [] : [])];
  const out: Record<string, string> = {};
  for (const k of keys) if (sa[k] !== undefined) out[k] = sa[k];
  return out;
}

export function serviceAccountAnnotations(p: CredentialProvider, given: Record<string, string>): Record<string, string> {
  const sa: Record<string, string> = { [UNCONFIGURED_ANNOTATION]: 'must-not-be-sent', ...given };
  for (const k of [...(p.tokenAttributes?.requiredServiceAccountAnnotationKeys ?? []), ...(p.tokenAttributes?.optionalServiceAccountAnnotationKeys ?? [])]) sa[k] ??= 'pullproof-certify';
  return sa;
}

export async function buildScenarios(i: ScenarioInputs): Promise<Scenario[]> {
  const p = i.provider;
  const apiVersion = p.apiVersion || PROVIDER_V1;
  const base = (extra: Partial<CredentialProviderRequest> = {}): CredentialProviderRequest => ({ kind: 'CredentialProviderRequest', apiVersion, image: i.image, ...extra });
  const out: Scenario[] = [];
  const ta = p.tokenAttributes;
  if (!ta) {
    for (let n = 1; n <= i.validCalls; n++) out.push({ id: `valid-${n}`, description: 'a kubelet request for a matching image (no service account mode: no token, no annotations)', expect: 'credentials', request: base(), tokenInfo: 'absent' });
    return out;
  }
  const sa = { namespace: i.serviceAccount.namespace, name: i.serviceAccount.name, uid: i.serviceAccount.uid ?? randomUUID() };
  const saAnnotations = serviceAccountAnnotations(p, i.annotations);
  let lastPod = { name: '', uid: '' };
  const mint = async (o: { audience?: string; expiresIn?: number; issuedAtOffset?: number } = {}): Promise<string> => {
    lastPod = { name: `certify-${randomUUID().slice(0, 8)}`, uid: randomUUID() };
    return i.issuer.mint({
      audience: o.audience ?? ta.serviceAccountTokenAudience, serviceAccount: sa, pod: lastPod,
      node: { name: 'pullproof-certify-node', uid: randomUUID() }, expiresInSeconds: o.expiresIn ?? 3600, issuedAtOffsetSeconds: o.issuedAtOffset,
    });
  };
  const annotations = kubeletAnnotations(p, saAnnotations);
  const withSa = (token: string, ann: Record<string, string>): Partial<CredentialProviderRequest> => ({
    serviceAccountToken: token, ...(Object.keys(ann).length > 0 ? { serviceAccountAnnotations: ann } : {}),
  });
  for (let n = 1; n <= i.validCalls; n++) {
    const token = await mint();
    out.push({
      id: `valid-${n}`, description: 'a kubelet request in service account mode: a fresh bound token for the configured audience and the configured annotations', expect: 'credentials',
      request: base(withSa(token, annotations)), tokenInfo: `JWT aud=${ta.serviceAccountTokenAudience}, valid 1h`, pod: lastPod, serviceAccount: { ...sa, annotations: saAnnotations },
    });
  }
  const optional = ta.optionalServiceAccountAnnotationKeys ?? [];
  if (optional.length > 0) {
    out.push({ id: 'required-annotations-only', description: 'the service account lacks the optional annotations, so only the required keys are sent', expect: 'credentials', request: base(withSa(await mint(), kubeletAnnotations(p, saAnnotations, 'required'))), tokenInfo: `JWT aud=${ta.serviceAccountTokenAudience}, valid 1h` });
  }
  out.push({ id: 'expired-token', description: 'a token that expired 10 minutes ago', expect: 'refusal', request: base(withSa(await mint({ expiresIn: -600, issuedAtOffset: -4200 }), annotations)), tokenInfo: `JWT aud=${ta.serviceAccountTokenAudience}, expired 10m ago` });
  out.push({ id: 'wrong-audience', description: 'a token for another audience', expect: 'refusal', request: base(withSa(await mint({ audience: 'pullproof-certify-wrong-audience' }), annotations)), tokenInfo: 'JWT aud=pullproof-certify-wrong-audience, valid 1h' });
  if (ta.requireServiceAccount === false) {
    out.push({ id: 'no-service-account', description: 'requireServiceAccount is false and the pod has no service account: no token, no annotations', expect: 'credentials', request: base(), tokenInfo: 'absent' });
  }
  return out;
}
