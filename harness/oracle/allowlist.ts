// preloadedImagesVerificationAllowlist: the kubelet's validation (validation.go, getAllowlistImagePattern)
// and matching (image_pull_policies.go), kubelet-features.md A2. Messages are the kubelet's own words
// where the spec quotes them.
import { normalizeImage } from './names.ts';

/** Why the kubelet rejects an allowlist entry, or undefined when it accepts it. */
export function allowlistEntryProblem(entry: string): string | undefined {
  if (entry !== entry.trim()) return `invalid preloadedImagesVerificationAllowlist entry ${JSON.stringify(entry)}: leading or trailing whitespace`;
  if (entry === '' || entry === '*' || entry === '/*') return `invalid preloadedImagesVerificationAllowlist entry ${JSON.stringify(entry)}: would match every image`;
  if (entry.includes('*')) {
    if (!entry.endsWith('/*') || entry.indexOf('*') !== entry.length - 1) return `invalid preloadedImagesVerificationAllowlist entry ${JSON.stringify(entry)}: wildcards are only allowed as a trailing full path segment "/*"`;
    return undefined;
  }
  if (entry.endsWith('/')) return `invalid preloadedImagesVerificationAllowlist entry ${JSON.stringify(entry)}: trailing "/"`;
  const n = normalizeImage(entry);
  // ParseNormalizedNamed(entry).Name() must equal the entry: no tag or digest, fully qualified.
  if (!n || n.tag !== undefined || n.digest !== undefined || n.name !== entry) {
    return `invalid preloadedImagesVerificationAllowlist entry ${JSON.stringify(entry)}: neither tag nor digest is accepted in an image reference`;
  }
  return undefined;
}

/**
 * Whether an image matches the allowlist. `normalise`: the kubelet normalises the pod's image name
 * (ParseNormalizedNamed(...).Name(): familiar names expanded, tag and digest dropped) before matching
 * (v1.36.0+, kubernetes#137629). Older kubelets compare the image string as the kubelet holds it (with
 * its default tag applied, ":latest" when none): a "/*" prefix still matches, but an exact entry (which
 * may carry no tag) never equals a tagged image, and a familiar name never starts with a registry host.
 * Observed on v1.35.4: an exact entry for a preloaded image did not exempt it (docs/engine.md).
 */
export function allowlistMatches(allowlist: readonly string[], image: string, normalise: boolean): boolean {
  const n = normalizeImage(image);
  let candidate: string;
  if (normalise) {
    candidate = n?.name ?? image;
  } else {
    candidate = image;
    if (n && n.tag === undefined && n.digest === undefined) candidate = `${image}:latest`;
  }
  return allowlist.some((e) => (e.endsWith('/*') ? candidate.startsWith(e.slice(0, -1)) : candidate === e));
}
