// The oracle's input and output. The input describes one pod start on one node completely (kubelet,
// configuration, the image's state on the node, the pod's credentials, the credential provider, the
// registry and STS), in the values the kubelet compares: names, uids and credential hashes. Scenarios
// build these from symbols (`uid(secret s1, generation 1)`), so a plan is predicted without a cluster
// and the executor maps the symbols to the real objects it creates.
import type { VerificationPolicy } from '../cluster/kubelet-config.ts';

export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';
export type { VerificationPolicy };

/** A secret as the pull record stores it (A5): coordinates plus the hash of the credentials. */
export interface SecretCoordinates {
  uid: string;
  namespace: string;
  name: string;
  credentialHash: string;
}

export interface ServiceAccountCoordinates {
  uid: string;
  namespace: string;
  name: string;
}

/** One credentialMapping entry of an ImagePulledRecord (A6), for one normalised image name. */
export interface CredentialEntry {
  kubernetesSecrets?: SecretCoordinates[];
  kubernetesServiceAccounts?: ServiceAccountCoordinates[];
  nodePodsAccessible?: boolean;
}

export interface KubeletModel {
  /** What `kubelet --version` says, e.g. v1.35.4. */
  version: string;
  /** Feature gates set explicitly in the kubelet's configuration (unset gates take the version's default). */
  gates: Record<string, boolean>;
  /** Set explicitly; unset takes the default (NeverVerifyPreloadedImages when the gate is on). */
  policy?: string;
  allowlist?: string[];
  maxParallelImagePulls?: number;
  /** Limits the kubelet hard-codes, as inputs so a changed kubelet build can be predicted too. */
  limits?: {
    /** writeRecordWhileMatchingLimit (A3 step 5): coordinate matches and record updates need fewer recorded secrets than this. Upstream: 100. */
    recordedSecretsLimit?: number;
  };
}

export interface RuntimeModel {
  name: 'containerd' | 'cri-o';
  version: string;
}

/** The image's state on the node, for the imageRef the pod's image resolves to. */
export interface NodeImageState {
  /** The pod's image string resolves to an image in the CRI (GetImageRef). */
  present: boolean;
  /** Other names the runtime has for the same content (another tag, the digest), when the pod's name is not one of them. */
  otherNames?: string[];
  /** The content was loaded outside the kubelet (kind load, ctr import, pre-baked) before any kubelet pull. */
  loadedOutsideKubelet?: boolean;
  /** The kubelet itself pulled (or began to pull: an intent) the image under this very name. */
  kubeletPulledName?: boolean;
  /** The pulled record for the imageRef: absent, unreadable (corrupt, foreign, unknown version), or its credentialMapping. */
  record: { kind: 'none' } | { kind: 'unreadable' } | { kind: 'present'; credentialMapping: Record<string, CredentialEntry> };
  /** An ImagePullIntent file exists for the pod's exact image string. */
  intent?: boolean;
  /** Records were edited on disk and the kubelet has not restarted since (1.35+ reads them through a cache). */
  editedWithoutRestart?: boolean;
}

/** A pull secret the pod names, as the kubelet resolves it. */
export interface PodSecret {
  /** Coordinates and hash (of the auth entry that matches the image's registry). */
  coordinates: SecretCoordinates;
  /** Its auth entry matches the image's registry host (a secret for another registry gives no credentials for this image). */
  matchesRegistry: boolean;
  /** The registry accepts these credentials for this image's repository. */
  registryAccepts: boolean;
}

export interface PodModel {
  namespace: string;
  image: string;
  pullPolicy: PullPolicy;
  /** Pull secrets that exist (missing ones are not listed here). */
  secrets: PodSecret[];
  /** Names of pull secrets the pod lists that do not exist. */
  missingSecrets?: string[];
  serviceAccount?: ServiceAccountCoordinates & { annotations?: Record<string, string> };
}

/** A KEP-4412 credential provider (exec plugin) configured on the node. */
export interface ProviderModel {
  /** Its matchImages match the pod's image. */
  matchesImage: boolean;
  /** Problems the kubelet's config validation would report (empty: valid). */
  configProblems?: string[];
  /** Service-account mode (tokenAttributes set); otherwise the provider gives node-wide credentials. */
  serviceAccountMode: boolean;
  audience?: string;
  cacheType?: 'Token' | 'ServiceAccount';
  requireServiceAccount?: boolean;
  requiredAnnotations?: string[];
  optionalAnnotations?: string[];
  /** Seconds the kubelet caches the plugin's answer (the response's cacheDuration, else defaultCacheDuration). */
  cacheDurationSeconds: number;
  /** RBAC lets nodes request tokens for the audience (needed while ServiceAccountNodeAudienceRestriction is on). */
  audienceGranted?: boolean;
  /** The STS exchanges this service account's token for credentials the registry accepts for this repository. */
  stsGrants: boolean;
  /** The credentials of a non-service-account provider are accepted by the registry. */
  staticAccepted?: boolean;
  /** A cached answer for this pod's service account (cacheType ServiceAccount; same uid and annotations), with its age. */
  cachedAnswerAgeSeconds?: number;
}

