// Every secret the harness generates or handles (passwords, tokens, private keys) is registered here,
// and everything the harness prints or writes passes through redact().
//
// A registered secret is removed in every form it takes on its way into a log or a report: raw; JSON-
// escaped (once, twice, Go's and Python's \u escapes); percent-encoded (four safe-character sets, upper
// and lower hex, space as %20 or +); HTML/XML-escaped (index.html, junit.xml), also after JSON; base64 and base64url at each of the three byte alignments it can
// have inside a larger encoded string (so base64("user:" + password) is caught whatever the user's
// length); and base64 of those (a .dockerconfigjson, whose "auth" is base64, inside a Secret's base64
// data). Shapes are removed whether registered or not: JWTs, PEM private keys, Authorization headers in
// every spelling, URL userinfo, docker config credentials, base64 docker configs.
//
// Values a user gives pullproof as secrets for a named field (certify --env KEY=VALUE) are removed
// wherever they appear as that field's value (KEY=VALUE, "KEY":"VALUE", KEY: VALUE, an env list entry),
// whatever their length; the same short string elsewhere is left alone, so "eu" is not cut out of
// every word. Values of 6 characters or more are registered as secrets everywhere too.
//
// Redaction is one pass over the text for all registered secrets (a SubstringIndex of every form),
// whatever their number, plus one pass per shape rule; registering costs O(1) amortised per form.
import { randomInt } from 'node:crypto';
import { SubstringIndex, WINDOW, replaceRanges } from './substring-index.ts';

export const REDACTED = '<redacted>';
/** Shorter secrets are only redacted in their field context (registerFieldSecret). */
export const MIN_SECRET_LENGTH = WINDOW;

export interface FieldSecret {
  field: string;
  value: string;
}

/** Every registered secret: values redacted everywhere, and values redacted as a named field's value. */
export interface SecretSnapshot {
  values: string[];
  fields: FieldSecret[];
}

// ---- encoded forms ---------------------------------------------------------------------------------

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}

function hex4(c: string): string {
  return `\\u${(c.charCodeAt(0)).toString(16).padStart(4, '0')}`;
}

