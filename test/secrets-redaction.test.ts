// Redaction, checked by an oracle that shares no code with it (test/helpers/scan-secrets.ts decodes a
// text every way instead of encoding the secret every way): random secrets in random encodings and
// random surroundings are never found after redaction, and ordinary text is left alone.
import test from 'ava';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandError } from '../harness/util/exec.ts';
import { copyRedacted } from '../harness/util/redact-files.ts';
import { goProxy, goProxyForDisplay } from '../harness/build/go.ts';
import { REDACTED, Redactor, redact, registerSecret } from '../harness/util/secrets.ts';
import { scanForSecrets } from './helpers/scan-secrets.ts';

const b64 = (s: string | Buffer): string => Buffer.from(s).toString('base64');
const b64url = (s: string | Buffer): string => Buffer.from(s).toString('base64url');

/** Where a leak would be found in text, by the independent oracle. */
function leaks(text: string, secret: string): string[] {
  return scanForSecrets([], [{ name: 'output', text }], { values: [secret] }).hits.map((h) => h.view);
}

// Characters a password can hold, JSON's and URLs' special ones and non-ASCII among them.
const SPECIAL = [...'!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~ ', 'é', '€', 'ß', '😀', '\u2028'];
const ALNUM = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'];
const secretArb = fc.oneof(
  fc.string({ unit: fc.constantFrom(...ALNUM), minLength: 6, maxLength: 40 }),
  fc.string({ unit: fc.constantFrom(...ALNUM, ...SPECIAL), minLength: 6, maxLength: 40 }),
).filter((s) => !REDACTED.includes(s.slice(0, 6)));
const userArb = fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/);
// Surroundings: anything printable, or base64 characters that run straight into an encoded secret.
const aroundArb = fc.oneof(fc.string({ maxLength: 30 }), fc.stringMatching(/^[A-Za-z0-9+/]{0,12}$/), fc.constantFrom('', '\n', ' ', '"', '='));

interface Encoding {
  name: string;
  encode: (secret: string, user: string, pad: Buffer) => string;
}

const dockerConfig = (user: string, secret: string, pretty: boolean): string =>
  JSON.stringify({ auths: { 'registry.pullproof.test:5443': { username: user, password: secret, auth: b64(`${user}:${secret}`) } } }, null, pretty ? 2 : undefined);

const ENCODINGS: Encoding[] = [
  { name: 'raw', encode: (s) => s },
  // The secret at every byte alignment inside a larger encoded string (pad is 0-5 random bytes).
  { name: 'base64 inside bytes', encode: (s, _u, pad) => b64(Buffer.concat([pad, Buffer.from(s), pad])) },
  { name: 'base64url inside bytes', encode: (s, _u, pad) => b64url(Buffer.concat([pad, Buffer.from(s), pad])) },
  { name: 'base64 of user:password', encode: (s, u) => b64(`${u}:${s}`) },
  { name: 'encodeURIComponent', encode: (s) => encodeURIComponent(s) },
  { name: 'encodeURIComponent, lowercase hex', encode: (s) => encodeURIComponent(s).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()) },
  { name: 'form encoding', encode: (s) => new URLSearchParams({ password: s }).toString() },
  { name: 'JSON', encode: (s) => JSON.stringify({ password: s }) },
  { name: 'JSON in JSON', encode: (s) => JSON.stringify({ message: JSON.stringify({ password: s }) }) },
  { name: "JSON with Go's escapes", encode: (s) => JSON.stringify({ password: s }).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) },
  { name: 'JSON with <>& escaped', encode: (s) => JSON.stringify({ password: s }).replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`) },
  { name: 'JSON, ASCII only (Python)', encode: (s) => JSON.stringify({ password: s }).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) },
  { name: 'HTML attribute', encode: (s) => `<td title="${s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string)}">` },
  { name: 'XML, JSON inside', encode: (s) => `<failure message="${JSON.stringify({ password: s }).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string)}"/>` },
  { name: 'dockerconfigjson', encode: (s, u) => dockerConfig(u, s, false) },
  { name: 'dockerconfigjson, base64 (a Secret\'s data)', encode: (s, u) => b64(dockerConfig(u, s, true)) },
  { name: 'Secret manifest with base64 dockerconfigjson, as JSON', encode: (s, u) => JSON.stringify({ kind: 'Secret', data: { '.dockerconfigjson': b64(dockerConfig(u, s, false)) } }) },
  { name: 'HTTP dump, Basic', encode: (s, u) => `GET /token HTTP/1.1\r\nHost: auth\r\nAuthorization: Basic ${b64(`${u}:${s}`)}\r\n\r\n` },
  { name: 'curl -v, Bearer', encode: (s) => `> GET /v2/ HTTP/2\n> authorization: Bearer ${s}\n> accept: */*\n` },
  { name: 'JSON header, Basic', encode: (s, u) => JSON.stringify({ headers: { authorization: `Basic ${b64(`${u}:${s}`)}` } }) },
  { name: "Go's http.Header", encode: (s, u) => `Header:map[Accept:[*/*] Authorization:[Basic ${b64(`${u}:${s}`)}]]` },
  { name: 'URL userinfo', encode: (s, u) => `https://${u}:${encodeURIComponent(s)}@proxy.example/mod` },
];

