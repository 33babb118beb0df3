// The oracle: what a kubelet must do with one pod start, from the specification (docs/specification.md
// A2-A9 for KEP-2535, B2-B6 for KEP-4412), with the rule behind every step. Pure: no I/O, no clock.
// Known kubelet bugs are named where a buggy kubelet diverges: the prediction carries the specified
// outcome and, in `knownBug`, what the buggy kubelet does instead.
import { allowlistEntryProblem, allowlistMatches } from './allowlist.ts';
import { bugApplies, knownBug } from './known-bugs.ts';
import { imageNameOf, normalizeImage } from './names.ts';
import type {
  CredentialEntry, ExpectedEvent, ExpectedRecord, KnownBugRef, OracleInput, Outcome, Prediction, PullFailureCause,
  RuleRef, SecretCoordinates, ServiceAccountCoordinates,
} from './types.ts';
import {
  ENSURE_SECRET_PULLED_IMAGES, SA_NODE_AUDIENCE_RESTRICTION, SA_TOKEN_FOR_CREDENTIAL_PROVIDERS, factsOf, gateFact, gateOn,
  type MinorFacts,
} from './versions.ts';

export const POLICIES = ['NeverVerify', 'NeverVerifyPreloadedImages', 'NeverVerifyAllowlistedImages', 'AlwaysVerify'] as const;
export const DEFAULT_RECORDED_SECRETS_LIMIT = 100;
export const MAX_PARALLEL_IMAGE_PULLS_STRIPES = 31;
const MODELLED_GATES = [ENSURE_SECRET_PULLED_IMAGES, SA_TOKEN_FOR_CREDENTIAL_PROVIDERS];

type Rules = RuleRef[];

function rule(rules: Rules, id: string, section: string, text: string): void {
  rules.push({ id, section, text });
}

/** One credential the kubelet may try for the pull, in the order it tries them. */
type Credential =
  | { kind: 'secret'; coordinates: SecretCoordinates; accepted: boolean }
  | { kind: 'provider-static'; accepted: boolean }
  | { kind: 'node-config'; accepted: boolean }
  | { kind: 'provider-service-account'; serviceAccount: ServiceAccountCoordinates; accepted: boolean; recordable: boolean };

interface PodCredentials {
  credentials: Credential[];
  /** Service account coordinates the provider attached (B4 step 6); only when its answer carried them. */
  serviceAccount?: ServiceAccountCoordinates;
  stsExchanges: number;
}

interface Decision {
  outcome: Outcome;
  cause?: PullFailureCause;
  registryContact: boolean;
  pulledWith?: Prediction['pulledWith'];
  stsExchanges?: number;
  event?: ExpectedEvent;
  record: ExpectedRecord;
  mustPullCheck?: Prediction['mustPullCheck'];
}

interface Variant {
  /** Match the allowlist on the pod's image with its tag trimmed (the fix of #137629). */
  trimAllowlistTag: boolean;
  /** A name loaded outside the kubelet stays preloaded when its content is later pulled under another name (the intent of #138175). */
  preloadedNameStaysPreloaded: boolean;
  /** Records are found for the image (false on CRI-O before cri-o#9728, #137024). */
  recordsFound: boolean;
}

const SPECIFIED: Variant = { trimAllowlistTag: true, preloadedNameStaysPreloaded: true, recordsFound: true };

function secretKey(s: { uid: string; namespace: string; name: string }): string {
  return `${s.namespace}/${s.name}/${s.uid}`;
}

function sortSecrets(list: SecretCoordinates[]): SecretCoordinates[] {
  return [...list].sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name) || a.uid.localeCompare(b.uid));
}

function sortAccounts(list: ServiceAccountCoordinates[]): ServiceAccountCoordinates[] {
  const seen = new Map(list.map((a) => [secretKey(a), a]));
  return [...seen.values()].sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name) || a.uid.localeCompare(b.uid));
}

/** pulledRecordMergeNewCreds (A5): how a successful pull's credentials change the entry for the image name. */
export function mergeCredentials(existing: CredentialEntry | undefined, cred: { kind: 'secret'; coordinates: SecretCoordinates } | { kind: 'service-account'; serviceAccount: ServiceAccountCoordinates } | { kind: 'node' }): CredentialEntry {
  if (existing?.nodePodsAccessible) return { nodePodsAccessible: true };
  if (cred.kind === 'node') return { nodePodsAccessible: true };
  const secrets = [...(existing?.kubernetesSecrets ?? [])];
  const accounts = [...(existing?.kubernetesServiceAccounts ?? [])];
  if (cred.kind === 'secret') {
    const i = secrets.findIndex((s) => secretKey(s) === secretKey(cred.coordinates));
    if (i >= 0) secrets[i] = cred.coordinates;
    else secrets.push(cred.coordinates);
  } else {
    accounts.push(cred.serviceAccount);
  }
  const out: CredentialEntry = {};
  if (secrets.length) out.kubernetesSecrets = sortSecrets(secrets);
  if (accounts.length) out.kubernetesServiceAccounts = sortAccounts(accounts);
  return out;
}

