// Scans what a run printed and wrote for its registered secrets, in every form, with its own decoders:
// it shares no code with harness/util/secrets.ts (an oracle must not reuse what it checks). Instead of
// encoding each secret every way, it decodes each text every way ("views") and looks for the raw
// secret in each view:
//   raw; JSON-unescaped once and twice; percent-decoded (with and without + as space); base64 and
//   base64url decoded from each of the 4 character offsets of every base64 run (so a secret at any byte
//   alignment inside a larger encoded string decodes whole, as long as enough of it is left to give it
//   away); base64 decoded twice (a docker config, whose "auth" is base64, inside base64); base64
//   and JSON-unescaping in both orders; HTML/XML entities decoded (index.html, junit.xml), then JSON.
// A field secret (a short value given for a named field, e.g. certify --env KEY=VALUE) is looked for as
// that field's value (KEY=VALUE, "KEY":"VALUE", KEY: VALUE) in every view.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface SecretsToFind {
  values: string[];
  fields?: { field: string; value: string }[];
}

export interface Hit {
  /** File path, or the name given to a text. */
  where: string;
  view: string;
  /** The first 4 characters and the length: a report of a leak must not leak. */
  secret: string;
}

export interface ScanResult {
  files: number;
  texts: number;
  bytes: number;
  secrets: number;
  /** Decoded views of every text (the forms each secret is looked for in). */
  forms: string[];
  /** secrets x forms x (files + texts). */
  checks: number;
  hits: Hit[];
}

export function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    const st = statSync(p);
    return st.isDirectory() ? filesUnder(p) : st.isFile() ? [p] : [];
  });
}

function jsonUnescape(s: string): string {
  return s.replace(/\\(u[0-9a-fA-F]{4}|["\\/bfnrt])/g, (_m, e: string) => {
    if (e.startsWith('u')) return String.fromCharCode(parseInt(e.slice(1), 16));
    return ({ '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' } as Record<string, string>)[e] ?? e;
  });
}

function markupUnescape(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (m, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(parseInt(e.slice(1), 10));
    return ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[e] ?? m;
  });
}

function percentDecode(s: string, plusIsSpace: boolean): string {
  const t = plusIsSpace ? s.replace(/\+/g, ' ') : s;
  return t.replace(/(?:%[0-9a-fA-F]{2})+/g, (run) => Buffer.from(run.replace(/%/g, ''), 'hex').toString('utf8'));
}

/** Every base64 run decoded from each of its first 4 character offsets, joined by newlines. */
function base64Decoded(s: string, url: boolean, minRun = 8): string {
  const runs = s.match(url ? /[A-Za-z0-9_-]{8,}={0,2}/g : /[A-Za-z0-9+/]{8,}={0,2}/g) ?? [];
  const out: string[] = [];
  for (const run of runs) {
    if (run.length < minRun) continue;
    // Node decodes a trailing partial group too, so the secret's last bytes are not lost.
    for (let shift = 0; shift < 4; shift++) out.push(Buffer.from(run.slice(shift), url ? 'base64url' : 'base64').toString('latin1'));
  }
  return out.join('\n');
}

function views(text: string): Map<string, string> {
  const v = new Map<string, string>();
  v.set('raw', text);
  const json1 = jsonUnescape(text);
  v.set('json-unescaped', json1);
  v.set('json-unescaped twice', jsonUnescape(json1));
  v.set('percent-decoded', percentDecode(text, false));
  v.set('form-decoded (+ as space)', percentDecode(text, true));
  const b64 = base64Decoded(text, false);
  v.set('base64 (4 offsets)', b64);
  v.set('base64url (4 offsets)', base64Decoded(text, true));
  // Only longer runs at the second level: short words decode to noise, and the view grows 3x per level.
  v.set('base64 twice', base64Decoded(b64, false, 12));
  v.set('base64 of JSON-unescaped', base64Decoded(json1, false));
  v.set('JSON-unescaped base64', jsonUnescape(b64));
  v.set('HTML/XML-unescaped', markupUnescape(text));
  v.set('HTML/XML- then JSON-unescaped', jsonUnescape(markupUnescape(text)));
  return v;
}

export const VIEW_NAMES = [...views('').keys()];

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

function mask(s: string): string {
  return `${s.slice(0, 4)}... (${s.length} chars)`;
}

/** Scans every file under dirs and every text for every secret in every view. */
export function scanForSecrets(dirs: string[], texts: { name: string; text: string }[], secrets: SecretsToFind): ScanResult {
  const files = dirs.flatMap(filesUnder);
  const sources = [
    ...files.map((f) => ({ name: f, bytes: readFileSync(f) })),
    ...texts.map((t) => ({ name: t.name, bytes: Buffer.from(t.text) })),
  ];
  const fieldRules = (secrets.fields ?? []).map((f) => ({
    f,
    re: new RegExp(`(?<![A-Za-z0-9_])${escapeRegExp(f.field)}["']?\\s*[:=]\\s*["']?${escapeRegExp(f.value)}(?![A-Za-z0-9])`),
  }));
  const hits: Hit[] = [];
  let bytes = 0;
  for (const src of sources) {
    bytes += src.bytes.length;
    // Both decodings of the bytes: UTF-8 for text, latin1 so a binary file's bytes are all seen.
    const text = `${src.bytes.toString('utf8')}\n${src.bytes.toString('latin1')}`;
    for (const [view, body] of views(text)) {
      for (const s of secrets.values) {
        // A UTF-8 secret decoded from bytes as latin1 reads differently: look for both spellings.
        if (body.includes(s) || body.includes(Buffer.from(s).toString('latin1'))) hits.push({ where: src.name, view, secret: mask(s) });
      }
      for (const { f, re } of fieldRules) if (re.test(body)) hits.push({ where: src.name, view, secret: `${f.field}=${mask(f.value)}` });
    }
  }
  const n = secrets.values.length + fieldRules.length;
  return { files: files.length, texts: texts.length, bytes, secrets: n, forms: VIEW_NAMES, checks: n * VIEW_NAMES.length * sources.length, hits };
}
