// The node agent on a real kind cluster, reached the way a cluster pullproof did not create is: its
// kubeconfig alone. `pullproof agent check` reads every node fact a run needs through the agent and
// leaves nothing behind; the agent-backed node reads what Docker's view of the same node shows, writes a
// kubelet restart to Ready (detached, seen through the API server), and refuses a kubelet swap for now.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kube } from '../harness/cluster/kube.ts';
import { AGENT_NAMESPACE, NodeAgent } from '../harness/node/agent.ts';
import { AgentNode } from '../harness/node/agent-node.ts';
import { KindNode, KUBELET_CONFIG } from '../harness/node/kind-node.ts';
import { leftovers, pullproof, runIdFrom } from './helpers/cli.ts';

const sh = (...args: string[]): string => execFileSync(args[0] as string, args.slice(1), { encoding: 'utf8' });

/** A kept kind cluster (node-image verify --keep) and a kubeconfig for it that reaches the API server from this host. */
async function keptCluster(t: import('ava').ExecutionContext): Promise<{ cluster: string; kubeconfig: string; yaml: string }> {
  const r = await pullproof(['node-image', 'verify', '--kubernetes', 'v1.35.4', '--workers', '1', '--keep']);
  t.is(r.code, 0, r.stderr.split('\n').slice(-20).join('\n'));
  const runId = runIdFrom(r.stderr);
  t.teardown(async () => {
    await pullproof(['cleanup', '--run', runId]);
    const left = leftovers(runId);
    if (left.length) throw new Error(`left after cleanup: ${left.join(', ')}`);
  });
  const cluster = `pullproof-${runId}`;
  const ip = sh('docker', 'inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', `${cluster}-control-plane`).trim();
  const yaml = sh('docker', 'exec', `${cluster}-control-plane`, 'cat', '/etc/kubernetes/admin.conf').replace(/server: https:\/\/\S+/, `server: https://${ip}:6443`);
  const dir = mkdtempSync(join(tmpdir(), 'pullproof-test-agent-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, yaml, { mode: 0o600 });
  return { cluster, kubeconfig, yaml };
}

test.serial('the node agent reaches a node through the kubeconfig alone: check reads every fact, the node operations match Docker\'s view, and nothing is left', async (t) => {
  t.timeout(15 * 60_000);
  const { cluster, kubeconfig, yaml } = await keptCluster(t);
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
  const gone = async (): Promise<boolean> => (await kube.core.readNamespace({ name: AGENT_NAMESPACE }).then((ns) => ns.status?.phase === 'Terminating', () => true));
  t.true(await gone(), 'the agent namespace is deleted (or being deleted) after the check');

  // A bad node name is a clear failure naming the node, not a hang.
  const bad = await pullproof(['agent', 'check', '--kubeconfig', kubeconfig, '--node', 'no-such-node']);
  t.is(bad.code, 1);
  t.regex(bad.stdout, /FAIL node agent: node no-such-node: cannot read it through the kubeconfig \(no such node\)/);
  const usage = await pullproof(['agent', 'check', '--kubeconfig', join(tmpdir(), 'nope.yaml'), '--node', worker]);
  t.is(usage.code, 2);
  t.regex(usage.stderr, /--kubeconfig/);

  // The agent-backed node against Docker's view of the same node.
  await kube.core.readNamespace({ name: AGENT_NAMESPACE }).then(async () => {
    for (let i = 0; i < 120 && !(await kube.core.readNamespace({ name: AGENT_NAMESPACE }).then(() => false, () => true)); i++) await new Promise((res) => setTimeout(res, 500));
  }, () => undefined);
  const agent = await NodeAgent.deploy(kube, worker);
  t.teardown(() => NodeAgent.removeAll(kube));
  const viaAgent = new AgentNode(agent, kube);
  const viaDocker = new KindNode(worker, `${cluster}-control-plane`);
  t.is(await viaAgent.kubeletVersion(), await viaDocker.kubeletVersion());
  t.is(await viaAgent.readFile(KUBELET_CONFIG), await viaDocker.readFile(KUBELET_CONFIG));
  t.deepEqual((await viaAgent.images()).map((i) => i.id).sort(), (await viaDocker.images()).map((i) => i.id).sort());
  t.deepEqual(await viaAgent.listRecords(), await viaDocker.listRecords());
  // Swaps are not available yet through the agent, and say so instead of stopping the kubelet that serves the exec.
  await t.throwsAsync(viaAgent.swapKubelet('/usr/bin/kubelet'), { message: /not available yet/ });
  await t.throwsAsync(viaAgent.installKubelet('/usr/bin/kubelet'), { message: /use swapKubelet/ });
  // A kubelet restart to Ready, the condition read through the API server.
  const seconds = await viaAgent.restartKubelet();
  // The agent came back with the kubelet: its exec works again.
  t.is((await viaAgent.exec(['true'])).exitCode, 0);
  t.true(seconds > 0 && seconds < 180, `${seconds} s`);
  t.regex(await kube.nodeReady(worker), /^True /);
  // A failing command gives its exit code and stderr, as docker exec does.
  const fail = await viaAgent.exec(['sh', '-c', 'echo oops >&2; exit 3'], { allowFailure: true });
  t.deepEqual([fail.exitCode, fail.stderr.trim()], [3, 'oops']);
});