function configRefused(rules: Rules, reason: string): Prediction {
  return { outcome: 'config-refused', reason, registryContact: false, record: { kind: 'unchanged' }, rules };
}

function notApplicable(rules: Rules, reason: string): Prediction {
  return { outcome: 'not-applicable', reason, registryContact: false, record: { kind: 'unchanged' }, rules };
}

/** A2, B2: what makes the kubelet refuse to start; undefined when the configuration is valid. */
function validate(input: OracleInput, facts: MinorFacts, rules: Rules): Prediction | undefined {
  const k = input.kubelet;
  for (const gate of Object.keys(k.gates)) {
    if (MODELLED_GATES.includes(gate) && !gateFact(k.version, gate)) {
      rule(rules, 'A1.unknown-gate', 'A1', `the ${k.version} kubelet does not know ${gate}; component-base refuses unknown gates`);
      return configRefused(rules, `unrecognized feature gate: ${gate}`);
    }
  }
  const espOn = !!facts.ensureSecretPulledImages && gateOn(k.version, ENSURE_SECRET_PULLED_IMAGES, k.gates);
  const allowlistSet = (k.allowlist?.length ?? 0) > 0;
  if ((k.policy !== undefined || allowlistSet) && !facts.ensureSecretPulledImages) {
    return notApplicable(rules, `the ${k.version} kubelet has no imagePullCredentialsVerificationPolicy (KEP-2535 arrived in 1.33)`);
  }
  if (k.policy !== undefined && !espOn) {
    rule(rules, 'A2.policy-without-gate', 'A2', 'setting the policy with the gate off is a validation error');
    return configRefused(rules, `imagePullCredentialsVerificationPolicy must not be set if ${ENSURE_SECRET_PULLED_IMAGES} feature gate is not enabled`);
  }
  if (allowlistSet && !espOn) {
    rule(rules, 'A2.allowlist-without-gate', 'A2', 'setting the allowlist with the gate off is a validation error');
    return configRefused(rules, `preloadedImagesVerificationAllowlist must not be set if ${ENSURE_SECRET_PULLED_IMAGES} feature gate is not enabled`);
  }
  if (k.policy !== undefined && !(POLICIES as readonly string[]).includes(k.policy)) {
    rule(rules, 'A2.policy-value', 'A2', 'the policy must be one of the four values');
    return configRefused(rules, `option ${JSON.stringify(k.policy)} specified for imagePullCredentialsVerificationPolicy. Valid options are ${POLICIES.map((p) => JSON.stringify(p)).join(', ')}`);
  }
  const policy = k.policy ?? (espOn ? 'NeverVerifyPreloadedImages' : undefined);
  if (allowlistSet && policy !== 'NeverVerifyAllowlistedImages') {
    rule(rules, 'A2.allowlist-policy', 'A2', 'the allowlist is only allowed with NeverVerifyAllowlistedImages');
    return configRefused(rules, 'can\'t set `preloadedImagesVerificationAllowlist` if `imagePullCredentialsVertificationPolicy` is not "NeverVerifyAllowlistedImages"');
  }
  for (const entry of k.allowlist ?? []) {
    const problem = allowlistEntryProblem(entry, facts.allowlistTrimsTag);
    if (problem) {
      rule(rules, 'A2.allowlist-entry', 'A2', facts.allowlistTrimsTag ? 'allowlist entries are repository names without tag or digest (not normalised), with at most a trailing "/*"' : 'allowlist entries are fully qualified repositories without tag or digest, with at most a trailing "/*"');
      return configRefused(rules, problem);
    }
  }
  const p = input.provider;
  if (p) {
    if (p.serviceAccountMode && !facts.tokenAttributes) {
      return notApplicable(rules, `the ${k.version} kubelet has no service-account mode for credential providers (KEP-4412 arrived in 1.33)`);
    }
    const satOn = !!facts.saTokenForCredentialProviders && gateOn(k.version, SA_TOKEN_FOR_CREDENTIAL_PROVIDERS, k.gates);
    if (p.serviceAccountMode && !satOn) {
      rule(rules, 'B2.tokenAttributes-gate', 'B2', `tokenAttributes is forbidden unless ${SA_TOKEN_FOR_CREDENTIAL_PROVIDERS} is on; registration fails`);
      return configRefused(rules, `Failed to register CRI auth plugins: failed to validate credential provider config: tokenAttributes is not supported when ${SA_TOKEN_FOR_CREDENTIAL_PROVIDERS} feature gate is disabled`);
    }
    if (p.configProblems?.length) {
      rule(rules, 'B2.invalid-config', 'B2', 'an invalid CredentialProviderConfig stops the kubelet ("Failed to register CRI auth plugins")');
      return configRefused(rules, `Failed to register CRI auth plugins: failed to validate credential provider config: ${p.configProblems.join('; ')}`);
    }
  }
  return undefined;
}

