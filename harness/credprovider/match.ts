// The kubelet's image matching (pkg/credentialprovider/keyring.go): `matchImages` patterns and the
// `auth` keys of a plugin response are schemeless URLs parsed as "https://" + text by Go's url.Parse;
// a pattern matches an image when the ports are identical (including "no port"), the hosts have the
// same number of dot-separated labels, each label matches with path/filepath.Match, and the pattern's
// path is a plain string prefix of the image's path. No globs in ports or paths.

export interface SchemelessUrl {
  host: string;
  path: string;
}

const HOST_SAFE = /^[A-Za-z0-9\-_.~!$&'()*+,;=:[\]<>"\u0080-\u{10FFFF}]$/u;

function goParseError(raw: string, problem: string): Error {
  return new Error(`parse ${JSON.stringify(`https://${raw}`)}: ${problem}`);
}

function checkEscapes(raw: string, part: string): void {
  for (let i = 0; i < part.length; i++) {
    if (part[i] !== '%') continue;
    const hex = part.slice(i + 1, i + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw goParseError(raw, `invalid URL escape ${JSON.stringify(part.slice(i, i + 3))}`);
  }
}

/** Go's url.Parse("https://" + text) reduced to what matching uses; throws with Go's wording on the errors it reports. */
export function parseSchemelessUrl(text: string): SchemelessUrl {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(text)) throw goParseError(text, 'net/url: invalid control character in URL');
  let rest = text.split('#', 1)[0] ?? '';
  rest = rest.split('?', 1)[0] ?? '';
  const slash = rest.indexOf('/');
  let authority = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? '' : rest.slice(slash);
  const at = authority.lastIndexOf('@');
  if (at >= 0) authority = authority.slice(at + 1);
  const host = authority;
  // Go's parseHost: "[" only opens an IP literal at the very start (go1.24.8 / go1.25.2 and later).
  if (host.lastIndexOf('[') > 0) throw goParseError(text, 'invalid IP-literal');
  if (host.startsWith('[')) {
    const close = host.lastIndexOf(']');
    if (close < 0) throw goParseError(text, "missing ']' in host");
    const port = host.slice(close + 1);
    if (port !== '' && !/^:\d*$/.test(port)) throw goParseError(text, `invalid port ${JSON.stringify(port)} after host`);
  } else {
    const colon = host.lastIndexOf(':');
    if (colon >= 0) {
      const port = host.slice(colon);
      if (!/^:\d*$/.test(port)) throw goParseError(text, `invalid port ${JSON.stringify(port)} after host`);
    }
    if (host.includes('%')) throw goParseError(text, `invalid URL escape ${JSON.stringify(host.slice(host.indexOf('%'), host.indexOf('%') + 3))}`);
    for (const ch of host) {
      if (!HOST_SAFE.test(ch)) throw goParseError(text, `invalid character ${JSON.stringify(ch)} in host name`);
    }
  }
  checkEscapes(text, path);
  return { host, path: decodeURIComponentSafe(path) };
}

function decodeURIComponentSafe(p: string): string {
  try {
    return decodeURIComponent(p);
  } catch {
    return p;
  }
}

/** net.SplitHostPort as keyring.SplitURL uses it: on error the whole host and no port. */
function splitUrl(u: SchemelessUrl): { labels: string[]; port: string } {
  let host = u.host;
  let port = '';
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    if (end > 0 && host[end + 1] === ':') {
      port = host.slice(end + 2);
      host = host.slice(1, end);
    }
  } else {
    const colon = host.lastIndexOf(':');
    if (colon >= 0 && host.indexOf(':') === colon) {
      port = host.slice(colon + 1);
      host = host.slice(0, colon);
    }
  }
  return { labels: host.split('.'), port };
}

export class BadPatternError extends Error {
  constructor(pattern: string) {
    super(`syntax error in pattern ${JSON.stringify(pattern)}`);
    this.name = 'BadPatternError';
  }
}

/** Escapes a character for a regular expression in unicode mode ("\\-" is valid only inside a class). */
function escapeRegExp(ch: string, inClass = false): string {
  return ch.replace(inClass ? /[\\^$.*+?()[\]{}|/-]/g : /[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

/** A literal character outside a class: `\-` is a syntax error there under the `u` flag (any host with a hyphen). */
function literal(ch: string): string {
  return ch === '-' ? '-' : escapeRegExp(ch);
}

/** Go's path/filepath.Match (Unix): `*`, `?`, `[...]` classes with ranges and `^`, `\` escapes. */
export function goGlobToRegExp(pattern: string): RegExp {
  const chars = [...pattern];
  let re = '';
  let i = 0;
  const bad = (): never => {
    throw new BadPatternError(pattern);
  };
  const escaped = (): string => {
    let c = chars[i];
    if (c === undefined || c === '-' || c === ']') bad();
    if (c === '\\') {
      i++;
      c = chars[i];
      if (c === undefined) bad();
    }
    i++;
    return c as string;
  };
  while (i < chars.length) {
    const c = chars[i] as string;
    if (c === '*') {
      re += '[^/]*';
      i++;
    } else if (c === '?') {
      re += '[^/]';
      i++;
    } else if (c === '\\') {
      i++;
      const next = chars[i];
      if (next === undefined) bad();
      re += literal(next as string);
      i++;
    } else if (c === '[') {
      i++;
      let cls = '';
      if (chars[i] === '^') {
        cls += '^';
        i++;
      }
      let ranges = 0;
      for (;;) {
        if (i >= chars.length) bad();
        if (chars[i] === ']' && ranges > 0) {
          i++;
          break;
        }
        const lo = escaped();
        let hi = lo;
        if (chars[i] === '-') {
          i++;
          hi = escaped();
          if ((hi.codePointAt(0) ?? 0) < (lo.codePointAt(0) ?? 0)) bad();
        }
        cls += hi === lo ? escapeRegExp(lo, true) : `${escapeRegExp(lo, true)}-${escapeRegExp(hi, true)}`;
        ranges++;
      }
      re += `[${cls}]`;
    } else {
      re += literal(c);
      i++;
    }
  }
  return new RegExp(`^${re}$`, 'u');
}

export function goGlobMatch(pattern: string, name: string): boolean {
  return goGlobToRegExp(pattern).test(name);
}

/** keyring.URLsMatchStr: does the pattern (a matchImages entry or an auth key) cover the image? Throws on a bad glob. */
export function urlsMatch(pattern: string, image: string): boolean {
  const g = parseSchemelessUrl(pattern);
  const t = parseSchemelessUrl(image);
  const gs = splitUrl(g);
  const ts = splitUrl(t);
  if (gs.port !== ts.port) return false;
  if (gs.labels.length !== ts.labels.length) return false;
  if (!t.path.startsWith(g.path)) return false;
  return gs.labels.every((label, k) => goGlobMatch(label, ts.labels[k] as string));
}

/** The key a response's `auth` entry is filed under (BasicDockerKeyring.Add): no scheme, no /v1/ or /v2/ prefix. */
export function normalizeAuthKey(loc: string): string {
  const value = loc.replace(/^https?:\/\//, '');
  const u = parseSchemelessUrl(value);
  let path = u.path;
  if (path.startsWith('/v2/') || path.startsWith('/v1/')) path = path.slice(3);
  return path.length > 0 && path !== '/' ? u.host + path : u.host;
}

/** keyring.isDefaultRegistryMatch: would Docker resolve this image to Docker Hub? */
export function isDefaultRegistryMatch(image: string): boolean {
  const slash = image.indexOf('/');
  const first = slash < 0 ? image : image.slice(0, slash);
  if (first === '') return false;
  if (slash < 0) return true;
  if (first === 'docker.io' || first === 'index.docker.io') return true;
  return !/[.:]/.test(first);
}

/**
 * Which auth keys of a response the kubelet would use for this image (BasicDockerKeyring.Add then
 * Lookup): keys that do not parse are skipped (the kubelet logs and ignores them); every key that
 * matches contributes; with none, a Docker Hub image falls back to a key filed as index.docker.io.
 */
export function authKeysFor(auth: Record<string, unknown>, image: string): string[] {
  const out: string[] = [];
  const dockerHub: string[] = [];
  for (const key of Object.keys(auth)) {
    try {
      const normalized = normalizeAuthKey(key);
      if (urlsMatch(normalized, image)) out.push(key);
      if (normalized === 'index.docker.io') dockerHub.push(key);
    } catch {
      // the kubelet logs and skips an unparseable key
    }
  }
  if (out.length === 0 && isDefaultRegistryMatch(image)) return dockerHub;
  return out;
}

/** The repository the kubelet sends for an image reference: no tag, no digest. */
export function imageWithoutTag(ref: string): string {
  let r = ref.split('@', 1)[0] ?? ref;
  const lastSlash = r.lastIndexOf('/');
  const colon = r.lastIndexOf(':');
  if (colon > lastSlash) r = r.slice(0, colon);
  return r;
}
