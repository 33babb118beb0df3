// The kind CLI, built from the Go module proxy (sigs.k8s.io/kind has no replace directives), and the
// kind module's source tree, whose images/base/files are the node image's systemd units, containerd
// config and entrypoint (images/base is not a nested module, so the files ship in the module zip).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { HarnessError, UsageError } from '../errors.ts';
import { goEnv, goInstall, goProxy } from '../build/go.ts';
import { DEFAULT_CONTROL_PLANE, factsOf } from '../oracle/versions.ts';
import { run } from '../util/exec.ts';
import { cachePath } from '../util/paths.ts';

/** The kind release of the default control plane's minor (the version table picks one per minor). */
export const DEFAULT_KIND_VERSION = factsOf(DEFAULT_CONTROL_PLANE)?.kind ?? 'v0.31.0';

export interface KindBinary {
  path: string;
  version: string;
  cached: boolean;
  seconds: number;
}

function checkVersion(version: string): void {
  if (!/^v0\.\d+\.\d+$/.test(version)) throw new UsageError('--kind', `"${version}" is not a kind release version`, 'give a release such as v0.31.0');
}

/** The kind CLI of the given release, built (or taken from the cache). */
export async function ensureKind(version: string = DEFAULT_KIND_VERSION): Promise<KindBinary> {
  checkVersion(version);
  const b = await goInstall({ pkg: 'sigs.k8s.io/kind', version, env: { GOPROXY: goProxy() } });
  return { ...b, version };
}

/** The extracted sigs.k8s.io/kind module (read-only) of the given release. */
export async function kindModuleDir(version: string = DEFAULT_KIND_VERSION): Promise<string> {
  checkVersion(version);
  const r = await run(['go', 'mod', 'download', '-json', `sigs.k8s.io/kind@${version}`], {
    env: { ...goEnv(), GOTOOLCHAIN: 'local' }, cwd: cachePath(), timeoutMs: 10 * 60_000, allowFailure: true,
  });
  let dir: string | undefined;
  try {
    dir = (JSON.parse(r.stdout) as { Dir?: string }).Dir;
  } catch { /* below */ }
  if (!dir || !existsSync(join(dir, 'images', 'base', 'files'))) {
    throw new HarnessError(`could not get sigs.k8s.io/kind@${version} from the Go module proxy`, r.stderr.trim() || 'no images/base/files in the module');
  }
  return dir;
}