/** The pod's credentials for this image, resolved once per pod start (A3 step 2, sync.OnceValues; B4). */
function resolveCredentials(input: OracleInput, facts: MinorFacts, rules: Rules): PodCredentials {
  const out: PodCredentials = { credentials: [], stsExchanges: 0 };
  for (const s of input.pod.secrets) {
    if (!s.matchesRegistry) {
      rule(rules, 'A3.secret-other-registry', 'A3', `secret ${s.coordinates.namespace}/${s.coordinates.name} has no auth entry for the image's registry, so it gives no credentials for it`);
      continue;
    }
    out.credentials.push({ kind: 'secret', coordinates: s.coordinates, accepted: s.registryAccepts });
  }
  if (input.pod.missingSecrets?.length) {
    rule(rules, 'A3.missing-secret', 'A3', `pull secret(s) ${input.pod.missingSecrets.join(', ')} do not exist; the kubelet goes on without them`);
  }
  if (input.nodeCredentials?.matchesImage) {
    rule(rules, 'A5.node-config', 'A5', 'the kubelet\'s own docker config has credentials for the image: node-wide credentials, tried after the pod\'s secrets');
    out.credentials.push({ kind: 'node-config', accepted: input.nodeCredentials.accepted });
  }
  const p = input.provider;
  if (!p || !p.matchesImage) return out;
  if (!p.serviceAccountMode) {
    rule(rules, 'B3.static-provider', 'B3, A5', 'a provider not in service-account mode gives node-wide credentials');
    out.credentials.push({ kind: 'provider-static', accepted: p.staticAccepted ?? false });
    return out;
  }
  const sa = input.pod.serviceAccount;
  if (!sa) {
    if (p.requireServiceAccount !== false) {
      rule(rules, 'B4.no-service-account', 'B4', 'the pod has no service account and the provider requires one: it is skipped');
      return out;
    }
    rule(rules, 'B4.no-service-account-optional', 'B4', 'no service account: the plugin runs without a token; the STS cannot exchange nothing');
    return out;
  }
  const missing = (p.requiredAnnotations ?? []).filter((a) => sa.annotations?.[a] === undefined);
  if (missing.length) {
    rule(rules, 'B4.required-annotation', 'B4', `required annotation(s) ${missing.join(', ')} missing on the service account: the plugin is not called (silently)`);
    return out;
  }
  const restriction = input.apiServer?.serviceAccountNodeAudienceRestriction ?? gateOn(input.apiServer?.version ?? input.kubelet.version, SA_NODE_AUDIENCE_RESTRICTION);
  if (restriction && p.audienceGranted === false) {
    rule(rules, 'B5.audience-rbac', 'B5', 'ServiceAccountNodeAudienceRestriction is on and no RBAC grants the audience: the token request is refused and the plugin never runs');
    return out;
  }
  const recordable = facts.recordsServiceAccounts;
  const coordinates = { uid: sa.uid, namespace: sa.namespace, name: sa.name };
  if (p.cacheType === 'ServiceAccount' && p.cachedAnswerAgeSeconds !== undefined && p.cachedAnswerAgeSeconds < p.cacheDurationSeconds) {
    rule(rules, 'B4.cache-hit', 'B4', 'cacheType ServiceAccount: an unexpired answer for this service account (uid and annotations) is reused without running the plugin');
    out.credentials.push({ kind: 'provider-service-account', serviceAccount: coordinates, accepted: p.stsGrants, recordable });
    out.serviceAccount = coordinates;
    return out;
  }
  rule(rules, p.cacheType === 'Token' ? 'B4.cache-token' : 'B4.cache-miss', 'B4',
    p.cacheType === 'Token' ? 'cacheType Token: every pod has its own bound token, so the plugin runs for each pod start' : 'no unexpired cached answer: the plugin runs and exchanges the token');
  if (input.sts && !input.sts.up) {
    rule(rules, 'B3.plugin-fails', 'B3', 'the STS is down: the plugin fails and the provider gives no credentials');
    return out;
  }
  out.stsExchanges = 1;
  if (!p.stsGrants) {
    rule(rules, 'B6.sts-denies', 'B6', 'the STS refuses this service account: the plugin fails, no credentials and no service-account coordinates');
    return out;
  }
  out.credentials.push({ kind: 'provider-service-account', serviceAccount: coordinates, accepted: true, recordable });
  out.serviceAccount = coordinates;
  return out;
}

