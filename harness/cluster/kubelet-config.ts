// Per-node KubeletConfiguration: the settings a scenario puts on one node (gates, the image pull
// credential verification policy, its allowlist, image pull parallelism, failCgroupV1), applied to that
// node's /var/lib/kubelet/config.yaml. The kubelet's own validation rules are checked here first, so a
// bad setting is a clear usage error instead of a kubelet that never comes back.
import { parseDocument } from 'yaml';
import { UsageError } from '../errors.ts';
import { ENSURE_SECRET_PULLED_IMAGES, gateEnabled, type GateInfo } from './gates.ts';
import { minorOf } from '../oracle/versions.ts';

export const POLICIES = ['NeverVerify', 'NeverVerifyPreloadedImages', 'NeverVerifyAllowlistedImages', 'AlwaysVerify'] as const;
export type VerificationPolicy = (typeof POLICIES)[number];

export interface KubeletSettings {
  featureGates?: Record<string, boolean>;
  imagePullCredentialsVerificationPolicy?: VerificationPolicy;
  preloadedImagesVerificationAllowlist?: string[];
  maxParallelImagePulls?: number;
  serializeImagePulls?: boolean;
  failCgroupV1?: boolean;
}

export interface KubeletTarget {
  /** e.g. v1.35.4 */
  version: string;
  gates: Map<string, GateInfo>;
  cgroupV1: boolean;
}

/** kubernetes#138935: the striped lock set is clamped to 31 stripes but indexed by the requested size. */
export const MAX_PARALLEL_IMAGE_PULLS = 31;

function minor(version: string): number {
  return minorOf(version);
}

/**
 * The kubelet's allowlist rules (validation.go, getAllowlistImagePattern), with the field and the fix.
 * From 1.36 (kubernetes#137629) an exact entry is parsed as written, so a familiar name (nginx, org/app)
 * is accepted; before, it had to be fully qualified.
 */
