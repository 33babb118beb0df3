// A node's kubelet files backed up before pullproof changes anything on a node it did not create, and
// restored afterwards with a proof, byte for byte: the kubelet's configuration file, its flag files, its
// systemd drop-ins and its credential provider configuration and plugins, each file's content (SHA-256),
// mode, owner and type, and each symlink's target. The backup lives on the node itself
// (BACKUP_DIR: the files as a tar archive, their manifest, and which run took it), so a run that was
// killed before it could restore leaves everything `pullproof agent restore` needs; the node carries an
// annotation naming the run, so the restore finds the nodes without an agent on every node. One backup
// per node: a second run refuses to back up a node whose earlier backup was not restored (it would
// take the changed files for the original ones).
import { HarnessError } from '../errors.ts';
import type { Kube } from '../cluster/kube.ts';
import type { KindNode } from './kind-node.ts';

export const BACKUP_DIR = '/var/lib/pullproof/backup';
/** The annotation on the Node object while a backup is pending: the id of the run that took it. */
export const BACKUP_ANNOTATION = 'pullproof.io/kubelet-backup';
/** The kubelet's flag files of the common layouts (kubeadm, Debian and Red Hat packages) and its drop-ins. */
export const FLAG_FILES = ['/var/lib/kubelet/kubeadm-flags.env', '/etc/default/kubelet', '/etc/sysconfig/kubelet', '/etc/systemd/system/kubelet.service.d'];

export interface ManifestEntry {
  path: string;
  /** f file, d directory, l symlink, absent (the path did not exist when backed up). */
  type: 'f' | 'd' | 'l' | 'absent';
  mode?: string;
  owner?: string;
  sha256?: string;
  target?: string;
}

export interface NodeBackup {
  node: string;
  runId: string;
  takenAt: string;
  /** The paths backed up (files or directories), each restored as it was, or removed if it was absent. */
  paths: string[];
  entries: ManifestEntry[];
}

export interface RestoreProof {
  node: string;
  runId: string;
  /** Entries compared after the restore (files, directories, symlinks, absent paths). */
  entries: number;
  /** Whether anything differed before the restore (then the kubelet was restarted). */
  changed: string[];
  restartSeconds?: number;
  /** The kubelet's /configz after the restore equals the one read when the backup was taken. */
  configzSame?: boolean;
  how: string;
}

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** The shell that lists every entry under the given paths, one tab-separated line each, sorted. */
function manifestScript(paths: readonly string[]): string {
  return `for p in ${paths.map(q).join(' ')}; do
  if [ ! -e "$p" ] && [ ! -L "$p" ]; then printf 'absent\\t-\\t-\\t-\\t%s\\n' "$p"; continue; fi
  find "$p" | LC_ALL=C sort | while IFS= read -r f; do
    m=$(stat -c '%a\t%u:%g' "$f")
    if [ -L "$f" ]; then printf 'l\\t%s\\t%s\\t%s\\n' "$m" "$(readlink "$f")" "$f"
    elif [ -d "$f" ]; then printf 'd\\t%s\\t-\\t%s\\n' "$m" "$f"
    elif [ -f "$f" ]; then printf 'f\\t%s\\t%s\\t%s\\n' "$m" "$(sha256sum < "$f" | cut -d' ' -f1)" "$f"
    else printf 'other\\t%s\\t-\\t%s\\n' "$m" "$f"; fi
  done
done`;
}

export function parseManifest(text: string): ManifestEntry[] {
  const out: ManifestEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const [type, mode, owner, third, ...rest] = line.split('\t');
    const path = rest.join('\t');
    if (type === 'absent') out.push({ path, type: 'absent' });
    else if (type === 'f') out.push({ path, type: 'f', mode, owner, sha256: third });
    else if (type === 'l') out.push({ path, type: 'l', mode, owner, target: third });
    else if (type === 'd') out.push({ path, type: 'd', mode, owner });
    else throw new HarnessError(`${path}: neither a file, a directory nor a symlink; pullproof backs up only those`);
  }
  return out;
}

/** What differs between two manifests, one line per path (empty when identical). */
export function manifestDiff(before: readonly ManifestEntry[], after: readonly ManifestEntry[]): string[] {
  const key = (e: ManifestEntry): string => `${e.type} ${e.mode ?? ''} ${e.owner ?? ''} ${e.sha256 ?? ''} ${e.target ?? ''}`;
  const a = new Map(before.map((e) => [e.path, e]));
  const b = new Map(after.map((e) => [e.path, e]));
  const out: string[] = [];
  for (const [path, e] of a) {
    const f = b.get(path);
    if (!f) out.push(`${path}: gone (was ${e.type})`);
    else if (key(e) !== key(f)) out.push(`${path}: was ${key(e).trim()}, now ${key(f).trim()}`);
  }
  for (const [path, f] of b) if (!a.has(path)) out.push(`${path}: new (${f.type})`);
  return out;
}

async function manifestOf(node: KindNode, paths: readonly string[]): Promise<ManifestEntry[]> {
  return parseManifest((await node.exec(['sh', '-c', manifestScript(paths)], { timeoutMs: 120_000 })).stdout);
}

/** The flag value from the kubelet's command line (/proc/<pid>/cmdline), or undefined. */
export function flagOf(cmdline: string, flag: string): string | undefined {
  const args = cmdline.split('\0');
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a.startsWith(`--${flag}=`)) return a.slice(flag.length + 3);
    if (a === `--${flag}`) return args[i + 1];
  }
  return undefined;
}

