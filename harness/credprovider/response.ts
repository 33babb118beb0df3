// How the kubelet reads a plugin's stdout (pkg/credentialprovider/plugin/plugin.go ExecPlugin and
// provide), step by step in the kubelet's order; the first rejection is what the kubelet logs:
//   1. GVK: encoding/json reads apiVersion and kind (keys matched case-insensitively, the last
//      one wins; a non-string value or an apiVersion with two slashes is an error).
//   2. That apiVersion must be the provider's configured one.
//   3. Strict decoding (sigs.k8s.io/json): known fields only (case-sensitive), each key once, values
//      of the field's type, kind CredentialProviderResponse, cacheDuration a Go duration. Every
//      failure here is the one message "error decoding credential provider plugin response from
//      stdout" (the kubelet does not wrap the cause: it could hold credentials).
//   4. Service-account mode with cacheType other than Token (1.34+): no password may be the token.
//   5. cacheKeyType must be Image, Registry or Global.
// The explanation of each rejection is pullproof's; the kubelet judge (harness/certify/judge)
// checks these rules against the kubelet's own code in the differential test.
import { parseGoDuration } from './duration.ts';
import { duplicateKeys, topLevelMembers } from './json.ts';
import { checkShape, map, obj, type DecodeIssue } from './strict.ts';
import { CACHE_KEY_TYPES, type CredentialProviderResponse } from './types.ts';

const RESPONSE_SHAPE = obj({
  kind: 'string',
  apiVersion: 'string',
  cacheKeyType: 'string',
  cacheDuration: 'string',
  auth: map(obj({ username: 'string', password: 'string' })),
});

/** The kubelet's messages, for the steps a response can fail. */
export const KUBELET_MESSAGES = {
  gvk: 'error reading GVK from response',
  apiVersion: 'apiVersion from credential plugin response did not match expected apiVersion',
  decode: 'error decoding credential provider plugin response from stdout',
  tokenEcho: "credential provider plugin returned the service account token as the password which is not allowed when service account cache type is not set to 'Token'",
  cacheKeyType: 'credential provider plugin did not return a valid cacheKeyType',
} as const;

export type ResponseStep = keyof typeof KUBELET_MESSAGES;

export interface ResponseProblem {
  step: ResponseStep;
  /** The kubelet's message (for decode: exactly its fixed text). */
  message: string;
  /** pullproof's explanation of the cause (never the response's content: it may hold credentials). */
  why: string;
  issues?: DecodeIssue[];
}

export interface ResponseJudgement {
  response?: CredentialProviderResponse;
  problem?: ResponseProblem;
}

