// preloadedImagesVerificationAllowlist: the kubelet's validation (validation.go, getAllowlistImagePattern)
// and matching (image_pull_policies.go), docs/specification.md A2. Messages are the kubelet's own words
// where the spec quotes them.
import { normalizeImage } from './names.ts';

/**
 * Why the kubelet rejects an allowlist entry, or undefined when it accepts it. `unnormalised`: the entry is
 * parsed as written (v1.36.0+, #137629: familiar names such as nginx are accepted); before, it had to be
 * fully qualified (ParseNormalizedNamed(entry).Name() equal to the entry).
 */
export function allowlistEntryProblem(entry: string, unnormalised = false): string | undefined {
  if (entry !== entry.trim()) return `invalid preloadedImagesVerificationAllowlist entry ${JSON.stringify(entry)}: leading or trailing whitespace`;
  if (entry === '' || entry === '*' || entry === '/*') return `invalid preloadedImagesVerificationAllowlist entry ${JSON.stringify(entry)}: would match every image`;
  if (entry.includes('*')) {
    if (!entry.endsWith('/*') || entry.indexOf('*') !== entry.length - 1) return `invalid preloadedImagesVerificationAllowlist entry ${JSON.stringify(entry)}: wildcards are only allowed as a trailing full path segment "/*"`;
    return undefined;
  }
  if (entry.endsWith('/')) return `invalid preloadedImagesVerificationAllowlist entry ${JSON.stringify(entry)}: trailing "/"`;
  const n = normalizeImage(entry);
  // No tag or digest; before 1.36 also fully qualified (ParseNormalizedNamed(entry).Name() == entry).
  if (!n || n.tag !== undefined || n.digest !== undefined || (!unnormalised && n.name !== entry)) {
    return `invalid preloadedImagesVerificationAllowlist entry ${JSON.stringify(entry)}: neither tag nor digest is accepted in an image reference`;
  }
  return undefined;
}

/**
 * Whether an image matches the allowlist. `trimTag`: the kubelet trims the tag and digest off the pod's
 * image as written (trimImageTagDigest, v1.36.0+, kubernetes#137629) and compares that, not normalised:
 * a familiar name (org/app:v1) matches a familiar entry (org/app) but not docker.io/org/app.
 * Older kubelets compare the image string as the kubelet holds it (with its default tag applied,
 * ":latest" when none): a "/*" prefix still matches, but an exact entry (which may carry no tag) never
 * equals a tagged image. Observed on v1.35.4 (an exact entry did not exempt a preloaded image) and on
 * v1.37.2 (a familiar name was not exempted by docker.io/ppfamiliar/*).
 */
export function allowlistMatches(allowlist: readonly string[], image: string, trimTag: boolean): boolean {
  const n = normalizeImage(image);
  let candidate: string;
  if (trimTag) {
    candidate = image;
    if (n?.digest !== undefined && candidate.endsWith(`@${n.digest}`)) candidate = candidate.slice(0, -(n.digest.length + 1));
    if (n?.tag !== undefined && candidate.endsWith(`:${n.tag}`)) candidate = candidate.slice(0, -(n.tag.length + 1));
  } else {
    candidate = image;
    if (n && n.tag === undefined && n.digest === undefined) candidate = `${image}:latest`;
  }
  return allowlist.some((e) => (e.endsWith('/*') ? candidate.startsWith(e.slice(0, -1)) : candidate === e));
}
