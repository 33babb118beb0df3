// `pullproof cleanup`: removes what a crashed or killed run left behind. Everything pullproof creates
// carries the io.pullproof label (containers, networks, volumes) or a pullproof: comment (fence rules),
// and work folders are named pullproof-run-<run id>-*.
import { readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { output, run } from '../util/exec.ts';
import { LABEL, RUN_LABEL, leftoverFenceRules, removeFenceRule } from './network.ts';

export interface Leftovers {
  containers: string[];
  networks: string[];
  volumes: string[];
  fenceRules: string[];
  workFolders: string[];
}

function selector(runId?: string): string {
  return runId ? `label=${RUN_LABEL}=${runId}` : `label=${LABEL}`;
}

/** kind node containers of pullproof clusters (named pullproof-<run id>); kind labels them, not us. */
async function kindNodes(runId?: string): Promise<string[]> {
  const rows = (await output(['docker', 'ps', '-a', '--filter', 'label=io.x-k8s.kind.cluster', '--format', '{{.Names}}\t{{.Label "io.x-k8s.kind.cluster"}}'], { allowFailure: true })).split('\n').filter(Boolean);
  return rows.map((r) => r.split('\t')).filter(([, c]) => (runId ? c === `pullproof-${runId}` : c?.startsWith('pullproof-'))).map(([n]) => n as string);
}

async function list(kind: 'ps' | 'network' | 'volume', runId?: string): Promise<string[]> {
  const args = kind === 'ps'
    ? ['docker', 'ps', '-a', '--filter', selector(runId), '--format', '{{.Names}}']
    : [`docker`, kind, 'ls', '--filter', selector(runId), '--format', '{{.Name}}'];
  return (await output(args, { allowFailure: true })).split('\n').filter(Boolean);
}

export async function findLeftovers(runId?: string): Promise<Leftovers> {
  const fence = await leftoverFenceRules();
  let folders: string[] = [];
  try {
    folders = readdirSync(tmpdir()).filter((d) => d.startsWith(runId ? `pullproof-run-${runId}-` : 'pullproof-run-')).map((d) => join(tmpdir(), d));
  } catch { /* no tmp */ }
  return {
    containers: [...new Set([...await list('ps', runId), ...await kindNodes(runId)])],
    networks: await list('network', runId),
    volumes: await list('volume', runId),
    fenceRules: runId ? fence.filter((r) => r.includes(`pullproof:${runId}`)) : fence,
    workFolders: folders,
  };
}

export function isEmpty(l: Leftovers): boolean {
  return Object.values(l).every((v: string[]) => v.length === 0);
}

export async function removeLeftovers(l: Leftovers): Promise<void> {
  if (l.containers.length) await run(['docker', 'rm', '-f', '-v', ...l.containers], { allowFailure: true, timeoutMs: 300_000 });
  for (const r of l.fenceRules) await removeFenceRule(r);
  for (const n of l.networks) await run(['docker', 'network', 'rm', n], { allowFailure: true });
  if (l.volumes.length) await run(['docker', 'volume', 'rm', '-f', ...l.volumes], { allowFailure: true });
  for (const f of l.workFolders) rmSync(f, { recursive: true, force: true });
}
