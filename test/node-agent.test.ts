// The node agent on a real kind cluster, reached the way a cluster pullproof did not create is: its
// kubeconfig alone. `pullproof agent check` reads every node fact a run needs through the agent and
// leaves nothing behind; the agent-backed node reads what Docker's view of the same node shows, writes a
// kubelet restart to Ready (detached, seen through the API server), and refuses a kubelet swap for now.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kube } from '../harness/cluster/kube.ts';
import { AGENT_NAMESPACE, NodeAgent } from '../harness/node/agent.ts';
import { AgentNode } from '../harness/node/agent-node.ts';
import { KindNode, KUBELET_CONFIG } from '../harness/node/kind-node.ts';
import { BACKUP_ANNOTATION, kubeletPaths, readBackup, takeBackup, type RestoreProof } from '../harness/node/backup.ts';
import { leftovers, pullproof, runIdFrom } from './helpers/cli.ts';

const sh = (...args: string[]): string => execFileSync(args[0] as string, args.slice(1), { encoding: 'utf8' });

interface Kept { cluster: string; kubeconfig: string; yaml: string; runId: string; dir: string }
let kept: Promise<Kept> | undefined;

/** One kept kind cluster for this file's tests (node-image verify --keep), and a kubeconfig that reaches its API server from this host. */
function keptCluster(): Promise<Kept> {
  kept ??= (async () => {
    const r = await pullproof(['node-image', 'verify', '--kubernetes', 'v1.35.4', '--workers', '1', '--keep']);
    if (r.code !== 0) throw new Error(`node-image verify --keep exited ${r.code}:\n${r.stderr.split('\n').slice(-20).join('\n')}`);
    const runId = runIdFrom(r.stderr);
    const cluster = `pullproof-${runId}`;
    const ip = sh('docker', 'inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', `${cluster}-control-plane`).trim();
    const yaml = sh('docker', 'exec', `${cluster}-control-plane`, 'cat', '/etc/kubernetes/admin.conf').replace(/server: https:\/\/\S+/, `server: https://${ip}:6443`);
    const dir = mkdtempSync(join(tmpdir(), 'pullproof-test-agent-'));
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, yaml, { mode: 0o600 });
    return { cluster, kubeconfig, yaml, runId, dir };
  })();
  return kept;
}

test.after.always('the kept cluster is deleted and nothing is left', async () => {
  if (!kept) return;
  const k = await kept.catch(() => undefined);
  if (!k) return;
  rmSync(k.dir, { recursive: true, force: true });
  await pullproof(['cleanup', '--run', k.runId]);
  const left = leftovers(k.runId);
  if (left.length) throw new Error(`left after cleanup: ${left.join(', ')}`);
});

/** Waits until the agent namespace of an earlier step is gone. */
async function agentNamespaceGone(kube: Kube): Promise<void> {
  for (let i = 0; i < 240 && !(await kube.core.readNamespace({ name: AGENT_NAMESPACE }).then(() => false, () => true)); i++) await new Promise((res) => setTimeout(res, 500));
}

