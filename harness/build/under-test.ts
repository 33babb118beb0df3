// The kubelet build under test (`pullproof run --kubelet-binary PATH` or `--kubernetes-source DIR`): a
// release candidate or a vendor fork instead of the upstream release built from the module proxy. The
// build answers for the release it reports (`kubelet --version`, e.g. v1.35.4-rc.0 -> v1.35.4): every
// worker and every kubelet swap to that release uses it, the oracle predicts for that release (with
// --kubelet-limits where the build changes a hard-coded limit), and the report names the build's version,
// commit and sha256.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.ts';
import { output } from '../util/exec.ts';
import { parseRelease } from '../oracle/versions.ts';
import { buildKubelet } from './kubernetes.ts';

export interface KubeletBuildUnderTest {
  /** The release the build answers for (major.minor.patch of what it reports). */
  release: string;
  /** What `kubelet --version` prints, e.g. "Kubernetes v1.35.4-dirty". */
  reported: string;
  sha256: string;
  /** The git commit, when built from a checkout. */
  commit?: string;
  source: 'binary' | 'source';
  /** The path given (binary or source tree). */
  origin: string;
  /** The binary used (in the cache). */
  path: string;
}

const underTest = new Map<string, KubeletBuildUnderTest>();

/** Registers the build: workers and swaps to its release use it from now on (in this process). */
export function useKubeletBuild(b: KubeletBuildUnderTest): void {
  underTest.set(b.release, b);
}

export function kubeletBuildFor(release: string): KubeletBuildUnderTest | undefined {
  return underTest.get(release);
}

/** The kubelet binary for a release: the build under test when one answers for it, else the upstream build. */
export async function kubeletBinaryFor(release: string): Promise<string> {
  return underTest.get(release)?.path ?? buildKubelet(release);
}

/** The release a kubelet reports: `Kubernetes v1.35.4-rc.0+abc` -> v1.35.4. */
export function reportedRelease(versionOutput: string, field: string): string {
  const m = /\bv(\d+)\.(\d+)\.(\d+)/.exec(versionOutput);
  if (!m) throw new UsageError(field, `the kubelet reports no version ("${versionOutput.trim().slice(0, 80)}")`, 'give a kubelet built with version ldflags (make, or pullproof node-image kubelet)');
  const release = `v${m[1]}.${m[2]}.${m[3]}`;
  parseRelease(release, field);
  return release;
}

/** Adopts a kubelet binary (copied into the cache by its sha256) and reads the release it reports. */
export async function kubeletFromBinary(path: string): Promise<KubeletBuildUnderTest> {
  const { adoptKubeletBinary } = await import('./kubernetes.ts');
  const adopted = adoptKubeletBinary(path);
  const reported = (await output([adopted.path, '--version'], { timeoutMs: 30_000 })).trim();
  return { release: reportedRelease(reported, '--kubelet-binary'), reported, sha256: adopted.sha256, source: 'binary', origin: path, path: adopted.path };
}

/** Builds the kubelet of a source tree (a git checkout, or a release's module zip unpacked) and reads its release. */
export async function kubeletFromSource(dir: string, version: string | undefined): Promise<KubeletBuildUnderTest> {
  const { buildFromSource } = await import('./kubernetes.ts');
  const built = await buildFromSource(dir, ['kubelet'], { version: version ?? '' });
  const path = built.binaries.kubelet as string;
  const reported = (await output([path, '--version'], { timeoutMs: 30_000 })).trim();
  return {
    release: reportedRelease(reported, '--kubernetes-source'), reported, sha256: createHash('sha256').update(readFileSync(path)).digest('hex'),
    ...(built.commit ? { commit: built.commit } : {}), source: 'source', origin: dir, path,
  };
}