export interface OracleInput {
  kubelet: KubeletModel;
  apiServer?: { version: string; serviceAccountNodeAudienceRestriction?: boolean };
  runtime?: RuntimeModel;
  node: NodeImageState;
  pod: PodModel;
  provider?: ProviderModel;
  /** Node-wide credentials in the kubelet's own docker config (/var/lib/kubelet/config.json). */
  nodeCredentials?: { matchesImage: boolean; accepted: boolean };
  registry: {
    up: boolean;
    /** The repository is readable without credentials (public/*, the node mirror). */
    anonymousReadable: boolean;
    /** The image exists in the registry under the name the pod uses. */
    hasImage?: boolean;
  };
  sts?: { up: boolean };
}

export type Outcome =
  /** Runs from the node's cache; no registry contact for the image. */
  | 'runs-cached'
  /** Runs after the registry was contacted (re-verification of a present image, or pull policy Always). */
  | 'reverifies-runs'
  /** The image was absent; it is pulled and runs. */
  | 'pulls-runs'
  /** The pull fails: ErrImagePull, then ImagePullBackOff. */
  | 'pull-fails'
  /** Refused without a pull: ErrImageNeverPull. */
  | 'never-pull'
  /** Not started: an init container before it did not complete (its image was refused). */
  | 'not-started'
  /** The kubelet refuses its configuration and does not start. */
  | 'config-refused'
  /** The kubelet crashes (a panic) instead of deciding; only ever a known bug's outcome. */
  | 'kubelet-crashes'
  | 'not-applicable';

/** Why a pull fails, as the registry's requests show it. */
export type PullFailureCause = 'denied' | 'unreachable' | 'not-found' | 'no-credentials';

export interface RuleRef {
  /** Stable id, e.g. A4.ifnotpresent.other */
  id: string;
  /** The chapter(s) of docs/specification.md, e.g. A4 (the rule's own section there is its id) */
  section: string;
  /** One sentence: what the rule says and why it applies here. */
  text: string;
}

export interface ExpectedEvent {
  /** Event reason, e.g. Pulled, Failed, ErrImageNeverPull. */
  reason: string;
  /** Text the message must contain. */
  contains: string;
}

/** The record for the image name after the pod start: unchanged, or exactly this entry. */
export type ExpectedRecord =
  | { kind: 'unchanged' }
  | { kind: 'none' }
  | { kind: 'entry'; name: string; entry: CredentialEntry };

export interface KnownBugRef {
  issue: number;
  title: string;
  /** What the buggy kubelet does instead. */
  outcome: Outcome;
  cause?: PullFailureCause;
  /** The image manager's must-pull counter the buggy kubelet increments instead (1.35+). */
  mustPullCheck?: Prediction['mustPullCheck'];
}

export interface Prediction {
  outcome: Outcome;
  /** For pull-fails. */
  cause?: PullFailureCause;
  /** For not-applicable and config-refused: why, in the kubelet's words where it has some. */
  reason?: string;
  /** Whether the registry sees a manifest request for the image (a verification or pull). */
  registryContact: boolean;
  /** Which identity the accepted registry request uses: anonymous, a secret's coordinates, the provider. */
  pulledWith?: { kind: 'secret'; coordinates: SecretCoordinates } | { kind: 'anonymous' } | { kind: 'provider-static' } | { kind: 'node-config' } | { kind: 'provider-service-account'; serviceAccount: ServiceAccountCoordinates };
  /** STS exchanges this pod start causes (0 when the plugin is not run or answers from its cache). */
  stsExchanges?: number;
  /** The kubelet event that shows the decision. */
  event?: ExpectedEvent;
  record: ExpectedRecord;
  /** kubelet_imagemanager_image_mustpull_checks_total result label this start increments (1.35+, gate on, image present). */
  mustPullCheck?: 'credentialPolicyAllowed' | 'credentialRecordFound' | 'mustAuthenticate' | 'error';
  /** The rules applied, in order. */
  rules: RuleRef[];
  /** Set when a known kubelet bug applies: the specified outcome above, the buggy one here. */
  knownBug?: KnownBugRef;
  /** Facts the spec marks UNCERTAIN that this prediction relies on. */
  uncertain?: string[];
}