test.serial('the node agent reaches a node through the kubeconfig alone: check reads every fact, the node operations match Docker\'s view, and nothing is left', async (t) => {
  t.timeout(15 * 60_000);
  const { cluster, kubeconfig, yaml } = await keptCluster();
  const worker = `${cluster}-worker`;

  // What a user runs first: every check passes on both nodes (the control plane is tainted), and the agent is gone after.
  const r = await pullproof(['agent', 'check', '--kubeconfig', kubeconfig, '--node', worker, '--node', `${cluster}-control-plane`, '--json']);
  t.is(r.code, 0, r.stdout + r.stderr);
  const result = JSON.parse(r.stdout) as { nodes: { node: string; checks: { check: string; ok: boolean; detail: string }[] }[] };
  t.is(result.nodes.length, 2);
  for (const n of result.nodes) t.deepEqual(n.checks.filter((c) => !c.ok), [], n.node);
  t.regex(result.nodes[0]?.checks.find((c) => c.check === 'kubelet version')?.detail ?? '', /^v1\.35\.4$/);
  t.regex(result.nodes[0]?.checks.find((c) => c.check === 'kubelet configuration file')?.detail ?? '', /^\/var\/lib\/kubelet\/config\.yaml \(kubelet\.config\.k8s\.io\/v1beta1/);
  const kube = new Kube(yaml);
  t.true(await kube.core.readNamespace({ name: AGENT_NAMESPACE }).then(() => false, (err: { code?: number }) => err.code === 404), 'the agent namespace is gone when the check ends');
  // A second command right after the first finds nothing of it in its way.
  const twice = await pullproof(['agent', 'check', '--kubeconfig', kubeconfig, '--node', worker]);
  t.is(twice.code, 0, twice.stdout + twice.stderr);

  // A bad node name is a clear failure naming the node, not a hang.
  const bad = await pullproof(['agent', 'check', '--kubeconfig', kubeconfig, '--node', 'no-such-node']);
  t.is(bad.code, 1);
  t.regex(bad.stdout, /FAIL node agent: node no-such-node: cannot read it through the kubeconfig \(no such node\)/);
  const usage = await pullproof(['agent', 'check', '--kubeconfig', join(tmpdir(), 'nope.yaml'), '--node', worker]);
  t.is(usage.code, 2);
  t.regex(usage.stderr, /--kubeconfig/);

  // The agent-backed node against Docker's view of the same node.
  await agentNamespaceGone(kube);
  const agent = await NodeAgent.deploy(kube, worker);
  t.teardown(async () => { await NodeAgent.removeAll(kube); await agentNamespaceGone(kube); });
  const viaAgent = new AgentNode(agent, kube);
  const viaDocker = new KindNode(worker, `${cluster}-control-plane`);
  t.is(await viaAgent.kubeletVersion(), await viaDocker.kubeletVersion());
  t.is(await viaAgent.readFile(KUBELET_CONFIG), await viaDocker.readFile(KUBELET_CONFIG));
  t.deepEqual((await viaAgent.images()).map((i) => i.id).sort(), (await viaDocker.images()).map((i) => i.id).sort());
  t.deepEqual(await viaAgent.listRecords(), await viaDocker.listRecords());
  // A kubelet install on its own would stop the kubelet that serves the exec: refused, naming the swap.
  await t.throwsAsync(viaAgent.installKubelet('/usr/bin/kubelet'), { message: /swapKubelet stops, installs and starts it in one detached step/ });
  // A swap through the agent: a build sent through the exec (here the node's own kubelet, copied out
  // through Docker and marked so that its bytes differ) arrives whole, runs, and the original comes back.
  const local = join(mkdtempSync(join(tmpdir(), 'pullproof-test-kubelet-')), 'kubelet');
  t.teardown(() => rmSync(local, { force: true }));
  sh('docker', 'cp', `${worker}:/usr/bin/kubelet`, local);
  const originalSum = sh('sha256sum', local).split(' ')[0];
  appendFileSync(local, Buffer.from('pullproof-test'));
  const swapped = await viaAgent.swapKubelet(local);
  t.true(swapped > 0 && swapped < 180, `${swapped} s`);
  t.is(sh('docker', 'exec', worker, 'sha256sum', '/usr/bin/kubelet').split(' ')[0], sh('sha256sum', local).split(' ')[0]);
  t.is(await viaAgent.kubeletVersion(), 'v1.35.4');
  const back = await viaAgent.swapKubelet('original');
  t.is(sh('docker', 'exec', worker, 'sha256sum', '/usr/bin/kubelet').split(' ')[0], originalSum);
  t.log(`kubelet swap through the agent to Ready: ${swapped.toFixed(1)} s, back to the original ${back.toFixed(1)} s`);
  // Kubelet restarts to Ready, back to back, the condition read through the API server. Each returns only
  // once a new kubelet process runs (the restart is detached: the old kubelet's healthz and heartbeat once
  // passed for the new one's, and the next exec met the restarting kubelet), and the agent's exec works
  // again at once.
  const mainPid = (): string => sh('docker', 'exec', worker, 'systemctl', 'show', 'kubelet', '-p', 'MainPID', '--value').trim();
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const pid = mainPid();
    times.push(await viaAgent.restartKubelet());
    t.not(mainPid(), pid, `restart ${i + 1}: the kubelet is a new process when restartKubelet returns`);
    t.is((await viaAgent.exec(['true'])).exitCode, 0, `restart ${i + 1}: the agent's exec works right after`);
  }
  for (const seconds of times) t.true(seconds > 0 && seconds < 180, `${seconds} s`);
  t.log(`kubelet restarts through the agent to Ready: ${times.map((s) => s.toFixed(1)).join(', ')} s`);
  t.regex(await kube.nodeReady(worker), /^True /);
  // A failing command gives its exit code and stderr, as docker exec does.
  const fail = await viaAgent.exec(['sh', '-c', 'echo oops >&2; exit 3'], { allowFailure: true });
  t.deepEqual([fail.exitCode, fail.stderr.trim()], [3, 'oops']);
});

/** The paths as Docker sees them on the node, independently of the agent: type, mode, owner, size and SHA-256 of each entry. */
function dockerView(node: string, paths: readonly string[]): string {
  return sh('docker', 'exec', node, 'sh', '-c', `for p in ${paths.map((p) => `'${p}'`).join(' ')}; do [ -e "$p" ] || { echo "absent $p"; continue; }; find "$p" | LC_ALL=C sort | while read -r f; do if [ -f "$f" ]; then echo "$(stat -c '%F %a %u:%g %s' "$f") $(sha256sum < "$f" | cut -c1-64) $f"; else echo "$(stat -c '%F %a %u:%g' "$f") $f"; fi; done; done`);
}

