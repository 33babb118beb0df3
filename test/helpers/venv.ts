// A Python virtualenv under the pullproof cache for test tools from PyPI (junitparser), created with
// `python3 -m venv` on first use and reused after (a marker file written last says it is complete).
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cachePath } from '../../harness/util/paths.ts';

export function ensureVenv(name: string, packages: string[]): { python: string; created: boolean; seconds: number } {
  const dir = cachePath(name);
  const python = join(dir, 'bin', 'python');
  const marker = join(dir, '.complete');
  if (existsSync(marker)) return { python, created: false, seconds: 0 };
  const t0 = performance.now();
  // An unfinished venv (no marker) is made again from scratch.
  rmSync(dir, { recursive: true, force: true });
  execFileSync('python3', ['-m', 'venv', dir], { stdio: 'pipe' });
  execFileSync(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...packages], { stdio: 'pipe', timeout: 600_000 });
  writeFileSync(marker, packages.join('\n') + '\n');
  return { python, created: true, seconds: (performance.now() - t0) / 1000 };
}
