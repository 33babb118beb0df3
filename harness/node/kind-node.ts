// Node operations on a kind node (a Docker container running systemd, containerd and the kubelet):
// the primitives the suites script. Every change to pull records is followed by a kubelet restart,
// because from 1.35 the kubelet reads records through an in-memory cache.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HarnessError } from '../errors.ts';
import { run, type RunOptions, type RunResult } from '../util/exec.ts';
import { redact } from '../util/secrets.ts';
import { applyKubeletSettings, type KubeletSettings, type KubeletTarget } from '../cluster/kubelet-config.ts';
import { parseRecord, recordPath, RECORDS_ROOT, type ImagePulledRecord, type ImagePullIntent, type PullRecord } from './records.ts';

export const KUBELET_CONFIG = '/var/lib/kubelet/config.yaml';
const KUBELET_BIN = '/usr/bin/kubelet';
/** The node image's own kubelet, kept once before the first swap; a build is staged beside it first. */
const ORIGINAL_KUBELET = `${KUBELET_BIN}.pullproof-orig`;
const STAGED_KUBELET = `${KUBELET_BIN}.pullproof-new`;
/** The shell that removes every pull record. */
export const WIPE_RECORDS_SH = `rm -rf ${RECORDS_ROOT}/pulling ${RECORDS_ROOT}/pulled`;

/**
 * The shell that puts the staged kubelet (stageKubelet) in place, or with "original" the node image's own
 * back, keeping the node's own once as ORIGINAL_KUBELET. Each step after the previous one, whatever it
 * returned: a caller that must stop at a failure prefixes `set -e`.
 */
export function installKubeletSh(binary: string | 'original'): string {
  return `[ -e ${ORIGINAL_KUBELET} ] || cp -p ${KUBELET_BIN} ${ORIGINAL_KUBELET}; ${binary === 'original' ? `cp -p ${ORIGINAL_KUBELET} ${KUBELET_BIN}` : `chmod 0755 ${STAGED_KUBELET} && mv ${STAGED_KUBELET} ${KUBELET_BIN}`}`;
}

export interface CriImage {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  pinned: boolean;
}

export interface Records {
  intents: ImagePullIntent[];
  pulled: ImagePulledRecord[];
  /** Files the kubelet's decoder would fail on too (corrupt, foreign, unknown version). */
  unreadable: { file: string; error: string }[];
}

/** The kubelet's systemd unit as `systemctl show` reports it (KindNode.kubeletUnit). */
export interface KubeletUnit { activeState: string; subState: string; nRestarts: number; execMainStatus: number; execMainPid: number; invocationId: string; activeSince?: Date }

export class KindNode {
  /** Docker container name, which kind also uses as the Kubernetes node name. */
  readonly name: string;
  private readonly controlPlane: string;

  constructor(name: string, controlPlane: string) {
    this.name = name;
    this.controlPlane = controlPlane;
  }

  exec(args: string[], o: RunOptions = {}): Promise<RunResult> {
    return run(['docker', 'exec', ...(o.input !== undefined ? ['-i'] : []), this.name, ...args], o);
  }

  /** kubectl as cluster admin, run inside the control-plane node (no kubeconfig on the host needed). */
  kubectl(args: string[], o: RunOptions = {}): Promise<RunResult> {
    return run(['docker', 'exec', ...(o.input !== undefined ? ['-i'] : []), this.controlPlane,
      'kubectl', '--kubeconfig', '/etc/kubernetes/admin.conf', ...args], o);
  }

  async readFile(path: string): Promise<string> {
    return (await this.exec(['cat', path])).stdout;
  }

  async writeFile(path: string, content: string, mode = '0600'): Promise<void> {
    const dir = path.slice(0, path.lastIndexOf('/'));
    await this.exec(['sh', '-c', `mkdir -p '${dir}' && cat > '${path}.pullproof.tmp' && chmod ${mode} '${path}.pullproof.tmp' && mv '${path}.pullproof.tmp' '${path}'`], { input: content });
  }

  async kubeletVersion(): Promise<string> {
    const out = (await this.exec(['kubelet', '--version'])).stdout.trim();
    const m = /v\d+\.\d+\.\d+\S*/.exec(out);
    if (!m) throw new HarnessError(`${this.name}: cannot read the kubelet version from "${out}"`);
    return m[0];
  }