test.serial('a run\'s changes to a node\'s kubelet files are backed up first and restored byte for byte by agent restore, as after a killed run; a pending backup blocks a second one', async (t) => {
  t.timeout(15 * 60_000);
  const { cluster, kubeconfig, yaml } = await keptCluster();
  const worker = `${cluster}-worker`;
  const kube = new Kube(yaml);
  await agentNamespaceGone(kube);
  const node = new AgentNode(await NodeAgent.deploy(kube, worker), kube);
  t.teardown(async () => { await NodeAgent.removeAll(kube); await agentNamespaceGone(kube); });
  const paths = await kubeletPaths(node);
  t.true(paths.includes(KUBELET_CONFIG), paths.join(' '));
  t.true(paths.includes('/etc/systemd/system/kubelet.service.d'), paths.join(' '));
  const before = dockerView(worker, paths);
  const configzBefore = await node.configz();

  // What a run does before it changes anything, then its changes: the policy, a new drop-in, a file removed.
  await takeBackup(node, kube, paths, 'pptest01');
  t.deepEqual(await kube.nodesAnnotated(BACKUP_ANNOTATION), [{ name: worker, value: 'pptest01' }]);
  await t.throwsAsync(takeBackup(node, kube, paths, 'pptest02'), { message: /a backup of run pptest01 .* was never restored/ });
  const config = await node.readFile(KUBELET_CONFIG);
  await node.writeFile(KUBELET_CONFIG, `${config.trimEnd()}\nimagePullCredentialsVerificationPolicy: AlwaysVerify\n`, '0644');
  await node.writeFile('/etc/systemd/system/kubelet.service.d/99-pullproof-test.conf', '[Service]\n', '0644');
  const flags = paths.find((p) => p.endsWith('kubeadm-flags.env'));
  if (flags) await node.exec(['sh', '-c', `[ -f ${flags} ] && rm ${flags} || true`]);
  await node.exec(['systemctl', 'daemon-reload']);
  await node.restartKubelet();
  t.is((await node.configz()).imagePullCredentialsVerificationPolicy, 'AlwaysVerify');
  t.not(dockerView(worker, paths), before);
  // agent check says so, names the fix, and leaves the running agent (the policy now refuses a new one).
  const check = await pullproof(['agent', 'check', '--kubeconfig', kubeconfig, '--node', worker]);
  t.is(check.code, 1, check.stdout);
  t.regex(check.stdout, /FAIL no kubelet backup pending: run pptest01 backed up .* agent restore --node/);
  t.regex(check.stdout, /the agent already running on .*-worker was left running/);

  // The run was killed here, its agent left running: the restore is a separate command, finding the node by its annotation.
  const r = await pullproof(['agent', 'restore', '--kubeconfig', kubeconfig, '--json']);
  t.is(r.code, 0, r.stdout + r.stderr);
  const out = JSON.parse(r.stdout) as { nodes: { node: string; ok: boolean; restored: boolean; proof: RestoreProof }[] };
  t.deepEqual(out.nodes.map((n) => [n.node, n.ok, n.restored]), [[worker, true, true]]);
  t.true((out.nodes[0]?.proof.changed.length ?? 0) >= 2, JSON.stringify(out.nodes[0]?.proof.changed));
  // Byte for byte as Docker sees the node, and the kubelet runs the configuration it ran before.
  t.is(dockerView(worker, paths), before);
  await agentNamespaceGone(kube);
  const again = new AgentNode(await NodeAgent.deploy(kube, worker), kube);
  t.deepEqual(await again.configz(), configzBefore);
  t.deepEqual(await kube.nodesAnnotated(BACKUP_ANNOTATION), []);
  t.is(await readBackup(again), undefined);
  await NodeAgent.removeAll(kube);
  await agentNamespaceGone(kube);
  const none = await pullproof(['agent', 'restore', '--kubeconfig', kubeconfig]);
  t.is(none.code, 0);
  t.regex(none.stdout, /no node carries a pending pullproof backup/);

  // Why a killed run's agent is kept: under AlwaysVerify (set here through Docker) the kubelet refuses a
  // new agent's image, which has no pull record; the refusal is named at once, with where to read the fix.
  const viaDocker = new KindNode(worker, `${cluster}-control-plane`);
  await viaDocker.writeFile(KUBELET_CONFIG, `${config.trimEnd()}\nimagePullCredentialsVerificationPolicy: AlwaysVerify\n`, '0644');
  await viaDocker.restartKubelet();
  t.teardown(async () => { await viaDocker.writeFile(KUBELET_CONFIG, config, '0644'); await viaDocker.restartKubelet(); });
  const t0 = performance.now();
  await t.throwsAsync(NodeAgent.deploy(kube, worker), { message: /the kubelet refuses the agent's image .*ErrImageNeverPull.*AlwaysVerify/ });
  t.true(performance.now() - t0 < 60_000, 'refused at once, not after the 120 s wait');
});
