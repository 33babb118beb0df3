// Damaged cache entries are detected by their digest and rebuilt, never used; a full disk gives an error
// naming the path and the space left. On a real cache entry: the kind CLI, built from the Go module
// proxy into a private cache folder (its Go module and build caches are the host's shared ones, so a
// rebuild is a link, seconds). The full disk is a 1 MiB tmpfs mounted by the test (needs root).
import test from 'ava';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HarnessError } from '../harness/errors.ts';
import { ensureKind } from '../harness/kind/binary.ts';
import { writeFileChecked } from '../harness/util/disk.ts';
import { setLogFile } from '../harness/util/log.ts';
import { cacheRoot } from '../harness/util/paths.ts';

const sha256 = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');

let cache: string;
let logFile: string;
const sharedCache = cacheRoot();

test.before(() => {
  cache = mkdtempSync(join(tmpdir(), 'pullproof-test-cache-'));
  mkdirSync(join(sharedCache, 'go'), { recursive: true });
  symlinkSync(join(sharedCache, 'go'), join(cache, 'go'));
  process.env.PULLPROOF_CACHE = cache;
  logFile = join(cache, 'log.txt');
  setLogFile(logFile);
});

test.after.always(() => {
  setLogFile(undefined);
  delete process.env.PULLPROOF_CACHE;
  // The symlink goes, never what it points to (the host's shared Go caches).
  if (cache) rmSync(cache, { recursive: true, force: true });
});

function logSince(offset: number): string {
  return existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(offset) : '';
}

test.serial('a truncated, an altered and an unrecorded-and-truncated kind binary are each detected and rebuilt; an intact one is reused', async (t) => {
  t.timeout(30 * 60_000, 'the first build downloads kind from the module proxy when the shared Go cache lacks it');
  const first = await ensureKind();
  t.false(first.cached, 'the private cache starts empty');
  const good = sha256(first.path);
  t.regex(readFileSync(`${first.path}.sha256`, 'utf8'), new RegExp(`^${good}  kind\\n$`), 'the digest is recorded beside the binary');
  t.true((await ensureKind()).cached, 'an intact entry is reused');

  const damages: [string, () => void][] = [
    ['truncated to half', () => truncateSync(first.path, Math.floor(statSync(first.path).size / 2))],
    ['one byte altered, same size', () => {
      const bytes = readFileSync(first.path);
      const at = Math.floor(bytes.length / 3);
      bytes[at] = (bytes[at] as number) ^ 0xff;
      writeFileSync(first.path, bytes);
    }],
    ['truncated, with no digest recorded (an entry from before digests)', () => {
      rmSync(`${first.path}.sha256`);
      truncateSync(first.path, statSync(first.path).size - 4096);
    }],
  ];
  let recovered = 0;
  for (const [what, damage] of damages) {
    damage();
    const mark = logSince(0).length;
    const t0 = performance.now();
    const again = await ensureKind();
    const seconds = (performance.now() - t0) / 1000;
    t.false(again.cached, `${what}: not used`);
    t.regex(logSince(mark), /cache entry .*\/kind is damaged \(.+\): not using it; removing and rebuilding it/, what);
    t.is(sha256(again.path), good, `${what}: the rebuilt binary is byte-identical to the first build`);
    t.log(`${what}: detected and rebuilt in ${seconds.toFixed(1)} s`);
    recovered++;
  }
  t.is(recovered, 3);

  // An intact entry from before digests is adopted: its digest is recorded, it is not rebuilt.
  rmSync(`${first.path}.sha256`);
  const adopted = await ensureKind();
  t.true(adopted.cached);
  t.true(existsSync(`${first.path}.sha256`));
});

test.serial('a build that fills the disk names the path and the free space left', async (t) => {
  t.timeout(10 * 60_000);
  const bin = join(cache, 'bin');
  rmSync(bin, { recursive: true, force: true });
  mkdirSync(bin);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', bin]);
  t.teardown(() => execFileSync('umount', [bin]));

  // A plain write first: the error names the file and the space left on the tmpfs.
  const direct = t.throws(() => writeFileChecked(join(bin, 'big'), Buffer.alloc(2 * 1024 * 1024)), { instanceOf: HarnessError });
  t.regex(direct?.message ?? '', new RegExp(`^no space left on device writing ${bin}/big: [0-9.]+ (B|KiB) free now of 1\\.0 MiB on the filesystem holding ${bin}`));
  rmSync(join(bin, 'big'), { force: true });

  // A real build: go install of the kind CLI (about 10 MB) into the 1 MiB cache folder.
  const err = await t.throwsAsync(ensureKind(), { instanceOf: HarnessError });
  t.log(`${err?.message}\n  fix: ${(err as HarnessError | undefined)?.detail}`);
  t.regex(err?.message ?? '', new RegExp(`^no space left on device writing ${bin}/kind-v[0-9.]+-[0-9a-f]{12}\\.tmp-\\d+/\\S*: [0-9.]+ (B|KiB|MiB) free now of 1\\.0 MiB`));
  t.regex((err as HarnessError | undefined)?.detail ?? '', /pullproof cache prune/);
  t.deepEqual(execFileSync('ls', ['-A', bin], { encoding: 'utf8' }).trim(), '', 'the half-written build folder is removed');
});