export interface JudgeOptions {
  /** The provider's configured apiVersion. */
  apiVersion: string;
  /** The SA token sent, if any. */
  serviceAccountToken?: string;
  /** tokenAttributes.cacheType (absent on 1.33). */
  cacheType?: string;
  /** Whether the target kubelet has the token-echo rule (1.34 and later). */
  echoRule: boolean;
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/** Go's schema.ParseGroupVersion(...).String(), or an error for more than one slash. */
function groupVersionString(gv: string): string {
  if (gv === '' || gv === '/') return '';
  const slashes = gv.split('/').length - 1;
  if (slashes === 0) return gv;
  if (slashes > 1) throw new Error(`unexpected GroupVersion string: ${gv}`);
  const [group, version] = gv.split('/') as [string, string];
  return group ? `${group}/${version}` : version;
}

/** Step 1: what json.DefaultMetaFactory.Interpret reads (encoding/json: case-insensitive keys, last wins). */
export function interpretGvk(stdout: string): { apiVersion: string; kind: string } | { error: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch (err) {
    return { error: stdout.trim() === '' ? 'stdout is empty' : `stdout is not JSON (${(err as Error).message})` };
  }
  if (parsed === null) return { apiVersion: '', kind: '' };
  if (typeof parsed !== 'object' || Array.isArray(parsed)) return { error: `stdout is a JSON ${jsonType(parsed)}, not an object` };
  let apiVersion = '';
  let kind = '';
  for (const [key, value] of topLevelMembers(stdout)) {
    const folded = key.toLowerCase();
    if (folded !== 'apiversion' && folded !== 'kind') continue;
    if (value === null) continue;
    if (typeof value !== 'string') return { error: `"${key}" is a ${jsonType(value)}, not a string` };
    if (folded === 'apiversion') apiVersion = value;
    else kind = value;
  }
  try {
    return { apiVersion: groupVersionString(apiVersion), kind };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/** Step 3, without cacheDuration: duplicate keys, unknown fields, wrong types, wrong kind. */
export function strictProblems(stdout: string, raw: Record<string, unknown>): string[] {
  const why: string[] = [];
  for (const d of duplicateKeys(stdout)) why.push(`the key ${JSON.stringify(d.key)} appears twice${d.path ? ` in ${d.path}` : ''}`);
  for (const i of checkShape(raw, RESPONSE_SHAPE)) why.push(`${i.path}: ${i.problem === 'unknown field' ? 'unknown field (field names are case-sensitive)' : i.problem}`);
  if (why.length > 0) return why;
  if (raw.kind === undefined || raw.kind === null || raw.kind === '') why.push('kind is missing');
  else if (raw.kind !== 'CredentialProviderResponse') why.push(`kind is ${JSON.stringify(raw.kind)}, not CredentialProviderResponse`);
  return why;
}

/** Step 3, cacheDuration: a string Go's time.ParseDuration reads (absent or null is fine). */
export function durationProblem(raw: Record<string, unknown>): string | undefined {
  if (typeof raw.cacheDuration !== 'string') return undefined;
  try {
    parseGoDuration(raw.cacheDuration);
    return undefined;
  } catch (err) {
    return `cacheDuration: ${(err as Error).message}`;
  }
}

/** Never includes stdout content in messages: it may hold credentials (the kubelet does the same). */
export function judgeResponse(stdout: string, o: JudgeOptions): ResponseJudgement {
  const gvk = interpretGvk(stdout);
  if ('error' in gvk) return { problem: { step: 'gvk', message: `${KUBELET_MESSAGES.gvk}`, why: gvk.error } };
  if (gvk.apiVersion !== o.apiVersion) {
    return { problem: { step: 'apiVersion', message: `${KUBELET_MESSAGES.apiVersion}:${o.apiVersion}, actual apiVersion:${gvk.apiVersion}`, why: `the response says apiVersion ${JSON.stringify(gvk.apiVersion)}, the provider is configured for ${o.apiVersion}` } };
  }
  const raw = JSON.parse(stdout) as Record<string, unknown>;
  const why = strictProblems(stdout, raw);
  const duration = durationProblem(raw);
  if (duration) why.push(duration);
  if (why.length > 0) return { problem: { step: 'decode', message: KUBELET_MESSAGES.decode, why: why.join('; ') } };
  const response = raw as unknown as CredentialProviderResponse;
  if (o.echoRule && o.serviceAccountToken && o.cacheType !== 'Token') {
    for (const a of Object.values(response.auth ?? {})) {
      if (a?.password === o.serviceAccountToken) {
        return { response, problem: { step: 'tokenEcho', message: KUBELET_MESSAGES.tokenEcho, why: `a password is the service account token, and cacheType is ${o.cacheType ?? 'unset'}` } };
      }
    }
  }
  if (!(CACHE_KEY_TYPES as readonly string[]).includes(response.cacheKeyType ?? '')) {
    return { response, problem: { step: 'cacheKeyType', message: `${KUBELET_MESSAGES.cacheKeyType}: ${String(response.cacheKeyType ?? '')}`, why: `cacheKeyType is ${JSON.stringify(response.cacheKeyType ?? '')}; use ${CACHE_KEY_TYPES.join(', ')}` } };
  }
  return { response };
}
