// What pullproof can read on a node, without changing anything: each node fact the suites use (the
// kubelet and its configuration, the pull records, the runtime's images, the journals, the metrics),
// read the way a run reads it, with where it was found and why not when it cannot be. The first thing to
// run against a cluster pullproof did not create (`pullproof agent check`).
import { parse } from 'yaml';
import { BACKUP_DIR, flagOf, kubeletCmdline, readBackup } from './backup.ts';
import { RECORDS_ROOT } from './records.ts';
import type { KindNode } from './kind-node.ts';

export interface ProbeCheck {
  check: string;
  ok: boolean;
  /** What was found (a version, a path, a count), or why it could not be read. */
  detail: string;
}

async function check(name: string, fn: () => Promise<string>): Promise<ProbeCheck> {
  try {
    return { check: name, ok: true, detail: await fn() };
  } catch (err) {
    return { check: name, ok: false, detail: ((err as { detail?: string }).detail ? `${(err as Error).message}: ${(err as { detail?: string }).detail}` : (err as Error).message).split('\n')[0]?.slice(0, 300) ?? '' };
  }
}

/** Every read-only probe of a node, in the order a run needs them. */
export async function probeNode(node: KindNode): Promise<ProbeCheck[]> {
  const out: ProbeCheck[] = [];
  let configPath: string | undefined;
  out.push(await check('kubelet version', () => node.kubeletVersion()));
  out.push(await check('kubelet configuration file', async () => {
    const cmdline = await kubeletCmdline(node);
    if (!cmdline) throw new Error('no kubelet process');
    configPath = flagOf(cmdline, 'config');
    if (!configPath) throw new Error('the kubelet runs without --config (flags only): pullproof changes the configuration file');
    const text = await node.readFile(configPath);
    const doc = parse(text) as { kind?: string; apiVersion?: string } | null;
    if (doc?.kind !== 'KubeletConfiguration') throw new Error(`${configPath} is not a KubeletConfiguration`);
    return `${configPath} (${doc.apiVersion ?? 'no apiVersion'}, ${text.length} bytes)`;
  }));
  out.push(await check('no kubelet backup pending', async () => {
    const b = await readBackup(node);
    if (b) throw new Error(`run ${b.runId} backed up the kubelet's files at ${b.takenAt} and never restored them (${BACKUP_DIR}): run npx pullproof agent restore --node ${node.name}`);
    return `nothing in ${BACKUP_DIR}`;
  }));
  out.push(await check('kubelet /configz through the API server', async () => {
    const c = await node.configz();
    const gates = (c.featureGates ?? {}) as Record<string, boolean>;
    const named = Object.entries(gates).map(([k, v]) => `${k}=${v}`).join(', ');
    return `policy ${String(c.imagePullCredentialsVerificationPolicy ?? 'unset')}; gates ${named || 'none set'}`;
  }));
  out.push(await check('pull records', async () => {
    const r = await node.listRecords();
    return `${RECORDS_ROOT}: ${r.intents.length} intent(s), ${r.pulled.length} pulled record(s), ${r.unreadable.length} unreadable`;
  }));
  out.push(await check('runtime images (crictl)', async () => `${(await node.images()).length} image(s)`));
  out.push(await check('kubelet service', async () => {
    const r = await node.exec(['systemctl', 'is-active', 'kubelet'], { allowFailure: true });
    if (r.stdout.trim() !== 'active') throw new Error(`systemctl is-active kubelet: ${r.stdout.trim() || r.stderr.trim()} (pullproof restarts the kubelet with systemctl)`);
    return 'active (systemd unit kubelet)';
  }));
  out.push(await check('kubelet journal', async () => {
    const lines = await node.logsSince(new Date(Date.now() - 3600_000));
    const n = lines.split('\n').filter(Boolean).length;
    if (!n) throw new Error('journalctl -u kubelet gave nothing for the last hour');
    return `${n} line(s) in the last hour`;
  }));
  out.push(await check('kubelet metrics through the API server', async () => {
    const m = await node.metrics();
    const has = m.includes('kubelet_image_manager_ensure_image_requests_total');
    return `${m.split('\n').length} line(s)${has ? '; the image manager counters are there' : '; no image manager counters (before 1.35)'}`;
  }));
  return out;
}
