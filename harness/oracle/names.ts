// Image names as the kubelet sees them: distribution/reference's ParseNormalizedNamed(...).Name()
// (familiar names expanded: "alpine" -> docker.io/library/alpine, "org/app" -> docker.io/org/app;
// tag and digest dropped). Used for the credentialMapping key (A3 step 4, A5) and allowlist matching (A2).

export interface ImageName {
  /** registry host[:port], e.g. docker.io */
  domain: string;
  /** repository path, e.g. library/alpine */
  path: string;
  /** domain/path: the normalised name without tag or digest */
  name: string;
  tag?: string;
  digest?: string;
}

const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const DEFAULT_DOMAIN = 'docker.io';

/** Splits and normalises an image reference; returns undefined for what the parser rejects (empty, upper case path, spaces). */
export function normalizeImage(ref: string): ImageName | undefined {
  if (!ref || /\s/.test(ref)) return undefined;
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  let domain: string;
  let path: string;
  const i = rest.indexOf('/');
  const first = i < 0 ? '' : rest.slice(0, i);
  if (i < 0 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)) {
    domain = DEFAULT_DOMAIN;
    path = rest;
  } else {
    domain = first;
    path = rest.slice(i + 1);
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !path.includes('/')) path = `library/${path}`;
  if (!path || path !== path.toLowerCase() || path.split('/').some((c) => c === '')) return undefined;
  return { domain, path, name: `${domain}/${path}`, tag, digest };
}

/** The normalised name without tag or digest, or the input unchanged when it does not parse. */
export function imageNameOf(ref: string): string {
  return normalizeImage(ref)?.name ?? ref;
}