/** JSON string contents: as JSON.stringify writes it, escaped twice, Go's escapes (<>& and U+2028/9; <>& alone), Python's ASCII-only. */
export function jsonForms(s: string): string[] {
  // Nothing JSON, Go or Python would escape: one form, the secret itself.
  if (/^[\u0020-\u007e]*$/.test(s) && !/["\\<>&]/.test(s)) return [s];
  const once = JSON.stringify(s).slice(1, -1);
  return [
    once,
    JSON.stringify(once).slice(1, -1),
    once.replace(/[<>&\u2028\u2029]/g, hex4),
    once.replace(/[<>&]/g, hex4),
    once.replace(/[\u007f-\uffff]/g, hex4),
  ];
}

// Characters left as they are by: encodeURIComponent; WHATWG form encoding (URLSearchParams);
// RFC 3986 unreserved (Go's url.QueryEscape, Python's quote with safe=''); encodeURI.
const URL_SAFE = [/[A-Za-z0-9\-_.!~*'()]/, /[A-Za-z0-9*\-._]/, /[A-Za-z0-9\-_.~]/, /[A-Za-z0-9\-_.!~*'();,/?:@&=+$#]/];

function percentEncode(s: string, safe: RegExp, spacePlus: boolean, lowerHex: boolean): string {
  let out = '';
  for (const ch of s) {
    if (safe.test(ch)) out += ch;
    else if (ch === ' ' && spacePlus) out += '+';
    else for (const b of Buffer.from(ch)) out += `%${lowerHex ? b.toString(16).padStart(2, '0') : b.toString(16).padStart(2, '0').toUpperCase()}`;
  }
  return out;
}

/** Percent-encodings as the common encoders write them. */
export function urlForms(s: string): string[] {
  // Left alone by every encoder below (form encoding escapes ~, the others leave it).
  if (/^[A-Za-z0-9\-_.]*$/.test(s)) return [s];
  const out: string[] = [];
  for (const safe of URL_SAFE) {
    for (const spacePlus of [false, true]) {
      for (const lowerHex of [false, true]) out.push(percentEncode(s, safe, spacePlus, lowerHex));
    }
  }
  return unique(out);
}

/**
 * The base64 characters that depend on nothing but the secret's own bytes, for each of the three byte
 * offsets (mod 3) the secret can start at inside a larger encoded string. Character i of an encoding
 * covers bits [6i, 6i+6); at offset k the secret covers bits [8k, 8k+8n), so the stable characters are
 * ceil(8k/6) .. floor((8k+8n)/6)-1.
 */
export function base64Stable(bytes: Buffer): string[] {
  const out: string[] = [];
  for (let k = 0; k < 3; k++) {
    const encoded = Buffer.concat([Buffer.alloc(k), bytes, Buffer.alloc(3)]).toString('base64');
    out.push(encoded.slice(Math.ceil((8 * k) / 6), Math.floor((8 * k + 8 * bytes.length) / 6)));
  }
  return out;
}

function toBase64Url(b64: string): string {
  return b64.replace(/\+/g, '-').replace(/\//g, '_');
}

/** HTML and XML escapes (index.html, junit.xml): &<>" always, ' as &#39;, &#x27; or &apos;; text content escapes &<> only. */
export function markupForms(s: string): string[] {
  if (!/[&<>"']/.test(s)) return [s];
  const base = s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return unique([base, ...['&#39;', '&#x27;', '&apos;'].map((q) => base.replace(/"/g, '&quot;').replace(/'/g, q))]);
}

/** Every string whose presence in a text would give the secret away (see the header comment). */
export function encodedForms(secret: string): string[] {
  const level0 = unique([secret, ...jsonForms(secret), ...urlForms(secret), ...markupForms(secret), ...jsonForms(secret).flatMap(markupForms)]);
  const level1 = level0.flatMap((f) => base64Stable(Buffer.from(f)));
  const level2 = level1.flatMap((f) => base64Stable(Buffer.from(f)));
  return unique([...level0, ...level1, ...level1.map(toBase64Url), ...level2]).filter((f) => f.length >= WINDOW);
}

// ---- shapes redacted whether registered or not -----------------------------------------------------

const JWT_SHAPE = /eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
const PEM_PRIVATE_KEY = /-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?-----END \1PRIVATE KEY-----/g;
// An optional (escaped) quote, as in JSON, escaped JSON and Python reprs.
const Q = String.raw`(?:\\*["'])?`;
// Authorization headers in every spelling: "Authorization: Basic x" (HTTP dumps, curl -v's "> " lines,
// -H arguments), "authorization: bearer x" (HTTP/2), {"authorization":"Basic x"} (JSON, escaped JSON),
// Go's map[Authorization:[Basic x]], ?authorization=Bearer%20x; Proxy-Authorization and Docker's
// X-Registry-Auth (base64 JSON with the password) too. The scheme word stays, the credential goes.
// The value is on the same line: YAML's "authorization:" followed by an indented block is a kubelet
// config, not a header. Without a scheme word the credential is one token of 8 or more characters with a
// digit or a symbol in it, so prose ("Image Pulling Authorization: fix the allowlisting policy", a pull
// request's title in the specification) is left alone.
const AUTH_HEADER = new RegExp(
  String.raw`((?:proxy-)?authorization|x-registry-auth)(${Q}[ \t]*[:=][ \t]*\[?[ \t]*${Q}[ \t]*)(?:((?:basic|bearer|token|digest|negotiate|aws4-hmac-sha256)(?:[ \t]|%20|\+)+)([^"'\\\]\r\n,}&\s][^"'\\\]\r\n,}&]*)|(?=[^"'\\\]\r\n,}&\s]*[0-9+/=_.~-])[^"'\\\]\r\n,}&\s]{8,})`,
  'gi');
// scheme://user:password@host: the password goes.
const URL_USERINFO = /(:\/\/[^/\s:@"'<>]*:)([^/\s@"'<>]+)(@)/g;
// Credentials in docker config files and token responses: "auth", "password", "identitytoken", ...
const CREDENTIAL_FIELD = new RegExp(
  String.raw`(\\*["'](?:auth|password|passwd|identitytoken|registrytoken|access_token|refresh_token|client_secret)\\*["']\s*:\s*\\*["'])([^"'\\]+)`,
  'gi');
// Base64 of a JSON object (starts "ey" for '{"', "ew" for '{' + newline): a whole docker config.
const BASE64_JSON = /(?<![A-Za-z0-9+/])e[yw][A-Za-z0-9+/]{14,}={0,2}/g;

function isDockerConfig(b64: string): boolean {
  const decoded = Buffer.from(b64, 'base64').toString('latin1');
  return /"(?:auths|auth|password|identitytoken|registrytoken)"\s*:/.test(decoded);
}

function redactShapes(text: string): string {
  let out = text;
  if (out.includes('PRIVATE KEY-----')) out = out.replace(PEM_PRIVATE_KEY, `-----BEGIN $1PRIVATE KEY----- ${REDACTED} -----END $1PRIVATE KEY-----`);
  if (out.includes('eyJ')) out = out.replace(JWT_SHAPE, REDACTED);
  out = out.replace(AUTH_HEADER, (_m, name: string, sep: string, scheme: string | undefined) => `${name}${sep}${scheme ?? ''}${REDACTED}`);
  if (out.includes('://')) out = out.replace(URL_USERINFO, `$1${REDACTED}$3`);
  return out.replace(CREDENTIAL_FIELD, `$1${REDACTED}`);
}

// ---- the registry ------------------------------------------------------------------------------------

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** A set of secrets and the redaction they drive. The module functions below use one shared instance. */
export class Redactor {
  private readonly values = new Set<string>();
  private readonly index = new SubstringIndex();
  private readonly fields = new Map<string, Set<string>>();
  private fieldRule?: RegExp;

  /** Registers a secret for redaction everywhere (shorter than MIN_SECRET_LENGTH: ignored). */
  register(value: string | undefined | null): void {
    if (!value || value.length < MIN_SECRET_LENGTH || this.values.has(value)) return;
    this.values.add(value);
    for (const form of encodedForms(value)) this.index.add(form);
  }

  /** Registers a value given for a named field: redacted as that field's value whatever its length. */
  registerField(field: string, value: string | undefined | null): void {
    if (!field || !value) return;
    this.register(value);
    const set = this.fields.get(field) ?? new Set<string>();
    if (set.has(value)) return;
    set.add(value);
    this.fields.set(field, set);
    this.fieldRule = undefined;
  }

  snapshot(): SecretSnapshot {
    return { values: [...this.values], fields: [...this.fields].flatMap(([field, vs]) => [...vs].map((value) => ({ field, value }))) };
  }

  /** Number of encoded forms indexed (for measurements). */
  get forms(): number {
    return this.index.size;
  }

  redact(text: string): string {
    // Registered secrets before the other shape rules: a rule that cut a secret in two (a header
    // value ending at an escaped quote inside the password) would hide the rest from the index.
    // A base64 docker config goes whole first (it cannot cut a secret: the run it removes is maximal).
    let out = text.replace(BASE64_JSON, (m) => (isDockerConfig(m) ? REDACTED : m));
    out = replaceRanges(out, this.index.find(out), REDACTED);
    if (this.fields.size > 0) out = this.redactFields(out);
    return redactShapes(out);
  }

  private redactFields(text: string): string {
    this.fieldRule ??= new RegExp(
      // KEY=v, KEY: v, "KEY":"v", \"KEY\":\"v\", 'KEY': 'v', {"name":"KEY","value":"v"}, name: KEY\n value: v
      String.raw`(?<![A-Za-z0-9_])(${[...this.fields.keys()].map(escapeRegExp).join('|')})(?![A-Za-z0-9_])${Q}\s*(?:[:=]|,\s*${Q}value${Q}\s*[:=]|\n\s*value\s*:)\s*\[?\s*${Q}`,
      'g');
    const rule = this.fieldRule;
    rule.lastIndex = 0;
    const ranges: [number, number][] = [];
    for (let m = rule.exec(text); m; m = rule.exec(text)) {
      const at = m.index + m[0].length;
      const values = [...(this.fields.get(m[1] as string) ?? [])];
      let best = 0;
      for (const v of values) {
        for (const form of [v, ...jsonForms(v), encodeURIComponent(v)]) {
          if (form.length > best && text.startsWith(form, at) && !/[A-Za-z0-9]/.test(text.charAt(at + form.length))) best = form.length;
        }
      }
      if (best > 0) ranges.push([at, at + best]);
      if (m[0].length === 0) rule.lastIndex++;
    }
    return replaceRanges(text, ranges, REDACTED);
  }
}

const shared = new Redactor();

export function registerSecret(value: string | undefined | null): void {
  shared.register(value);
}

/** A value the user gave for a named field (an --env KEY=VALUE): redacted as that field's value, whatever its length. */
export function registerFieldSecret(field: string, value: string | undefined | null): void {
  shared.registerField(field, value);
}

/** The secrets registered to be redacted everywhere (tests scan output for them). */
export function registeredSecrets(): string[] {
  return shared.snapshot().values;
}

/** Every registered secret, field secrets included (the test seam hands this to leak scans). */
export function secretSnapshot(): SecretSnapshot {
  return shared.snapshot();
}

export function redact(text: string): string {
  return shared.redact(text);
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A password of [A-Za-z0-9] only (safe in URLs, htpasswd, JSON and shell), registered as a secret. */
export function generatePassword(length = 24): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  registerSecret(out);
  return out;
}
