// A reproduction bundle for each failed scenario: what was expected and observed, the pod as created,
// the record before and after, the kubelet's and containerd's journals for the scenario's time, the
// registry, token-service and STS requests attributed to it, and the command that replays it alone.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { rerunCommand, type ScenarioResult } from '../report/types.ts';
import { redact } from '../util/secrets.ts';
import type { ScenarioRun } from './execute.ts';
import type { Worker } from './worker.ts';

function safe(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 120);
}

/** Writes the bundle under <reportDir>/bundles/<key>/ and returns its path relative to the report folder. */
export async function collectBundle(reportDir: string, worker: Worker, r: ScenarioResult, run?: ScenarioRun): Promise<string> {
  const rel = join('bundles', `${safe(r.key)}-attempt${r.attempts.at(-1)?.attempt ?? 1}`);
  const dir = join(reportDir, rel);
  mkdirSync(dir, { recursive: true });
  const put = (name: string, text: string): void => writeFileSync(join(dir, name), redact(text));
  const since = r.startedAt ? new Date(new Date(r.startedAt).getTime() - 2000) : new Date(Date.now() - 600_000);
  const until = r.finishedAt ? new Date(new Date(r.finishedAt).getTime() + 2000) : new Date();
  const within = (log: string): string => log.split('\n').filter((l) => {
    const t = Date.parse(l.slice(0, 31));
    return Number.isNaN(t) || (t >= since.getTime() && t <= until.getTime());
  }).join('\n');
  put('scenario.json', JSON.stringify(r, null, 2) + '\n');
  if (run) {
    const d = run.describe();
    const act = run.planned.spec.act;
    put('pod.yaml', stringify({
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'act', namespace: d.namespaces.find((n) => n.endsWith(`-${act.namespace}`)) },
      spec: { nodeName: worker.name, restartPolicy: 'Never', imagePullSecrets: (act.secrets ?? []).map((name) => ({ name })), ...(act.serviceAccount ? { serviceAccountName: act.serviceAccount } : {}), containers: [{ name: 'main', image: d.act, imagePullPolicy: act.pullPolicy }] },
    }));
    put('world.json', JSON.stringify({ images: d.images, namespaces: d.namespaces, users: d.users, kubelet: run.planned.spec.kubelet, setup: run.planned.spec.setup ?? [] }, null, 2) + '\n');
  }
  put('records.json', JSON.stringify({ expectedAfter: r.expected?.record, observedAfter: r.observed?.record }, null, 2) + '\n');
  put('requests.jsonl', (r.observed?.requests ?? []).map((q) => JSON.stringify(q)).join('\n') + '\n');
  put('kubelet.log', within(await worker.node.logsSince(since, 'kubelet')));
  put('containerd.log', within(await worker.node.logsSince(since, 'containerd')));
  put('REPLAY.md', [
    `# ${r.name}`, '',
    `Kubelet ${r.kubelet}, worker ${worker.name}. Status: ${r.status}. ${r.message ?? ''}`, '',
    'Replay this scenario alone:', '', '```sh',
    rerunCommand(r),
    `${rerunCommand(r)} --keep   # keep the cluster to look around`,
    '```', '',
  ].join('\n'));
  return rel;
}
