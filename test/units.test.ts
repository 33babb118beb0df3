// Pure functions: redaction, passwords, path classification, the fixture program, image assembly.
import test from 'ava';
import { generateKeyPairSync } from 'node:crypto';
import { generatePassword, redact, registerSecret, REDACTED } from '../harness/util/secrets.ts';
import { classifyRegistryPath } from '../harness/proxy/records.ts';
import { sleeperElf } from '../harness/image/sleeper.ts';
import { buildFixtureImage } from '../harness/image/fixtures.ts';
import { buildImage, toOciArchive } from '../harness/image/oci.ts';
import { parseScopes, repositoryMatches } from '../harness/registry/token-service.ts';
import { parseDuration } from '../harness/cli/main.ts';

test('generated passwords are 24 characters of [A-Za-z0-9]', (t) => {
  for (let i = 0; i < 50; i++) t.regex(generatePassword(), /^[A-Za-z0-9]{24}$/);
});

test('redact removes registered secrets, their base64, JWTs and PEM private keys', (t) => {
  registerSecret('s3cretPassw0rd');
  const jwt = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ0ZW5hbnQtYSJ9.c2lnbmF0dXJl';
  // A key generated here, never one written in the source.
  const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const keyBody = pem.split('\n')[1] ?? '';
  const text = `pw=s3cretPassw0rd b64=${Buffer.from('s3cretPassw0rd').toString('base64')} token=${jwt}\n${pem}\nAuthorization: Basic dXNlcjpwYXNz`;
  const out = redact(text);
  for (const s of ['s3cretPassw0rd', Buffer.from('s3cretPassw0rd').toString('base64'), jwt, keyBody, 'dXNlcjpwYXNz']) t.false(out.includes(s), s);
  t.true(out.includes(REDACTED));
});

test('registry paths are classified by endpoint', (t) => {
  t.deepEqual(classifyRegistryPath('/v2/'), { kind: 'base' });
  t.deepEqual(classifyRegistryPath('/v2/tenant-a/app/manifests/v1'), { kind: 'manifest', repository: 'tenant-a/app', reference: 'v1' });
  t.deepEqual(classifyRegistryPath('/v2/mirror/registry.k8s.io/pause/blobs/sha256:ab'), { kind: 'blob', repository: 'mirror/registry.k8s.io/pause', reference: 'sha256:ab' });
  t.deepEqual(classifyRegistryPath('/v2/a/b/blobs/uploads/123?digest=x'), { kind: 'upload', repository: 'a/b' });
  t.deepEqual(classifyRegistryPath('/v2/a/tags/list'), { kind: 'tags', repository: 'a' });
});

test('token scopes parse into access entries, and repository patterns match as documented', (t) => {
  t.deepEqual(parseScopes(['repository:tenant-a/app:pull,push repository:public/x:pull']), [
    { type: 'repository', name: 'tenant-a/app', actions: ['pull', 'push'] },
    { type: 'repository', name: 'public/x', actions: ['pull'] },
  ]);
  t.deepEqual([repositoryMatches('tenant-a/*', 'tenant-a/app'), repositoryMatches('tenant-a/*', 'tenant-ab/app'), repositoryMatches('*', 'x'), repositoryMatches('a', 'a/b')], [true, false, true, false]);
});

test('the fixture program is a 224-byte static x86-64 ELF executable', (t) => {
  const elf = sleeperElf();
  t.is(elf.length, 224);
  t.deepEqual([...elf.subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46]);
  t.is(elf.readUInt16LE(18), 0x3e);
  t.throws(() => sleeperElf('arm64'), { message: /amd64 only/ });
});

test('two fixture images never share a digest, even for the same scenario', async (t) => {
  const a = await buildFixtureImage({ scenario: 'same' });
  const b = await buildFixtureImage({ scenario: 'same' });
  t.not(a.manifest.digest, b.manifest.digest);
  t.is(a.layers[0]?.digest, b.layers[0]?.digest, 'the program layer is shared; only the marker differs');
});

test('image assembly is reproducible and the OCI archive indexes the manifest', async (t) => {
  const spec = { layers: [[{ path: 'etc/hello', content: 'hi' }]], config: { Cmd: ['/x'] } };
  const a = await buildImage(spec);
  const b = await buildImage(spec);
  t.is(a.manifest.digest, b.manifest.digest);
  const tar = await toOciArchive(a, 'example/hello:1');
  t.true(tar.includes(Buffer.from(a.manifest.digest)));
  t.true(tar.includes(Buffer.from('"org.opencontainers.image.ref.name":"example/hello:1"')));
});

test('durations parse with units, and nonsense is refused', (t) => {
  t.deepEqual([parseDuration('90s'), parseDuration('30m'), parseDuration('250ms'), parseDuration('1h')], [90_000, 1_800_000, 250, 3_600_000]);
  t.throws(() => parseDuration('soon'));
});
