// Builds the kubelet judge (harness/certify/judge/*.go) against k8s.io/kubernetes at one release, the
// way harness/build/kubernetes.ts builds kubelets: a wrapper module that requires k8s.io/kubernetes
// and replaces each staging module (k8s.io/<x> v0.0.0) with v0.Y.Z, read from that release's go.mod;
// the Go toolchain its .go-version names (GOTOOLCHAIN); the module proxy only. Built lazily, once per
// release and source, under a host lock, with `nice -n 10`; cached in ~/.cache/pullproof/certify-judge.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { goEnv } from '../../build/go.ts';
import { kubeSource, stagingReplaces, type KubeSource } from '../../build/kubernetes.ts';
import { HarnessError } from '../../errors.ts';
import { withHostLock } from '../../host/lock.ts';
import { parseRelease } from '../../oracle/versions.ts';
import { run } from '../../util/exec.ts';
import { cachePath } from '../../util/paths.ts';

const SOURCE_DIR = fileURLToPath(new URL('.', import.meta.url));
/** Bumped when the way the judge is built changes. */
const RECIPE = 'judge-v1';

export interface JudgeBinary {
  release: string;
  path: string;
  toolchain: string;
  cached: boolean;
  /** Wall time of this build (0 when cached). */
  seconds: number;
}

/** The Go files of the judge, by name. */
function sources(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(SOURCE_DIR).filter((n) => n.endsWith('.go')).sort()) out[name] = readFileSync(join(SOURCE_DIR, name), 'utf8');
  return out;
}

/**
 * The build tag that selects the keyring glue for a minor (the entry points' signatures differ).
 * 1.34 and later need none, so their compiled packages are exactly the kubelet's (same toolchain,
 * flags and module versions): a judge build and a kubelet build of one release share Go's build cache.
 */
export function judgeTag(release: string): string | undefined {
  const { minor } = parseRelease(release, 'release');
  if (minor <= 32) return 'judge_v132';
  if (minor === 33) return 'judge_v133';
  return undefined;
}

function key(release: string, files: Record<string, string>): string {
  return createHash('sha256').update(JSON.stringify([RECIPE, release, files])).digest('hex').slice(0, 12);
}

/** Where the judge for a release would be (without building it). */
export function judgePath(release: string): string {
  return cachePath('certify-judge', `${release}-${key(release, sources())}`, 'judge');
}

function env(src: KubeSource): Record<string, string> {
  // Only the module proxy: a module it lacks is an error, never a fetch from a VCS host.
  return { ...goEnv(), CGO_ENABLED: '0', GOTOOLCHAIN: src.toolchain, GOPROXY: process.env.GOPROXY?.replace(/,direct$/, '') || 'https://proxy.golang.org' };
}

function goMod(src: KubeSource, replaces: string[]): string {
  return [
    'module pullproof.local/judge', '', `go ${src.goDirective}`, '', ...src.godebug.map((g) => `godebug ${g}`), '',
    `require k8s.io/kubernetes ${src.version}`, '', 'replace (', ...replaces.map((r) => `\t${r}`), ')', '',
  ].join('\n');
}

/**
 * The judge binary for a release (e.g. v1.35.4), built if the cache lacks it. Throws a HarnessError
 * with the exact Go error when the release cannot be built here.
 */
export async function ensureJudge(release: string, o: { onBuildStart?: (why: string) => void } = {}): Promise<JudgeBinary> {
  parseRelease(release, '--kubernetes');
  const files = sources();
  const dir = cachePath('certify-judge', `${release}-${key(release, files)}`);
  const bin = join(dir, 'judge');
  const meta = join(dir, 'BUILD.json');
  const cachedResult = (): JudgeBinary => {
    const m = JSON.parse(readFileSync(meta, 'utf8')) as { toolchain: string };
    return { release, path: bin, toolchain: m.toolchain, cached: true, seconds: 0 };
  };
  if (existsSync(bin) && existsSync(meta)) return cachedResult();
  return withHostLock(`certify-judge-${release}`, async () => {
    if (existsSync(bin) && existsSync(meta)) return cachedResult();
    o.onBuildStart?.(`building the ${release} kubelet judge (k8s.io/kubernetes ${release}, once; several minutes on a cold cache)`);
    const t0 = performance.now();
    const src = await kubeSource(release);
    const work = `${dir}.tmp-${process.pid}`;
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    try {
      writeFileSync(join(work, 'go.mod'), goMod(src, stagingReplaces(readFileSync(src.goModPath, 'utf8'), release)));
      for (const [name, text] of Object.entries(files)) writeFileSync(join(work, name), text);
      const e = env(src);
      const nice = (argv: string[]): string[] => ['nice', '-n', '10', ...argv];
      // -e: tidy also walks test dependencies of packages the judge never builds.
      await run(nice(['go', 'mod', 'tidy', '-e']), { cwd: work, env: e, timeoutMs: 30 * 60_000 });
      const ldflags = `-s -w -X main.kubernetesVersion=${release}`;
      const tag = judgeTag(release);
      const r = await run(nice(['go', 'build', '-trimpath', ...(tag ? [`-tags=${tag}`] : []), `-ldflags=${ldflags}`, '-o', 'judge', '.']), { cwd: work, env: e, timeoutMs: 45 * 60_000, allowFailure: true });
      if (r.exitCode !== 0) {
        throw new HarnessError(`cannot build the ${release} kubelet judge: ${r.stderr.trim().split('\n').slice(-15).join('\n')}`,
          `check that the Go module proxy serves k8s.io/kubernetes@${release} and its staging modules (GOPROXY=${e.GOPROXY})`);
      }
      const seconds = (performance.now() - t0) / 1000;
      writeFileSync(join(work, 'BUILD.json'), JSON.stringify({ recipe: RECIPE, release, toolchain: src.toolchain, tag: judgeTag(release) ?? null, seconds: Math.round(seconds), builtAt: new Date().toISOString() }, null, 2) + '\n');
      rmSync(dir, { recursive: true, force: true });
      renameSync(work, dir);
      return { release, path: bin, toolchain: src.toolchain, cached: false, seconds };
    } catch (err) {
      rmSync(work, { recursive: true, force: true });
      throw err;
    }
  });
}