test('a registered secret in any encoding and any surroundings is never found after redaction (property)', (t) => {
  const out = fc.check(fc.property(secretArb, userArb, fc.uint8Array({ maxLength: 5 }), fc.constantFrom(...ENCODINGS), aroundArb, aroundArb, (secret, user, pad, enc, before, after) => {
    const r = new Redactor();
    r.register(secret);
    const text = `${before}${enc.encode(secret, user, Buffer.from(pad))}${after}`;
    // The oracle must see the secret before redaction, else the case proves nothing: skipped (rare,
    // e.g. a "%" just before a percent-encoded secret decodes as another byte, for any URL decoder too).
    fc.pre(leaks(text, secret).length > 0);
    return leaks(r.redact(text), secret).length === 0;
  }), { numRuns: 3000 });
  t.false(out.failed, fc.defaultReportMessage(out) ?? '');
  t.true(out.numSkips < 150, `${out.numSkips} cases skipped because the oracle could not see the secret before redaction`);
  t.log(`${out.numRuns} random secrets x ${ENCODINGS.length} encodings x surroundings: none found after redaction (${out.numSkips} skipped)`);
});

test('credentials nobody registered are still removed by shape: headers, userinfo, docker configs (property)', (t) => {
  const token = fc.string({ unit: fc.constantFrom(...ALNUM), minLength: 8, maxLength: 40 });
  const shaped = ENCODINGS.filter((e) => /HTTP dump|curl|header|Header|userinfo|dockerconfigjson/.test(e.name));
  fc.assert(fc.property(token, userArb, fc.constantFrom(...shaped), aroundArb, (secret, user, enc, before) => {
    const text = `${before} ${enc.encode(secret, user, Buffer.alloc(0))}\n`;
    fc.pre(leaks(text, secret).length > 0);
    return leaks(new Redactor().redact(text), secret).length === 0;
  }), { numRuns: 1000 });
  t.pass();
});

test('long tokens (kept as head and tail windows with a hash) are found whole in every encoding (property)', (t) => {
  const longToken = fc.string({ unit: fc.constantFrom(...ALNUM, '-', '_', '.'), minLength: 65, maxLength: 1500 });
  const out = fc.check(fc.property(longToken, userArb, fc.uint8Array({ maxLength: 5 }), fc.constantFrom(...ENCODINGS), aroundArb, (secret, user, pad, enc, before) => {
    const r = new Redactor();
    r.register(secret);
    const text = `${before}${enc.encode(secret, user, Buffer.from(pad))}`;
    fc.pre(leaks(text, secret).length > 0);
    return leaks(r.redact(text), secret).length === 0;
  }), { numRuns: 300 });
  t.false(out.failed, fc.defaultReportMessage(out) ?? '');
  t.true(out.numSkips < 15);
  // Found whole, not only its ends: nothing of it is left between them.
  const token = `${'x'.repeat(40)}${b64url(randomBytes(900))}`;
  const r = new Redactor();
  r.register(token);
  t.is(r.redact(`before ${token} after`), `before ${REDACTED} after`);
  t.is(r.redact(`cut off: ${token.slice(0, 300)}`), `cut off: ${REDACTED}${token.slice(64, 300)}`, 'a cut-off copy loses at least its head');
});

// Ordinary log words, and short values that are also field secrets somewhere else.
const WORDS = ['the', 'pull', 'image', 'failed', 'eu', 'on', 'yes', 'token', 'password', 'auth', 'error:', 'registry', 'v1.35.4', '200', 'OK', 'GET', '/v2/', 'level=info', 'msg="pulled"', 'time=2024-01-01T00:00:00Z', 'tenant-a', 'kubelet'];

test('ordinary text is untouched, and a short field secret goes only where it is that field\'s value (property)', (t) => {
  fc.assert(fc.property(fc.array(fc.oneof(fc.constantFrom(...WORDS), fc.constant('FIELD')), { maxLength: 60 }), fc.constantFrom('eu', 'on', 'yes', 'a'), fc.constantFrom('=', ': ', '":"'),
    (tokens, value, sep) => {
      const r = new Redactor();
      r.registerField('AWS_REGION', value);
      const field = (v: string): string => (sep === '":"' ? `"AWS_REGION":"${v}"` : `AWS_REGION${sep}${v}`);
      const text = tokens.map((w) => (w === 'FIELD' ? field(value) : w)).join(' ');
      const expected = tokens.map((w) => (w === 'FIELD' ? field(REDACTED) : w)).join(' ');
      return r.redact(text) === expected;
    }), { numRuns: 2000 });
  t.pass();
});

test('configs that only mention authorization are left alone', (t) => {
  const kubeletConfig = 'authentication:\n  anonymous:\n    enabled: false\nauthorization:\n  mode: Webhook\n  webhook:\n    cacheAuthorizedTTL: 0s\n';
  const apiserver = '--authorization-mode=Node,RBAC --authorization-webhook-version=v1 group=authorization.k8s.io';
  for (const text of [kubeletConfig, apiserver]) t.is(new Redactor().redact(text), text);
});

