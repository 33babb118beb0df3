// The oracle of the specified behaviour: pure functions of the kubelet version, its configuration,
// the image's state on the node and the pod's credentials (no I/O, no clock).
export { predict, predictConfiguration, mergeCredentials, POLICIES, DEFAULT_RECORDED_SECRETS_LIMIT } from './predict.ts';
export { allowlistEntryProblem, allowlistMatches } from './allowlist.ts';
export { imageNameOf, normalizeImage } from './names.ts';
export { KNOWN_BUGS, bugApplies, knownBug, type KnownBug } from './known-bugs.ts';
export type * from './types.ts';