export function validateAllowlistEntry(entry: string, field: string, version = 'v1.35.4'): void {
  const bad = (problem: string, fix: string): never => {
    throw new UsageError(field, `"${entry}" ${problem}`, fix);
  };
  if (entry !== entry.trim()) bad('has leading or trailing whitespace', 'remove the whitespace');
  if (entry === '' || entry === '*' || entry === '/*') bad('would match everything', 'name a registry, organisation or repository, e.g. registry.example/org/*');
  if (entry.includes('*') && !(entry.endsWith('/*') && entry.indexOf('*') === entry.length - 1)) {
    bad('has a wildcard that is not a trailing "/*" path segment', 'use a full path segment wildcard such as registry.example/org/*');
  }
  const name = entry.endsWith('/*') ? entry.slice(0, -2) : entry;
  if (!entry.endsWith('/*')) {
    if (/@sha256:|:[^/]*$/.test(name.replace(/^[^/]*\//, 'x/'))) bad('has a tag or digest', 'list repositories without tag or digest');
    const first = name.split('/')[0] ?? '';
    if (minor(version) < 36 && (!name.includes('/') || !(first.includes('.') || first.includes(':') || first === 'localhost'))) {
      bad('is not a fully qualified repository (the kubelet normalises "nginx" to docker.io/library/nginx and then rejects it)', 'write the registry host too, e.g. docker.io/library/nginx');
    }
  }
}

/** Returns the new config.yaml text; throws UsageError for settings this kubelet would reject. */
export function applyKubeletSettings(configYaml: string, s: KubeletSettings, target: KubeletTarget, field: string): string {
  const doc = parseDocument(configYaml);
  const gates = { ...((doc.get('featureGates') as { toJSON?: () => Record<string, boolean> } | undefined)?.toJSON?.() ?? {}), ...(s.featureGates ?? {}) };
  const ensureOn = gateEnabled(ENSURE_SECRET_PULLED_IMAGES, gates, target.gates);
  const policyFieldsKnown = minor(target.version) >= 33;

  if (s.imagePullCredentialsVerificationPolicy !== undefined) {
    if (!POLICIES.includes(s.imagePullCredentialsVerificationPolicy)) {
      throw new UsageError(`${field}.imagePullCredentialsVerificationPolicy`, `"${s.imagePullCredentialsVerificationPolicy}" is not a policy`, `use one of ${POLICIES.join(', ')}`);
    }
    if (!policyFieldsKnown || !ensureOn) {
      throw new UsageError(`${field}.imagePullCredentialsVerificationPolicy`,
        `must not be set while ${ENSURE_SECRET_PULLED_IMAGES} is off on this ${target.version} kubelet (it would refuse to start)`,
        policyFieldsKnown ? `turn the gate on for this node or drop the policy` : 'the policy exists from 1.33 kubelets; drop it for this node');
    }
  }
  if (s.preloadedImagesVerificationAllowlist !== undefined) {
    const policy = s.imagePullCredentialsVerificationPolicy ?? (doc.get('imagePullCredentialsVerificationPolicy') as string | undefined);
    if (policy !== 'NeverVerifyAllowlistedImages') {
      throw new UsageError(`${field}.preloadedImagesVerificationAllowlist`, 'is only valid with imagePullCredentialsVerificationPolicy NeverVerifyAllowlistedImages', 'set that policy on this node, or drop the allowlist');
    }
    s.preloadedImagesVerificationAllowlist.forEach((e, i) => validateAllowlistEntry(e, `${field}.preloadedImagesVerificationAllowlist[${i}]`, target.version));
  }
  // The kubelet's ValidateKubeletConfiguration (found by the differential test against its code).
  if (s.maxParallelImagePulls !== undefined && s.maxParallelImagePulls < 1) {
    throw new UsageError(`${field}.maxParallelImagePulls`, `${s.maxParallelImagePulls} must be a positive number (the kubelet refuses to start)`, 'use 1 or more, or leave it unset');
  }
  if (s.maxParallelImagePulls !== undefined && s.maxParallelImagePulls > 1 && s.serializeImagePulls === true) {
    throw new UsageError(`${field}.maxParallelImagePulls`, `${s.maxParallelImagePulls} cannot be larger than 1 while serializeImagePulls is true (the kubelet refuses to start)`, 'set serializeImagePulls: false, or maxParallelImagePulls: 1');
  }
  if (s.failCgroupV1 === true && target.cgroupV1 && minor(target.version) >= 31) {
    throw new UsageError(`${field}.failCgroupV1`, 'is true on a cgroup v1 host: the kubelet refuses to run ("kubelet is configured to not run on a host using cgroup v1")', 'set failCgroupV1: false on this host, or use a cgroup v2 host');
  }
  if (s.maxParallelImagePulls !== undefined && s.maxParallelImagePulls > MAX_PARALLEL_IMAGE_PULLS && ensureOn) {
    throw new UsageError(`${field}.maxParallelImagePulls`, `${s.maxParallelImagePulls} crashes kubelets with ${ENSURE_SECRET_PULLED_IMAGES} on (kubernetes#138935: index out of range in StripedLockSet)`,
      `use at most ${MAX_PARALLEL_IMAGE_PULLS}`);
  }

  if (Object.keys(gates).length) doc.set('featureGates', gates);
  for (const key of ['imagePullCredentialsVerificationPolicy', 'preloadedImagesVerificationAllowlist', 'maxParallelImagePulls', 'serializeImagePulls'] as const) {
    if (s[key] !== undefined) doc.set(key, s[key]);
  }
  if (s.maxParallelImagePulls !== undefined && s.maxParallelImagePulls > 1 && s.serializeImagePulls === undefined) doc.set('serializeImagePulls', false);
  if (!ensureOn || !policyFieldsKnown) {
    // A kubelet with the gate off (or too old to know the fields) refuses to start when they are set.
    doc.delete('imagePullCredentialsVerificationPolicy');
    doc.delete('preloadedImagesVerificationAllowlist');
  }
  const failCgroupV1 = s.failCgroupV1 ?? (target.cgroupV1 && minor(target.version) >= 31 ? false : undefined);
  if (failCgroupV1 !== undefined) {
    if (minor(target.version) < 31) doc.delete('failCgroupV1');
    else doc.set('failCgroupV1', failCgroupV1);
  }
  return doc.toString();
}