/** The running kubelet's command line (NUL-separated, from /proc/<pid>/cmdline), or undefined when no kubelet runs. */
export async function kubeletCmdline(node: KindNode): Promise<string | undefined> {
  const pid = (await node.exec(['sh', '-c', 'pidof kubelet || pgrep -x kubelet'], { allowFailure: true })).stdout.trim().split(/\s+/)[0];
  return pid ? (await node.exec(['cat', `/proc/${pid}/cmdline`])).stdout : undefined;
}

/** The paths a run may change on this node: the kubelet's --config file, its flag files and drop-ins, and its credential provider config and plugin directory. */
export async function kubeletPaths(node: KindNode): Promise<string[]> {
  const cmdline = await kubeletCmdline(node);
  if (!cmdline) throw new HarnessError(`${node.name}: no kubelet process to read the configuration paths from`);
  const config = flagOf(cmdline, 'config');
  if (!config) throw new HarnessError(`${node.name}: the kubelet runs without --config (flags only); pullproof changes only a configuration file`);
  const provider = ['image-credential-provider-config', 'image-credential-provider-bin-dir'].map((f) => flagOf(cmdline, f)).filter((x): x is string => !!x);
  return [...new Set([config, ...FLAG_FILES, ...provider])];
}

/** The backup pending on a node (taken and not restored), or undefined. */
export async function readBackup(node: KindNode): Promise<NodeBackup | undefined> {
  const r = await node.exec(['sh', '-c', `[ -f ${BACKUP_DIR}/backup.json ] && cat ${BACKUP_DIR}/backup.json || echo __NONE__`], { allowFailure: true });
  if (r.exitCode !== 0) throw new HarnessError(`${node.name}: cannot read ${BACKUP_DIR}`, r.stderr);
  if (r.stdout.trim() === '__NONE__') return undefined;
  return JSON.parse(r.stdout) as NodeBackup;
}

/**
 * Backs up the paths on the node (a tar archive with modes and owners, and the manifest), then marks
 * the Node object. Refuses when a backup is pending: that run's changes would be taken for the original.
 */
export async function takeBackup(node: KindNode, kube: Kube, paths: readonly string[], runId: string): Promise<NodeBackup> {
  const pending = await readBackup(node);
  if (pending) {
    throw new HarnessError(`${node.name}: a backup of run ${pending.runId} (${pending.takenAt}) was never restored, so the kubelet files may still hold that run's changes`, `restore it first: npx pullproof agent restore --kubeconfig FILE --node ${node.name}`);
  }
  const entries = await manifestOf(node, paths);
  const present = entries.filter((e) => e.type !== 'absent' && paths.includes(e.path)).map((e) => e.path);
  const backup: NodeBackup = { node: node.name, runId, takenAt: new Date().toISOString(), paths: [...paths], entries };
  const tmp = `${BACKUP_DIR}.tmp`;
  // The archive keeps modes, owners and symlinks; written beside, then moved in whole.
  await node.exec(['sh', '-c', `set -e; rm -rf ${tmp}; mkdir -p ${tmp}; chmod 0700 ${tmp}; ${present.length ? `tar --absolute-names -cpf ${tmp}/files.tar ${present.map(q).join(' ')}` : `tar -cf ${tmp}/files.tar -T /dev/null`}; cat > ${tmp}/backup.json; mv ${tmp} ${BACKUP_DIR}`], { input: JSON.stringify(backup, null, 2) + '\n', timeoutMs: 120_000 });
  await kube.annotateNode(node.name, BACKUP_ANNOTATION, runId);
  return backup;
}

/**
 * Puts every backed-up path back as it was (a path absent at the backup is removed), reloads systemd
 * and restarts the kubelet when anything differed, then proves the restore: the manifest read again
 * equals the backup's, entry for entry. Only then the backup and the node's annotation are removed;
 * a restore that does not prove keeps them and says what differs.
 */
export async function restoreBackup(node: KindNode, kube: Kube, o: { configzBefore?: Record<string, unknown> } = {}): Promise<RestoreProof | undefined> {
  const backup = await readBackup(node);
  if (!backup) {
    await kube.annotateNode(node.name, BACKUP_ANNOTATION, null);
    return undefined;
  }
  const changed = manifestDiff(backup.entries, await manifestOf(node, backup.paths));
  let restartSeconds: number | undefined;
  if (changed.length) {
    await node.exec(['sh', '-c', `set -e; rm -rf ${backup.paths.map(q).join(' ')}; tar --absolute-names -xpf ${BACKUP_DIR}/files.tar`], { timeoutMs: 120_000 });
    const after = manifestDiff(backup.entries, await manifestOf(node, backup.paths));
    if (after.length) throw new HarnessError(`${node.name}: the restore of run ${backup.runId}'s backup does not match it: ${after.slice(0, 5).join('; ')}`, `the backup is kept in ${BACKUP_DIR} on the node; compare by hand, then run npx pullproof agent restore again`);
    await node.exec(['systemctl', 'daemon-reload']);
    restartSeconds = await node.restartKubelet();
  }
  let configzSame: boolean | undefined;
  if (o.configzBefore) configzSame = JSON.stringify(await node.configz()) === JSON.stringify(o.configzBefore);
  await node.exec(['rm', '-rf', BACKUP_DIR]);
  await kube.annotateNode(node.name, BACKUP_ANNOTATION, null);
  return {
    node: node.name, runId: backup.runId, entries: backup.entries.length, changed, ...(restartSeconds !== undefined ? { restartSeconds } : {}), ...(configzSame !== undefined ? { configzSame } : {}),
    how: `each backed-up path listed again after the restore (type, mode, owner, SHA-256 of every file, symlink targets) and compared with the manifest taken before any change: ${backup.entries.length} entries identical`,
  };
}
