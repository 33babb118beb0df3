// The kubelet's credentialHash for a pull secret (pkg/credentialprovider/keyring.go hashAuthConfig):
// lowercase hex SHA-256 of Go's json.Marshal(AuthConfig). AuthConfig's fields, in order, are username,
// password, auth, email, serveraddress, identitytoken, registrytoken, all omitempty; for secrets the
// keyring copies only username, password and email. Go's encoder escapes <, > and & as \u003c, \u003e,
// \u0026, U+2028/U+2029 as \u2028/\u2029, control characters as \n, \r, \t, \b, \f or \u00XX, and
// replaces each byte of invalid UTF-8 with \ufffd. Values may be bytes, since a secret's data is.
import { createHash } from 'node:crypto';

export type SecretValue = string | Uint8Array;

export interface SecretAuth {
  username?: SecretValue;
  password?: SecretValue;
  email?: SecretValue;
}

const SHORT_ESCAPES: Record<number, string> = { 0x22: '\\"', 0x5c: '\\\\', 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t', 0x08: '\\b', 0x0c: '\\f' };

function hex4(n: number): string {
  return `\\u${n.toString(16).padStart(4, '0')}`;
}

/** Length of the valid UTF-8 sequence at i (Go's utf8.DecodeRune rules), or 0 if invalid. */
function utf8SequenceLength(b: Uint8Array, i: number): number {
  const c0 = b[i] as number;
  const cont = (k: number, lo = 0x80, hi = 0xbf): boolean => {
    const c = b[i + k];
    return c !== undefined && c >= lo && c <= hi;
  };
  if (c0 < 0x80) return 1;
  if (c0 >= 0xc2 && c0 <= 0xdf) return cont(1) ? 2 : 0;
  if (c0 === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if (c0 === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0; // no surrogates
  if (c0 >= 0xe1 && c0 <= 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (c0 === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c0 >= 0xf1 && c0 <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c0 === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

/** A JSON string literal exactly as Go's encoding/json writes it (HTML escaping on). */
export function goJsonString(value: SecretValue): string {
  const b = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  const out: string[] = ['"'];
  let i = 0;
  while (i < b.length) {
    const c = b[i] as number;
    if (c < 0x80) {
      const short = SHORT_ESCAPES[c];
      if (short) out.push(short);
      else if (c < 0x20 || c === 0x3c || c === 0x3e || c === 0x26) out.push(hex4(c));
      else out.push(String.fromCharCode(c));
      i++;
      continue;
    }
    const n = utf8SequenceLength(b, i);
    if (n === 0) {
      out.push('\\ufffd');
      i++;
      continue;
    }
    const ch = Buffer.from(b.subarray(i, i + n)).toString('utf8');
    const cp = ch.codePointAt(0) ?? 0;
    out.push(cp === 0x2028 || cp === 0x2029 ? hex4(cp) : ch);
    i += n;
  }
  out.push('"');
  return out.join('');
}

function isEmpty(v: SecretValue | undefined): boolean {
  return v === undefined || v.length === 0;
}

/** The bytes of Go's json.Marshal(AuthConfig{Username, Password, Email}). */
export function goAuthConfigJson(auth: SecretAuth): string {
  const fields: string[] = [];
  if (!isEmpty(auth.username)) fields.push(`"username":${goJsonString(auth.username as SecretValue)}`);
  if (!isEmpty(auth.password)) fields.push(`"password":${goJsonString(auth.password as SecretValue)}`);
  if (!isEmpty(auth.email)) fields.push(`"email":${goJsonString(auth.email as SecretValue)}`);
  return `{${fields.join(',')}}`;
}

/** credentialHash as it appears in the kubelet's pulled-image records (kubernetesSecrets[].credentialHash). */
export function credentialHash(auth: SecretAuth): string {
  return createHash('sha256').update(Buffer.from(goAuthConfigJson(auth), 'utf8')).digest('hex');
}
