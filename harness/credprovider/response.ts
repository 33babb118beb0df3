// How the kubelet reads a plugin's stdout (pkg/credentialprovider/plugin/plugin.go ExecPlugin and
// getCredentials), as a list of ordered verdicts: GVK first, then strict decoding, then the SA-token
// echo rule, then cacheKeyType. The first rejection is what the kubelet would log.
import { parseGoDuration } from './duration.ts';
import { checkShape, map, obj, type DecodeIssue } from './strict.ts';
import { CACHE_KEY_TYPES, PROVIDER_GROUP, type CredentialProviderResponse } from './types.ts';

const RESPONSE_SHAPE = obj({
  kind: 'string',
  apiVersion: 'string',
  cacheKeyType: 'string',
  cacheDuration: 'string',
  auth: map(obj({ username: 'string', password: 'string' })),
});

export type ResponseProblem =
  | { step: 'gvk'; message: string }
  | { step: 'apiVersion'; message: string }
  | { step: 'strict'; message: string; issues: DecodeIssue[] }
  | { step: 'kind'; message: string }
  | { step: 'cacheDuration'; message: string }
  | { step: 'tokenEcho'; message: string }
  | { step: 'cacheKeyType'; message: string };

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

/** Never includes stdout content in messages: it may hold credentials (the kubelet does the same). */
export function judgeResponse(stdout: string, o: JudgeOptions): ResponseJudgement {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    return { problem: { step: 'gvk', message: 'error reading GVK from response: stdout is not JSON' } };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { problem: { step: 'gvk', message: 'error reading GVK from response: stdout is not a JSON object' } };
  }
  const raw = parsed as Record<string, unknown>;
  const gv = typeof raw.apiVersion === 'string' ? raw.apiVersion : '';
  if (gv !== o.apiVersion) {
    return { problem: { step: 'apiVersion', message: `apiVersion from credential plugin response did not match expected apiVersion:${o.apiVersion}, actual apiVersion:${gv}` } };
  }
  const issues = checkShape(raw, RESPONSE_SHAPE);
  if (issues.length > 0) {
    return { problem: { step: 'strict', message: `error decoding credential provider plugin response from stdout: ${issues.map((i) => `${i.path}: ${i.problem}`).join('; ')}`, issues } };
  }
  if (raw.kind !== 'CredentialProviderResponse') {
    return { problem: { step: 'kind', message: `failed to decode CredentialProviderResponse, unexpected Kind: ${JSON.stringify(raw.kind ?? '')}` } };
  }
  if (!gv.startsWith(`${PROVIDER_GROUP}/`)) {
    return { problem: { step: 'kind', message: `failed to decode CredentialProviderResponse, unexpected Group: ${gv.split('/')[0]}` } };
  }
  const response = raw as unknown as CredentialProviderResponse;
  if (typeof response.cacheDuration === 'string') {
    try {
      parseGoDuration(response.cacheDuration);
    } catch (err) {
      return { response, problem: { step: 'cacheDuration', message: `error decoding credential provider plugin response from stdout: cacheDuration: ${(err as Error).message}` } };
    }
  }
  if (o.echoRule && o.serviceAccountToken && o.cacheType !== 'Token') {
    for (const a of Object.values(response.auth ?? {})) {
      if (a.password === o.serviceAccountToken) {
        return { response, problem: { step: 'tokenEcho', message: "credential provider plugin returned the service account token as the password which is not allowed when service account cache type is not set to 'Token'" } };
      }
    }
  }
  if (!(CACHE_KEY_TYPES as readonly string[]).includes(response.cacheKeyType ?? '')) {
    return { response, problem: { step: 'cacheKeyType', message: `credential provider plugin did not return a valid cacheKeyType: ${String(response.cacheKeyType ?? '')}` } };
  }
  return { response };
}