/** The CRI pull with the pod's credentials (kuberuntime PullImage: anonymous only when there are none; else each in turn). */
function pull(input: OracleInput, creds: PodCredentials, espOn: boolean, present: boolean, rules: Rules): Decision {
  const name = imageNameOf(input.pod.image);
  const stsExchanges = creds.stsExchanges;
  if (!input.registry.up) {
    rule(rules, 'A4.registry-down', 'A4', 'the registry is unreachable: the pull fails (ErrImagePull, then ImagePullBackOff)');
    return { outcome: 'pull-fails', cause: 'unreachable', registryContact: true, stsExchanges, event: { reason: 'Failed', contains: 'Failed to pull image' }, record: { kind: 'unchanged' } };
  }
  if (input.registry.hasImage === false) {
    rule(rules, 'A4.not-found', 'A4', 'the registry has no such image: the pull fails');
    return { outcome: 'pull-fails', cause: 'not-found', registryContact: true, stsExchanges, event: { reason: 'Failed', contains: 'Failed to pull image' }, record: { kind: 'unchanged' } };
  }
  let success: Credential | 'anonymous' | undefined;
  if (creds.credentials.length === 0) {
    rule(rules, 'A5.anonymous', 'A3, A5', 'no credentials match the image: the runtime pulls anonymously');
    if (input.registry.anonymousReadable) success = 'anonymous';
  } else {
    success = creds.credentials.find((c) => c.accepted);
    rule(rules, 'A3.pull-credentials', 'A3, B3', success ? 'the kubelet tries the pod\'s credentials in turn; the registry accepts one' : 'the kubelet tries each of the pod\'s credentials; the registry accepts none (no anonymous fallback when credentials exist)');
  }
  const outcome: Outcome = present ? 'reverifies-runs' : 'pulls-runs';
  if (!success) {
    return { outcome: 'pull-fails', cause: 'denied', registryContact: true, stsExchanges, event: { reason: 'Failed', contains: 'Failed to pull image' }, record: { kind: 'unchanged' } };
  }
  const event: ExpectedEvent = { reason: 'Pulled', contains: 'Successfully pulled image' };
  const pulledWith: Prediction['pulledWith'] = success === 'anonymous' ? { kind: 'anonymous' }
    : success.kind === 'secret' ? { kind: 'secret', coordinates: success.coordinates }
      : success.kind === 'provider-static' ? { kind: 'provider-static' } : success.kind === 'node-config' ? { kind: 'node-config' } : { kind: 'provider-service-account', serviceAccount: success.serviceAccount };
  if (!espOn) {
    rule(rules, 'A7.gate-off-no-records', 'A7', 'with the gate off no records are written');
    return { outcome, registryContact: true, pulledWith, stsExchanges, event, record: { kind: 'unchanged' } };
  }
  const existing = input.node.record.kind === 'present' ? input.node.record.credentialMapping[name] : undefined;
  let entry: CredentialEntry;
  if (success === 'anonymous' || success.kind === 'provider-static' || success.kind === 'node-config' || (success.kind === 'provider-service-account' && !success.recordable)) {
    if (success !== 'anonymous' && success.kind === 'provider-service-account') {
      rule(rules, 'B6.sa-not-recorded', 'B6, A5', `the ${input.kubelet.version} kubelet does not record service-account coordinates (PR #132771 came in 1.34): the credentials count as node-wide`);
    }
    rule(rules, 'A5.node-accessible', 'A5', 'anonymous or node-wide credentials make the image nodePodsAccessible, which is sticky');
    entry = mergeCredentials(existing, { kind: 'node' });
  } else if (success.kind === 'secret') {
    rule(rules, 'A5.merge-secret', 'A5', 'the secret that succeeded is merged into the record (keyed by uid, namespace and name; a new hash replaces the old)');
    entry = mergeCredentials(existing, { kind: 'secret', coordinates: success.coordinates });
  } else {
    rule(rules, 'B6.record-sa', 'B6', 'service-account credentials are recorded as the service account\'s uid, namespace and name');
    entry = mergeCredentials(existing, { kind: 'service-account', serviceAccount: success.serviceAccount });
  }
  return { outcome, registryContact: true, pulledWith, stsExchanges, event, record: { kind: 'entry', name, entry } };
}

