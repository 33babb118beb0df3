// Every secret the harness generates or handles (passwords, tokens, private keys) is registered here,
// and everything the harness prints or writes passes through redact(). JWTs and PEM private keys are
// also redacted by shape, so a token minted by a component we do not control never leaks either.
import { randomInt } from 'node:crypto';

const known = new Set<string>();
const MIN_SECRET_LENGTH = 6;

const JWT_SHAPE = /eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
const PEM_PRIVATE_KEY = /-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?-----END \1PRIVATE KEY-----/g;
const BASIC_AUTH_HEADER = /(authorization:\s*(?:basic|bearer)\s+)[^\s"',]+/gi;

export const REDACTED = '<redacted>';

export function registerSecret(value: string | undefined | null): void {
  if (value && value.length >= MIN_SECRET_LENGTH) known.add(value);
}

/** All registered secrets, for tests that scan output for leaks. */
export function registeredSecrets(): string[] {
  return [...known];
}

export function redact(text: string): string {
  let out = text.replace(PEM_PRIVATE_KEY, `-----BEGIN $1PRIVATE KEY----- ${REDACTED} -----END $1PRIVATE KEY-----`);
  out = out.replace(JWT_SHAPE, REDACTED).replace(BASIC_AUTH_HEADER, `$1${REDACTED}`);
  if (known.size === 0) return out;
  // Longest first, so a secret that contains another is replaced whole.
  for (const secret of [...known].sort((a, b) => b.length - a.length)) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    const b64 = Buffer.from(secret).toString('base64');
    if (out.includes(b64)) out = out.split(b64).join(REDACTED);
  }
  return out;
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A password of [A-Za-z0-9] only (safe in URLs, htpasswd, JSON and shell), registered as a secret. */
export function generatePassword(length = 24): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  registerSecret(out);
  return out;
}