  /** Restarts the kubelet and waits for its healthz and a fresh Ready condition; returns seconds to Ready. */
  async restartKubelet(timeoutMs = 180_000): Promise<number> {
    const t0 = performance.now();
    const since = new Date(Date.now() - 1000);
    await this.exec(['systemctl', 'restart', 'kubelet']);
    await this.waitReady(since, timeoutMs);
    return (performance.now() - t0) / 1000;
  }

  /**
   * The kubelet's systemd unit (`systemctl show`): its state, restarts and main process, and its
   * invocation (new at every start) with when it became active, on the node's clock. Fields it could not
   * read are empty (a failed exec gives them all empty).
   */
  async kubeletUnit(o: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<KubeletUnit> {
    const r = await this.exec(['systemctl', 'show', 'kubelet', '--timestamp=unix', '-p', 'ActiveState', '-p', 'SubState', '-p', 'NRestarts', '-p', 'ExecMainStatus', '-p', 'ExecMainPID', '-p', 'InvocationID', '-p', 'ActiveEnterTimestamp'], { allowFailure: true, ...o });
    const v = Object.fromEntries(r.stdout.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    const since = /^@(\d+)$/.exec(v.ActiveEnterTimestamp ?? '')?.[1];
    return {
      activeState: v.ActiveState ?? '', subState: v.SubState ?? '', nRestarts: Number(v.NRestarts ?? 0), execMainStatus: Number(v.ExecMainStatus ?? 0), execMainPid: Number(v.ExecMainPID ?? 0),
      invocationId: v.InvocationID ?? '', activeSince: since ? new Date(Number(since) * 1000) : undefined,
    };
  }

  /** Waits until the kubelet answers healthz and the node reports Ready with a heartbeat after `since`. */
  async waitReady(since: Date, timeoutMs = 180_000, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      if (signal?.aborted) throw new HarnessError(`${this.name}: waiting for Ready aborted`);
      // Bounded as a whole: an exec through a node agent is served by the kubelet being waited for.
      const health = await this.exec(['curl', '-sf', '--max-time', '2', 'http://127.0.0.1:10248/healthz'], { allowFailure: true, signal, timeoutMs: 5_000 })
        .catch((err: unknown) => { if (signal?.aborted) throw err; return { exitCode: -1 }; });
      if (health.exitCode === 0) {
        last = await this.readyStatus(signal);
        const [status, beat] = last.split(' ');
        if (status === 'True' && beat && new Date(beat).getTime() >= Math.floor(since.getTime() / 1000) * 1000) return;
      } else {
        last = 'kubelet healthz not answering';
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    const journal = await this.exec(['journalctl', '-u', 'kubelet', '--no-pager', '-n', '30'], { allowFailure: true });
    throw new HarnessError(`${this.name}: the kubelet was not Ready within ${timeoutMs / 1000}s (last: ${last})`, redact(journal.stdout));
  }

  /** The node's Ready condition, "<status> <lastHeartbeatTime>" (or why it cannot be read). */
  protected async readyStatus(signal?: AbortSignal): Promise<string> {
    const cond = await this.kubectl(['get', 'node', this.name, '-o', 'jsonpath={range .status.conditions[?(@.type=="Ready")]}{.status} {.lastHeartbeatTime}{end}'], { allowFailure: true, signal });
    return cond.stdout.trim() || cond.stderr.trim();
  }

  /** A GET to the kubelet through the API server's node proxy (configz, metrics). */
  protected async kubeletGet(path: string): Promise<string> {
    return (await this.kubectl(['get', '--raw', `/api/v1/nodes/${this.name}/proxy/${path}`])).stdout;
  }

  /** Copies a file of this machine onto the node. */
  protected async copyIn(file: string, dest: string): Promise<void> {
    await run(['docker', 'cp', file, `${this.name}:${dest}`], { timeoutMs: 120_000 });
  }

  /** The kubelet's running configuration, as it reports it on /configz. */
  async configz(): Promise<Record<string, unknown>> {
    const raw = await this.kubeletGet('configz');
    return (JSON.parse(raw) as { kubeletconfig: Record<string, unknown> }).kubeletconfig;
  }

  /** Rewrites config.yaml for these settings and this kubelet (no restart). */
  async writeKubeletSettings(settings: KubeletSettings, target: KubeletTarget, field: string): Promise<void> {
    const current = await this.readFile(KUBELET_CONFIG);
    await this.writeFile(KUBELET_CONFIG, applyKubeletSettings(current, settings, target, field), '0644');
  }

  /** Applies per-node kubelet settings to config.yaml, restarts, and confirms them through /configz. */
  async applyKubeletSettings(settings: KubeletSettings, target: KubeletTarget, field: string): Promise<{ seconds: number; configz: Record<string, unknown> }> {
    await this.writeKubeletSettings(settings, target, field);
    const seconds = await this.restartKubelet();
    const configz = await this.configz();
    const gates = (configz.featureGates ?? {}) as Record<string, boolean>;
    for (const [gate, value] of Object.entries(settings.featureGates ?? {})) {
      if (gates[gate] !== value) throw new HarnessError(`${this.name}: /configz shows ${gate}=${String(gates[gate])} after setting ${value}`);
    }
    if (settings.imagePullCredentialsVerificationPolicy && configz.imagePullCredentialsVerificationPolicy !== settings.imagePullCredentialsVerificationPolicy) {
      throw new HarnessError(`${this.name}: /configz shows policy ${String(configz.imagePullCredentialsVerificationPolicy)} after setting ${settings.imagePullCredentialsVerificationPolicy}`);
    }
    return { seconds, configz };
  }

  // ---- image pull records ---------------------------------------------------------------------
  async listRecords(): Promise<Records> {
    const listing = await this.exec(['sh', '-c', `for d in pulling pulled; do for f in ${RECORDS_ROOT}/$d/sha256-*; do [ -f "$f" ] || continue; case "$f" in *.tmp) continue;; esac; printf '%s\\0' "$f"; cat "$f"; printf '\\0'; done; done`], { allowFailure: true });
    const parts = listing.stdout.split('\0');
    const out: Records = { intents: [], pulled: [], unreadable: [] };
    for (let i = 0; i + 1 < parts.length; i += 2) {
      const file = parts[i] as string;
      try {
        const r = parseRecord(parts[i + 1] as string, file);
        if (r.kind === 'ImagePullIntent') out.intents.push(r);
        else out.pulled.push(r);
      } catch (err) {
        out.unreadable.push({ file, error: (err as Error).message });
      }
    }
    return out;
  }

  /** The pulled record file for one imageRef: absent, unreadable (with the decode error), or parsed. */
  async readPulledRecord(imageRef: string): Promise<{ record?: ImagePulledRecord; unreadable?: string; file: string } | undefined> {
    const file = recordPath({ kind: 'ImagePulledRecord', key: imageRef });
    const r = await this.exec(['sh', '-c', `[ -f '${file}' ] && cat '${file}' || echo __ABSENT__`], { allowFailure: true });
    if (r.stdout.trim() === '__ABSENT__') return undefined;
    try {
      const rec = parseRecord(r.stdout, file);
      if (rec.kind !== 'ImagePulledRecord') return { unreadable: `${file}: kind ${rec.kind}`, file };
      return { record: rec, file };
    } catch (err) {
      return { unreadable: (err as Error).message, file };
    }
  }

  async pulledRecordFor(imageRef: string): Promise<ImagePulledRecord | undefined> {
    return (await this.listRecords()).pulled.find((r) => r.imageRef === imageRef);
  }

  async writeRecord(r: PullRecord, o: { restart?: boolean } = {}): Promise<void> {
    await this.writeFile(recordPath(r), JSON.stringify(r));
    if (o.restart !== false) await this.restartKubelet();
  }

  async deleteRecord(kind: PullRecord['kind'], key: string, o: { restart?: boolean } = {}): Promise<void> {
    await this.exec(['rm', '-f', recordPath({ kind, key })]);
    if (o.restart !== false) await this.restartKubelet();
  }

  /** Overwrites a record with bytes the kubelet's strict decoder cannot read. */
  async corruptRecord(kind: PullRecord['kind'], key: string, o: { restart?: boolean } = {}): Promise<void> {
    await this.writeFile(recordPath({ kind, key }), '{"kind":"ImagePulledRecord","apiVersion":"kubelet.config.k8s.io/v1beta1","imageRef":');
    if (o.restart !== false) await this.restartKubelet();
  }

  /** Removes every record (the node then treats every present image as preloaded). */
  async wipeRecords(o: { restart?: boolean } = {}): Promise<void> {
    await this.exec(['sh', '-c', WIPE_RECORDS_SH]);
    if (o.restart !== false) await this.restartKubelet();
  }

  // ---- images in the node's containerd ---------------------------------------------------------
  async images(): Promise<CriImage[]> {
    const out = JSON.parse((await this.exec(['crictl', 'images', '-o', 'json'])).stdout) as { images: { id: string; repoTags?: string[]; repoDigests?: string[]; pinned?: boolean }[] };
    return out.images.map((i) => ({ id: i.id, repoTags: i.repoTags ?? [], repoDigests: i.repoDigests ?? [], pinned: i.pinned ?? false }));
  }

  async imageRef(image: string): Promise<string | undefined> {
    return (await this.images()).find((i) => i.repoTags.includes(image) || i.repoDigests.includes(image))?.id;
  }

  async removeImage(ref: string): Promise<void> {
    await this.exec(['crictl', 'rmi', ref]);
  }

  /** Loads an OCI or docker archive into containerd's k8s.io namespace, outside the kubelet. */
  async loadImage(archive: Buffer): Promise<void> {
    await this.exec(['ctr', '-n', 'k8s.io', 'images', 'import', '--digests', '--all-platforms', '-'], { input: archive, timeoutMs: 300_000 });
  }

  // ---- kubelet binary ----------------------------------------------------------------------------
  /** Replaces the node's kubelet with another build (upgrade/downgrade in place) and restarts it. */
  async swapKubelet(binary: string, o: { wipeRecords?: boolean } = {}): Promise<number> {
    await this.exec(['systemctl', 'stop', 'kubelet']);
    if (o.wipeRecords) await this.wipeRecords({ restart: false });
    await this.installKubelet(binary);
    const since = new Date(Date.now() - 1000);
    const t0 = performance.now();
    await this.exec(['systemctl', 'start', 'kubelet']);
    await this.waitReady(since);
    return (performance.now() - t0) / 1000;
  }

  /**
   * Puts another kubelet binary in place (the kubelet must be stopped). The node image's own kubelet is
   * kept once as /usr/bin/kubelet.pullproof-orig; `binary` "original" puts it back.
   */
  async installKubelet(binary: string | 'original'): Promise<void> {
    await this.stageKubelet(binary);
    await this.exec(['sh', '-c', `set -e; ${installKubeletSh(binary)}`]);
  }

  /** Copies a kubelet build onto the node beside the running one (nothing for "original"). */
  protected async stageKubelet(binary: string | 'original'): Promise<void> {
    if (binary !== 'original') await this.copyIn(binary, STAGED_KUBELET);
  }

  /** Cordons the node and evicts its pods (daemon sets stay), as before a kubelet minor upgrade. */
  async drain(timeoutSeconds = 120): Promise<void> {
    await this.kubectl(['drain', this.name, '--ignore-daemonsets', '--delete-emptydir-data', '--force', '--grace-period=5', `--timeout=${timeoutSeconds}s`], { timeoutMs: (timeoutSeconds + 30) * 1000 });
  }

  async uncordon(): Promise<void> {
    await this.kubectl(['uncordon', this.name]);
  }

  // ---- observation -------------------------------------------------------------------------------
  async metrics(): Promise<string> {
    return this.kubeletGet('metrics');
  }

  async logsSince(since: Date, unit: 'kubelet' | 'containerd' = 'kubelet'): Promise<string> {
    const r = await this.exec(['journalctl', '-u', unit, '--no-pager', '-o', 'short-iso-precise', '--since', `@${Math.floor(since.getTime() / 1000)}`], { allowFailure: true, timeoutMs: 60_000 });
    return redact(r.stdout);
  }

  /** The kubelet's journal lines since a time that contain every one of the fixed strings (grep on the node). */
  async kubeletLogLines(since: Date, ...fixed: string[]): Promise<string[]> {
    const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
    const filters = fixed.map((f) => ` | grep -F -- ${q(f)}`).join('');
    const r = await this.exec(['sh', '-c', `journalctl -u kubelet --no-pager -o cat --since @${Math.floor(since.getTime() / 1000) - 1}${filters} || true`], { allowFailure: true, timeoutMs: 30_000 });
    return r.stdout.split('\n').filter((l) => l.trim() !== '');
  }

  /** kubelet and containerd journals and the node's containerd config, redacted, into dir/<node>/. */
  async exportLogs(dir: string): Promise<void> {
    const d = join(dir, this.name);
    mkdirSync(d, { recursive: true });
    for (const unit of ['kubelet', 'containerd'] as const) {
      writeFileSync(join(d, `${unit}.log`), await this.logsSince(new Date(0), unit));
    }
    const cfg = await this.exec(['cat', KUBELET_CONFIG], { allowFailure: true });
    writeFileSync(join(d, 'kubelet-config.yaml'), redact(cfg.stdout));
  }
}

/** Reads a metric value (sum over series matching the labels) from Prometheus text. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const lbl = m[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => lbl.includes(`${k}="${v}"`))) sum += Number(m[3]);
  }
  return sum;
}