/** RequireCredentialVerificationForImage (A2 table, image_pull_policies.go). */
/** The rule a policy's decision cites, every id spelled out (docs/specification.md has a section per rule id). */
const POLICY_RULES: Record<'exempt' | 'verify', Partial<Record<string, string>>> = {
  exempt: { NeverVerify: 'A4.NeverVerify.exempt', NeverVerifyPreloadedImages: 'A4.NeverVerifyPreloadedImages.exempt', NeverVerifyAllowlistedImages: 'A4.NeverVerifyAllowlistedImages.exempt' },
  verify: { NeverVerifyPreloadedImages: 'A4.NeverVerifyPreloadedImages.verify', NeverVerifyAllowlistedImages: 'A4.NeverVerifyAllowlistedImages.verify', AlwaysVerify: 'A4.AlwaysVerify.verify' },
};

function policyRule(decision: 'exempt' | 'verify', policy: string): string {
  const id = POLICY_RULES[decision][policy];
  if (!id) throw new Error(`oracle bug: policy ${policy} has no ${decision} rule (policyRequiresVerification never decides so)`);
  return id;
}

function policyRequiresVerification(policy: string, pulledByKubelet: boolean, listed: boolean): boolean {
  switch (policy) {
    case 'NeverVerify': return false;
    case 'NeverVerifyPreloadedImages': return pulledByKubelet;
    case 'NeverVerifyAllowlistedImages': return !listed;
    default: return true;
  }
}

/** How the runtime found (or did not find) the pod's reference, when it is not a plain tag (A8). */
function referenceRules(input: OracleInput, rules: Rules): void {
  const n = normalizeImage(input.pod.image);
  if (n?.digest) {
    rule(rules, 'A8.digest-lookup', 'A8', `the runtime looks ${n.tag !== undefined ? 'a tag-and-digest reference' : 'a digest reference'} up by the digest alone (${n.name}@${n.digest.slice(0, 19)}…): a pull of the repository by a tag of that manifest creates the name, loading the tag outside the kubelet does not`);
  }
  const others = input.node.otherNames ?? [];
  if (!input.node.present && others.length) {
    rule(rules, 'A8.other-name', 'A8', `the runtime has this content only as ${others.map((o) => o.replace(/@(sha256:[0-9a-f]{12})[0-9a-f]{52}/, '@$1…')).join(', ')}: an image is present only under a name the runtime has (another tag or a digest is another name until it is pulled)`);
  }
}