test('prose after "Authorization:" is left alone; a credential without a scheme word is not', (t) => {
  const title = 'kubernetes/kubernetes#137629 (PR, merged): "Image Pulling Authorization: fix the allowlisting policy"';
  t.is(new Redactor().redact(title), title);
  t.is(new Redactor().redact('Authorization: dXNlcjpwYXNzd29yZA=='), `Authorization: ${REDACTED}`);
  t.is(new Redactor().redact('x-registry-auth: eyJ1c2VybmFtZSI6InUifQ'), `x-registry-auth: ${REDACTED}`);
});

test('the alignments found in the field: no-access: and pullproof-admin: are caught like tenant-a:', (t) => {
  const r = new Redactor();
  const pw = 'Q7wErTy8uIoP1aSdFgHjK2lZ';
  r.register(pw);
  for (const user of ['tenant-a', 'no-access', 'pullproof-admin']) {
    const header = `Authorization: Basic ${b64(`${user}:${pw}`)}`;
    // Shape rules would hide a failure of the index: check the bare encoding too.
    for (const text of [header, b64(`${user}:${pw}`)]) t.deepEqual(leaks(r.redact(text), pw), [], `${user}: ${text}`);
  }
});

test('a secret with " or \\ is redacted after JSON.stringify, and a whole dockerconfigjson blob goes', (t) => {
  const r = new Redactor();
  const pw = 'pa"ss\\wo/rd';
  r.register(pw);
  const report = JSON.stringify({ message: `login failed for ${pw}` }, null, 2);
  t.false(r.redact(report).includes(JSON.stringify(pw).slice(1, -1)));
  const blob = b64(dockerConfig('someone', 'UnregisteredPassw0rd', false));
  t.is(new Redactor().redact(`data: {".dockerconfigjson": "${blob}"}`), `data: {".dockerconfigjson": "${REDACTED}"}`);
  t.is(new Redactor().redact('{"authorization":"Basic dXNlcjpwYXNzd29yZA=="}'), `{"authorization":"Basic ${REDACTED}"}`);
});

test('a failed command keeps no raw secret in its error, not even in the result it carries', (t) => {
  registerSecret('CommandSecret0123456789');
  const err = new CommandError({ command: 'login --password CommandSecret0123456789', stdout: 'ok CommandSecret0123456789', stderr: `denied ${b64('u:CommandSecret0123456789')}`, exitCode: 1, durationMs: 1 });
  const everything = JSON.stringify({ message: err.message, detail: err.detail, result: err.result, text: err.toString() });
  t.deepEqual(leaks(everything, 'CommandSecret0123456789'), []);
});

test('the GOPROXY URL is shown without its userinfo, and its password is registered', (t) => {
  const saved = process.env.GOPROXY;
  t.teardown(() => {
    if (saved === undefined) delete process.env.GOPROXY;
    else process.env.GOPROXY = saved;
  });
  process.env.GOPROXY = 'https://builder:Pr0xyPassw0rd@goproxy.corp.example/,direct';
  t.is(goProxy(), 'https://builder:Pr0xyPassw0rd@goproxy.corp.example/');
  t.is(goProxyForDisplay(), 'https://<redacted>@goproxy.corp.example/');
  t.false(redact('module lookup via Pr0xyPassw0rd failed').includes('Pr0xyPassw0rd'));
});

test('a log folder is copied into the report redacted; binary files and symlinks are listed, not copied', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pullproof-test-copy-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  registerSecret('KindLogSecret0123456789');
  const src = join(dir, 'raw');
  mkdirSync(join(src, 'node', 'pods'), { recursive: true });
  writeFileSync(join(src, 'node', 'journal.log'), `kubelet: password=KindLogSecret0123456789 auth=${b64('tenant-a:KindLogSecret0123456789')}\n`);
  writeFileSync(join(src, 'node', 'pods', '0.log'), 'plain line\n');
  writeFileSync(join(src, 'node', 'system.journal'), Buffer.from('LPKSHHRH\0\0KindLogSecret0123456789'));
  symlinkSync('/etc/hostname', join(src, 'node', 'link'));
  const r = copyRedacted(src, join(dir, 'report'));
  t.is(r.files, 2);
  const journal = readFileSync(join(dir, 'report', 'node', 'journal.log'), 'utf8');
  t.regex(journal, /^kubelet: password=<redacted> auth=\S*<redacted>\S*\n$/);
  t.deepEqual(leaks(journal, 'KindLogSecret0123456789'), []);
  t.is(readFileSync(join(dir, 'report', 'node', 'pods', '0.log'), 'utf8'), 'plain line\n');
  t.false(existsSync(join(dir, 'report', 'node', 'system.journal')));
  t.false(existsSync(join(dir, 'report', 'node', 'link')));
  t.regex(readFileSync(join(dir, 'report', 'SKIPPED-BINARY.txt'), 'utf8'), /node\/system\.journal \(binary, 33 bytes\)\nnode\/link \(symlink\)|node\/link \(symlink\)\nnode\/system\.journal \(binary, 33 bytes\)/);
});
