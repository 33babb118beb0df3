// Packaging of the reference plugin for a kubelet bin-dir in a node that has no Node.js: an esbuild
// bundle (one ESM file, no node_modules) plus the Node.js binary from the node@24 dev dependency,
// shipped beside it, and a /bin/sh launcher named like the provider that execs the two. Built into
// pullproof's cache, keyed by the source files and the Node.js binary, so it is rebuilt only when
// they change. Layout (what `installPlugin` copies into a bin-dir):
//   <dir>/pullproof-credential-provider           the launcher (the kubelet execs this)
//   <dir>/.pullproof-credential-provider/node     the runtime (glibc >= 2.28, libstdc++; bookworm has both)
//   <dir>/.pullproof-credential-provider/plugin.mjs
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { cachePath, PROJECT_ROOT } from '../../util/paths.ts';
import { PLUGIN_NAME } from './main.ts';

export const RUNTIME_DIR = `.${PLUGIN_NAME}`;

export interface PackagedPlugin {
  /** Folder holding the launcher and the runtime folder (usable as a kubelet bin-dir). */
  dir: string;
  launcher: string;
  bundle: string;
  node: string;
  cached: boolean;
  seconds: number;
}

const HERE = dirname(fileURLToPath(import.meta.url));

export function launcherScript(): string {
  return `#!/bin/sh
# ${PLUGIN_NAME}: pullproof's reference kubelet credential provider. Runs the bundled plugin with the
# Node.js runtime shipped beside it; the node needs no Node.js of its own.
here=$(dirname "$(readlink -f "$0")")
unset NODE_OPTIONS NODE_PATH NODE_EXTRA_CA_CERTS
exec "$here/${RUNTIME_DIR}/node" --no-warnings --max-old-space-size=64 "$here/${RUNTIME_DIR}/plugin.mjs" "$@"
`;
}

export function nodeBinary(): string {
  return join(PROJECT_ROOT, 'node_modules', 'node', 'bin', 'node');
}

function sourceKey(): string {
  const h = createHash('sha256');
  for (const dir of [HERE, join(HERE, '..')]) {
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts')).sort()) h.update(f).update(readFileSync(join(dir, f)));
  }
  h.update(launcherScript());
  const node = readFileSync(nodeBinary());
  h.update(createHash('sha256').update(node).digest());
  return h.digest('hex').slice(0, 12);
}

/** Builds (or finds) the packaged plugin. */
export async function packagePlugin(): Promise<PackagedPlugin> {
  const t0 = performance.now();
  const dir = cachePath('credprovider', `${PLUGIN_NAME}-${sourceKey()}`);
  const paths = { dir, launcher: join(dir, PLUGIN_NAME), bundle: join(dir, RUNTIME_DIR, 'plugin.mjs'), node: join(dir, RUNTIME_DIR, 'node') };
  if (existsSync(paths.launcher) && existsSync(paths.node) && existsSync(paths.bundle)) return { ...paths, cached: true, seconds: 0 };
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, RUNTIME_DIR), { recursive: true });
  await build({
    entryPoints: [join(HERE, 'entry.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    outfile: join(tmp, RUNTIME_DIR, 'plugin.mjs'),
    logLevel: 'silent',
    legalComments: 'none',
  });
  copyFileSync(nodeBinary(), join(tmp, RUNTIME_DIR, 'node'));
  chmodSync(join(tmp, RUNTIME_DIR, 'node'), 0o755);
  writeFileSync(join(tmp, PLUGIN_NAME), launcherScript(), { mode: 0o755 });
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return { ...paths, cached: false, seconds: (performance.now() - t0) / 1000 };
}

/**
 * Installs the packaged plugin into a kubelet bin-dir under `name` (the provider's name in the
 * config). A second name for the same plugin (another mode or audience) is a symlink to the first.
 */
export function installPlugin(p: PackagedPlugin, binDir: string, names: string[] = [PLUGIN_NAME]): string[] {
  mkdirSync(join(binDir, RUNTIME_DIR), { recursive: true });
  copyFileSync(p.node, join(binDir, RUNTIME_DIR, 'node'));
  chmodSync(join(binDir, RUNTIME_DIR, 'node'), 0o755);
  copyFileSync(p.bundle, join(binDir, RUNTIME_DIR, 'plugin.mjs'));
  const [first = PLUGIN_NAME, ...others] = names;
  writeFileSync(join(binDir, first), launcherScript(), { mode: 0o755 });
  for (const n of others) {
    rmSync(join(binDir, n), { force: true });
    symlinkSync(first, join(binDir, n));
  }
  return names.map((n) => join(binDir, n));
}