function decide(input: OracleInput, facts: MinorFacts, v: Variant, rules: Rules): Decision {
  const k = input.kubelet;
  const pod = input.pod;
  const espOn = !!facts.ensureSecretPulledImages && gateOn(k.version, ENSURE_SECRET_PULLED_IMAGES, k.gates);
  const present = input.node.present;
  if (pod.pullPolicy !== 'Always') referenceRules(input, rules);
  const alreadyPresent: ExpectedEvent = espOn
    ? { reason: 'Pulled', contains: 'already present on machine and can be accessed by the pod' }
    : { reason: 'Pulled', contains: 'already present on machine' };
  const neverPull = (): Decision => ({ outcome: 'never-pull', registryContact: false, event: { reason: 'ErrImageNeverPull', contains: 'is not present with pull policy of Never' }, record: { kind: 'unchanged' } });

  if (!espOn) {
    rule(rules, 'A3.gate-off', 'A3, A7', facts.ensureSecretPulledImages ? `${ENSURE_SECRET_PULLED_IMAGES} is off: a present image is used as before the feature (kubernetes#18787)` : `the ${k.version} kubelet has no ${ENSURE_SECRET_PULLED_IMAGES}: a present image is used by any pod (kubernetes#18787)`);
    if (pod.pullPolicy === 'Always') {
      rule(rules, 'A3.always', 'A3', 'pull policy Always always pulls with the pod\'s credentials');
      return pull(input, resolveCredentials(input, facts, rules), false, present, rules);
    }
    if (present) {
      rule(rules, 'A3.present-gate-off', 'A3', 'the image is present: no credentials are checked');
      return { outcome: 'runs-cached', registryContact: false, event: alreadyPresent, record: { kind: 'unchanged' } };
    }
    if (pod.pullPolicy === 'Never') {
      rule(rules, 'A4.never-absent', 'A4', 'pull policy Never and the image is absent: ErrImageNeverPull');
      return neverPull();
    }
    rule(rules, 'A4.absent-pull', 'A4', 'the image is absent: it is pulled');
    return pull(input, resolveCredentials(input, facts, rules), false, false, rules);
  }

  const policy = k.policy ?? 'NeverVerifyPreloadedImages';
  if (k.policy === undefined) rule(rules, 'A2.default-policy', 'A2', 'the policy defaults to NeverVerifyPreloadedImages when the gate is on');

  if (pod.pullPolicy === 'Always') {
    rule(rules, 'A4.always', 'A4', 'pull policy Always pulls with the pod\'s credentials under every policy; success merges them into the record');
    return pull(input, resolveCredentials(input, facts, rules), true, present, rules);
  }
  if (!present) {
    if (pod.pullPolicy === 'Never') {
      rule(rules, 'A4.never-absent', 'A4', 'pull policy Never and the image is absent: ErrImageNeverPull');
      return neverPull();
    }
    rule(rules, 'A4.absent-pull', 'A4', 'the image is absent: it is pulled and a record is written');
    return pull(input, resolveCredentials(input, facts, rules), true, false, rules);
  }

  // MustAttemptImagePull (A3 step 4).
  const name = imageNameOf(pod.image);
  const record = v.recordsFound ? input.node.record : { kind: 'none' as const };
  const limit = k.limits?.recordedSecretsLimit ?? DEFAULT_RECORDED_SECRETS_LIMIT;
  let mustPull: boolean;
  let check: NonNullable<Decision['mustPullCheck']>;
  let recordAfter: ExpectedRecord = { kind: 'unchanged' };
  let creds: PodCredentials | undefined;
  if (record.kind === 'unreadable') {
    rule(rules, 'A3.record-unreadable', 'A3, A6', 'the pulled record cannot be read: fail safe, the image must be pulled ("Unable to access cache records about image pulls")');
    mustPull = true;
    check = 'error';
  } else {
    let pulledByKubelet = record.kind === 'present' || !!input.node.intent;
    if (record.kind === 'present' && input.node.loadedOutsideKubelet && !input.node.kubeletPulledName && !input.node.intent && !record.credentialMapping[name] && v.preloadedNameStaysPreloaded) {
      rule(rules, 'A7.preloaded-name', 'A7', 'the image was loaded outside the kubelet and this name was never pulled by it: it stays preloaded, although its content was pulled with credentials under another name');
      pulledByKubelet = false;
    }
    if (record.kind === 'none' && input.node.intent) rule(rules, 'A3.intent', 'A3, A7', 'an ImagePullIntent for this image string means the kubelet pulled it');
    const listed = policy === 'NeverVerifyAllowlistedImages' && allowlistMatches(k.allowlist ?? [], pod.image, v.trimAllowlistTag);
    if (!policyRequiresVerification(policy, pulledByKubelet, listed)) {
      rule(rules, policyRule('exempt', policy), 'A2, A4', policy === 'NeverVerify' ? 'NeverVerify never re-verifies a present image'
        : policy === 'NeverVerifyAllowlistedImages' ? 'the image matches the allowlist: never re-verified'
          : 'the kubelet did not pull this image (no record, no intent): preloaded images are exempt');
      mustPull = false;
      check = 'credentialPolicyAllowed';
    } else {
      rule(rules, policyRule('verify', policy), 'A2, A4', policy === 'AlwaysVerify' ? 'AlwaysVerify needs a matching credential record for every present image'
        : policy === 'NeverVerifyAllowlistedImages' ? 'the image is not on the allowlist: it is verified like under AlwaysVerify'
          : 'the kubelet pulled this image itself: the pod must have matching credentials');
      const entry = record.kind === 'present' ? record.credentialMapping[name] : undefined;
      if (facts.resolvesCredentialsFirst) {
        rule(rules, 'A3.credentials-first', 'A3, B4', `the ${k.version} kubelet resolves the pod's credentials (running a service-account plugin) before it consults the record (observed on v1.33.13; 1.34+ resolve them only when a record has credentials to compare)`);
        creds = resolveCredentials(input, facts, rules);
      }
      if (record.kind !== 'present') {
        rule(rules, 'A3.no-record', 'A3', 'there is no pulled record for the image: must authenticate');
        mustPull = true;
        check = 'mustAuthenticate';
      } else if (!entry) {
        rule(rules, 'A3.no-entry', 'A3', `the record has no credentials for ${name} (another name for the same content does not count)`);
        mustPull = true;
        check = 'mustAuthenticate';
      } else if (entry.nodePodsAccessible) {
        rule(rules, 'A3.node-accessible', 'A3, A5', 'the record says any pod on the node may use the image (nodePodsAccessible)');
        mustPull = false;
        check = 'credentialRecordFound';
      } else if (!entry.kubernetesSecrets?.length && !entry.kubernetesServiceAccounts?.length) {
        rule(rules, 'A3.empty-entry', 'A3, A7', 'the record for this name holds no credentials (an intent turned into a record at restart): must authenticate');
        mustPull = true;
        check = 'mustAuthenticate';
      } else {
        creds ??= resolveCredentials(input, facts, rules);
        const cached = entry.kubernetesSecrets ?? [];
        mustPull = true;
        check = 'mustAuthenticate';
        for (const c of creds.credentials) {
          if (c.kind !== 'secret') continue;
          const byHash = cached.find((s) => s.credentialHash !== '' && s.credentialHash === c.coordinates.credentialHash);
          if (byHash) {
            rule(rules, 'A3.hash-match', 'A3, A5', `secret ${c.coordinates.namespace}/${c.coordinates.name} has the same credential hash as a recorded secret`);
            mustPull = false;
            check = 'credentialRecordFound';
            if (secretKey(byHash) !== secretKey(c.coordinates) && !cached.some((s) => secretKey(s) === secretKey(c.coordinates)) && cached.length < limit) {
              rule(rules, 'A3.hash-match-append', 'A3', `fewer than ${limit} secrets are recorded: the new coordinates are added to the record`);
              recordAfter = { kind: 'entry', name, entry: mergeCredentials(entry, { kind: 'secret', coordinates: c.coordinates }) };
            }
            break;
          }
          const byCoordinates = cached.find((s) => secretKey(s) === secretKey(c.coordinates));
          if (byCoordinates) {
            if (cached.length < limit) {
              rule(rules, 'A3.coordinates-match', 'A3', `secret ${c.coordinates.namespace}/${c.coordinates.name} is the recorded secret (same uid) with new content, and fewer than ${limit} secrets are recorded: access granted and the hash replaced`);
              mustPull = false;
              check = 'credentialRecordFound';
              recordAfter = { kind: 'entry', name, entry: mergeCredentials(entry, { kind: 'secret', coordinates: c.coordinates }) };
              break;
            }
            rule(rules, 'A3.coordinates-limit', 'A3', `the recorded secret matches by coordinates only and ${cached.length} secrets are recorded (limit ${limit}): no access`);
          }
        }
        if (mustPull && creds.serviceAccount) {
          const sa = creds.serviceAccount;
          if ((entry.kubernetesServiceAccounts ?? []).some((a) => secretKey(a) === secretKey(sa))) {
            rule(rules, 'B6.sa-match', 'B6', `service account ${sa.namespace}/${sa.name} (same uid) is recorded`);
            mustPull = false;
            check = 'credentialRecordFound';
          }
        }
        if (mustPull) rule(rules, 'A3.no-match', 'A3, B6', 'none of the pod\'s credentials match the record: must authenticate');
      }
    }
  }

  if (!mustPull) {
    return { outcome: 'runs-cached', registryContact: false, stsExchanges: creds?.stsExchanges ?? 0, event: alreadyPresent, record: recordAfter, mustPullCheck: facts.imageManagerMetrics ? check : undefined };
  }
  if (pod.pullPolicy === 'Never') {
    rule(rules, 'A3.never-must-pull', 'A3', 'verification is needed but the pull policy is Never: ErrImageNeverPull, worded as for an absent image');
    return { ...neverPull(), stsExchanges: creds?.stsExchanges ?? 0, mustPullCheck: facts.imageManagerMetrics ? check : undefined };
  }
  rule(rules, 'A3.reverify', 'A3, A4', 'IfNotPresent and verification needed: the runtime pulls with the pod\'s credentials (the manifest is re-checked, layers are not downloaded again)');
  creds ??= resolveCredentials(input, facts, rules);
  const d = pull(input, creds, true, true, rules);
  if (record.kind === 'unreadable' && d.record.kind === 'entry') {
    rule(rules, 'A6.rewrite', 'A6', 'a read error counts as "no record": the successful pull writes a new record');
    d.record = { kind: 'entry', name, entry: mergeCredentials(undefined, d.pulledWith?.kind === 'secret' ? { kind: 'secret', coordinates: d.pulledWith.coordinates } : d.pulledWith?.kind === 'provider-service-account' ? { kind: 'service-account', serviceAccount: d.pulledWith.serviceAccount } : { kind: 'node' }) };
  }
  return { ...d, mustPullCheck: facts.imageManagerMetrics ? check : undefined };
}

