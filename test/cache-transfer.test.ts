// pullproof cache export / import with a small cache tree (a temporary PULLPROOF_CACHE) and a throwaway
// pullproof/kind-base image: files and images come back as they were, the Go caches only when asked,
// and an export whose files no longer match their sha256 is refused before anything changes.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pullproof } from './helpers/cli.ts';

const docker = (...args: string[]): string => execFileSync('docker', args, { encoding: 'utf8' }).trim();

test('cache export then import restores the cached files and the image, verified by sha256', async (t) => {
  t.timeout(5 * 60_000);
  const work = mkdtempSync(join(tmpdir(), 'pullproof-cachex-'));
  const image = `pullproof/kind-base:cache-test-${process.pid}`;
  t.teardown(() => {
    try { docker('rmi', '-f', image); } catch { /* already gone */ }
    rmSync(work, { recursive: true, force: true });
  });
  const cache = join(work, 'cache');
  const put = (rel: string, text: string, mode = 0o644): void => {
    mkdirSync(join(cache, rel, '..'), { recursive: true });
    writeFileSync(join(cache, rel), text);
    chmodSync(join(cache, rel), mode);
  };
  put('bin/kind-v0.31.0-0123456789ab/kind', '#!/bin/sh\necho kind\n', 0o755);
  put('kubernetes/bin/v1.35.4-0123456789ab/kubelet', 'ELF kubelet', 0o755);
  put('rootfs/bookworm.tar', 'rootfs');
  put('go/mod/cache/download/example.com/@v/list', 'v1.0.0\n', 0o444);
  put('locks/host.lock', 'pid');
  put('bin/registry-v3.1.2-0123456789ab.tmp-999999/registry', 'half built');
  // A tiny image from a one-file tar (no registry needed).
  mkdirSync(join(work, 'img'));
  writeFileSync(join(work, 'img', 'hello.txt'), 'hello');
  execFileSync('sh', ['-c', `tar -C ${join(work, 'img')} -c . | docker import - ${image}`]);
  const id = docker('image', 'inspect', '--format', '{{.Id}}', image);
  const env = { PULLPROOF_CACHE: cache };
  const out = join(work, 'export');

  const ex = await pullproof(['cache', 'export', out, '--image', image, '--json'], env);
  t.is(ex.code, 0, ex.stderr);
  const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { files: { path: string; sha256: string; mode: number }[]; images: { ref: string }[]; archive?: { sha256: string } };
  t.deepEqual(manifest.files.map((f) => f.path).sort(), ['bin/kind-v0.31.0-0123456789ab/kind', 'kubernetes/bin/v1.35.4-0123456789ab/kubelet', 'rootfs/bookworm.tar']);
  t.deepEqual(manifest.images.map((i) => i.ref), [image]);
  t.regex(manifest.archive?.sha256 ?? '', /^[0-9a-f]{64}$/);

  // A fresh machine: no cache, no image.
  rmSync(cache, { recursive: true, force: true });
  docker('rmi', image);
  const im = await pullproof(['cache', 'import', out], env);
  t.is(im.code, 0, im.stderr);
  t.regex(im.stdout, /imported 3 file\(s\) and 1 image\(s\)/);
  t.is(readFileSync(join(cache, 'kubernetes/bin/v1.35.4-0123456789ab/kubelet'), 'utf8'), 'ELF kubelet');
  t.is(statSync(join(cache, 'bin/kind-v0.31.0-0123456789ab/kind')).mode & 0o777, 0o755);
  t.false(existsSync(join(cache, 'go')), 'the Go caches stay out without --with-go-cache');
  t.false(existsSync(join(cache, 'locks')));
  t.is(docker('image', 'inspect', '--format', '{{.Id}}', image), id);

  // --with-go-cache takes the Go caches too.
  put('go/mod/cache/download/example.com/@v/list', 'v1.0.0\n', 0o444);
  const withGo = await pullproof(['cache', 'export', out, '--no-images', '--with-go-cache'], env);
  t.is(withGo.code, 0, withGo.stderr);
  t.true(existsSync(join(out, 'files', 'go/mod/cache/download/example.com/@v/list')));
  t.false(existsSync(join(out, 'images.tar')));

  // A file changed after export: import refuses, naming it, and changes nothing.
  writeFileSync(join(out, 'files', 'rootfs/bookworm.tar'), 'rootfX'); // same size: only the checksum can tell
  put('rootfs/bookworm.tar', 'rootfs');
  const bad = await pullproof(['cache', 'import', out], env);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /files\/rootfs\/bookworm\.tar: sha256 [0-9a-f]{64}, the manifest says [0-9a-f]{64}/);
  t.is(readFileSync(join(cache, 'rootfs/bookworm.tar'), 'utf8'), 'rootfs');
});

test('cache export refuses a folder that holds something else', async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'pullproof-cachex-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  writeFileSync(join(work, 'notes.txt'), 'mine');
  const r = await pullproof(['cache', 'export', work, '--no-images'], { PULLPROOF_CACHE: join(work, 'nocache') });
  t.is(r.code, 2);
  t.regex(r.stderr, /is not empty and holds no earlier export/);
  t.true(existsSync(join(work, 'notes.txt')));
});