function bugRef(issue: number, d: Decision): KnownBugRef {
  return { issue, title: knownBug(issue).title, outcome: d.outcome, cause: d.cause, ...(d.mustPullCheck ? { mustPullCheck: d.mustPullCheck } : {}) };
}

/**
 * Whether the kubelet accepts its configuration (gates, policy, allowlist, credential provider), without
 * a pod: the refusal (or not-applicable) prediction, or undefined when it starts.
 */
export function predictConfiguration(input: Pick<OracleInput, 'kubelet' | 'provider'>): Prediction | undefined {
  const rules: Rules = [];
  const facts = factsOf(input.kubelet.version);
  if (!facts) return notApplicable(rules, `pullproof does not model kubelet ${input.kubelet.version}`);
  const probe: OracleInput = { ...input, node: { present: false, record: { kind: 'none' } }, pod: { namespace: '', image: 'x.example/probe', pullPolicy: 'Never', secrets: [] }, registry: { up: true, anonymousReadable: false } };
  return validate(probe, facts, rules);
}

/** The prediction for one pod start. */
export function predict(input: OracleInput): Prediction {
  const rules: Rules = [];
  const facts = factsOf(input.kubelet.version);
  if (!facts) return notApplicable(rules, `pullproof does not model kubelet ${input.kubelet.version}`);
  if (!normalizeImage(input.pod.image)) return notApplicable(rules, `"${input.pod.image}" is not a valid image reference`);
  const refused = validate(input, facts, rules);
  if (refused) return refused;
  const espOn = !!facts.ensureSecretPulledImages && gateOn(input.kubelet.version, ENSURE_SECRET_PULLED_IMAGES, input.kubelet.gates);
  if (espOn && input.node.editedWithoutRestart && facts.recordCache) {
    return notApplicable(rules, `records were edited on disk without a kubelet restart; the ${input.kubelet.version} kubelet reads them through its in-memory cache (A8): restart it after editing`);
  }

  const d = decide(input, facts, SPECIFIED, rules);
  const prediction: Prediction = { ...d, rules };

  // Known bugs: the same decision under the buggy behaviour; only where it changes the outcome.
  const runtime = input.runtime ?? { name: 'containerd' as const, version: '' };
  const v = input.kubelet.version;
  const alternatives: { issue: number; variant: Variant; when: boolean }[] = [
    { issue: 137629, variant: { ...SPECIFIED, trimAllowlistTag: false }, when: !facts.allowlistTrimsTag && bugApplies(137629, v, runtime) },
    { issue: 138175, variant: { ...SPECIFIED, preloadedNameStaysPreloaded: false }, when: bugApplies(138175, v, runtime) },
    { issue: 137024, variant: { ...SPECIFIED, recordsFound: false }, when: bugApplies(137024, v, runtime) },
  ];
  for (const alt of alternatives) {
    if (!alt.when || prediction.knownBug) continue;
    const buggy = decide(input, facts, alt.variant, []);
    if (buggy.outcome !== d.outcome || buggy.cause !== d.cause) {
      prediction.knownBug = bugRef(alt.issue, buggy);
      rules.push({ id: `bug.${alt.issue}`, section: knownBug(alt.issue).section, text: `known bug kubernetes#${alt.issue}: ${knownBug(alt.issue).title}; the ${v} kubelet is expected to show ${buggy.outcome}${buggy.cause ? ` (${buggy.cause})` : ''} instead` });
    }
  }
  const mp = input.kubelet.maxParallelImagePulls;
  if (!prediction.knownBug && espOn && mp !== undefined && mp > MAX_PARALLEL_IMAGE_PULLS_STRIPES && bugApplies(138935, v, runtime) && input.pod.pullPolicy !== 'Never') {
    prediction.knownBug = { issue: 138935, title: knownBug(138935).title, outcome: 'kubelet-crashes' };
    rules.push({ id: 'bug.138935', section: knownBug(138935).section, text: `known bug kubernetes#138935: with maxParallelImagePulls ${mp} (> ${MAX_PARALLEL_IMAGE_PULLS_STRIPES}) the ${v} kubelet may panic in StripedLockSet.Lock` });
  }
  const uncertain: string[] = [];
  if (prediction.record.kind === 'entry' && rules.some((r) => r.id === 'B6.sa-not-recorded')) uncertain.push('B6/A5: how a 1.33 kubelet records service-account-mode credentials (inferred: nodePodsAccessible)');
  if (rules.some((r) => r.id === 'A3.record-unreadable') && (input.kubelet.policy === 'NeverVerify')) uncertain.push('A3/A6: an unreadable record forces a pull even under NeverVerify (read from the order of MustAttemptImagePull)');
  if (uncertain.length) prediction.uncertain = uncertain;
  return prediction;
}
