// `pullproof agent check --kubeconfig FILE [--context NAME] --node NAME...`: the first step on a cluster
// pullproof did not create. It starts the node agent on each node (harness/node/agent.ts), reads every
// node fact a run needs without changing anything, prints what it found and why not where it could not,
// and removes the agent again (on every path, Ctrl-C included; --keep keeps it).
import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { UsageError } from '../errors.ts';

interface CheckOptions { kubeconfig?: string; context?: string; node: string[]; keep?: boolean; json?: boolean }

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

type KubeT = import('../cluster/kube.ts').Kube;

/** The cluster's API through --kubeconfig (or $KUBECONFIG) and --context, or a usage error naming the flag. */
async function kubeOf(o: { kubeconfig?: string; context?: string }): Promise<KubeT> {
  const file = o.kubeconfig ?? process.env.KUBECONFIG;
  if (!file) throw new UsageError('--kubeconfig', 'no kubeconfig given', 'pass --kubeconfig FILE (or set KUBECONFIG)');
  if (!existsSync(file)) throw new UsageError('--kubeconfig', `${file} does not exist`, 'pass the path of the cluster\'s kubeconfig');
  const { Kube } = await import('../cluster/kube.ts');
  try {
    return new Kube(readFileSync(file, 'utf8'), o.context);
  } catch (err) {
    throw new UsageError(o.context ? '--context' : '--kubeconfig', `${file}: ${(err as Error).message}`, o.context ? 'name a context of the kubeconfig (kubectl config get-contexts)' : 'pass a kubeconfig file');
  }
}

/**
 * Runs fn, then removes the agents on every path (Ctrl-C and SIGTERM included): with 'all' the agent
 * namespace; with 'started' only the agent pods this command started (an agent it found running, as a
 * killed run leaves it, stays: it may be the only one the node's policy still admits); 'none' keeps them.
 */
async function withAgents<T>(kube: KubeT, remove: 'all' | 'started' | 'none', fn: (started: string[]) => Promise<T>): Promise<T> {
  const { AGENT_NAMESPACE, NodeAgent, agentPodName } = await import('../node/agent.ts');
  const started: string[] = [];
  const removeAll = async (): Promise<void> => {
    if (remove === 'none') return;
    const others = remove === 'started' ? (await kube.core.listNamespacedPod({ namespace: AGENT_NAMESPACE }).catch(() => ({ items: [] }))).items.filter((p) => !started.map(agentPodName).includes(p.metadata?.name ?? '')) : [];
    if (others.length) {
      for (const node of started) await kube.deletePod(AGENT_NAMESPACE, agentPodName(node)).catch(() => undefined);
      for (const node of started) await kube.waitPodGone(AGENT_NAMESPACE, agentPodName(node), 60_000).catch(() => undefined);
    } else await NodeAgent.removeAll(kube).catch(() => undefined);
  };
  const onSignal = (): void => {
    void removeAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await fn(started);
  } finally {
    await removeAll();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function failureText(err: unknown): string {
  return `${(err as Error).message}${(err as { detail?: string }).detail ? ` (${(err as { detail?: string }).detail})` : ''}`;
}

export function registerAgent(program: Command): void {
  const group = program.command('agent').description('the node agent: how pullproof reaches the nodes of a cluster it did not create, through a kubeconfig alone (docs/any-cluster.md)');
  group.command('check')
    .description('start the node agent on each node, read every node fact a run needs (nothing is changed), print them, remove the agent')
    .option('--kubeconfig <file>', 'the cluster\'s kubeconfig (default: $KUBECONFIG)')
    .option('--context <name>', 'the kubeconfig context (default: its current context)')
    .option('--node <name>', 'a node to check (repeatable)', collect, [])
    .option('--keep', 'leave the agent running (remove it later with "pullproof agent remove")')
    .option('--json', 'print the result as JSON')
    .action(async (o: CheckOptions) => {
      const kube = await kubeOf(o);
      if (!o.node.length) throw new UsageError('--node', 'no node given', 'name the nodes to check: --node NAME (see kubectl get nodes)');
      const { NodeAgent } = await import('../node/agent.ts');
      const { AgentNode } = await import('../node/agent-node.ts');
      const { probeNode } = await import('../node/probe.ts');
      const results: { node: string; checks: { check: string; ok: boolean; detail: string }[] }[] = [];
      const attached: string[] = [];
      await withAgents(kube, o.keep ? 'none' : 'started', async (started) => {
        for (const name of o.node) {
          try {
            const agent = await NodeAgent.attachOrDeploy(kube, name);
            if (agent.attached) attached.push(name);
            else started.push(name);
            results.push({ node: name, checks: await probeNode(new AgentNode(agent, kube)) });
          } catch (err) {
            results.push({ node: name, checks: [{ check: 'node agent', ok: false, detail: failureText(err) }] });
          }
        }
      });
      if (o.json) process.stdout.write(JSON.stringify({ nodes: results, agentKept: !!o.keep, foundRunning: attached }, null, 2) + '\n');
      else {
        for (const r of results) {
          process.stdout.write(`node ${r.node}:\n`);
          for (const c of r.checks) process.stdout.write(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.check}: ${c.detail}\n`);
        }
        if (o.keep) process.stdout.write('the agent was left running (pullproof agent remove)\n');
        else if (attached.length) process.stdout.write(`the agent already running on ${attached.join(', ')} was left running (a run's, or kept); the agents this check started were removed\n`);
        else process.stdout.write('the agent was removed\n');
      }
      if (results.some((r) => r.checks.some((c) => !c.ok))) process.exitCode = 1;
    });
  group.command('restore')
    .description('put back the kubelet files a run backed up on each node and did not restore (a killed run), prove them identical byte for byte, restart the kubelet if anything differed')
    .option('--kubeconfig <file>', 'the cluster\'s kubeconfig (default: $KUBECONFIG)')
    .option('--context <name>', 'the kubeconfig context')
    .option('--node <name>', 'a node to restore (repeatable; default: every node annotated with a pending backup)', collect, [])
    .option('--json', 'print the result as JSON')
    .action(async (o: { kubeconfig?: string; context?: string; node: string[]; json?: boolean }) => {
      const kube = await kubeOf(o);
      const { BACKUP_ANNOTATION, restoreBackup } = await import('../node/backup.ts');
      const { NodeAgent } = await import('../node/agent.ts');
      const { AgentNode } = await import('../node/agent-node.ts');
      const nodes = o.node.length ? o.node : (await kube.nodesAnnotated(BACKUP_ANNOTATION)).map((n) => n.name);
      const results: { node: string; ok: boolean; restored: boolean; detail: string; proof?: unknown }[] = [];
      await withAgents(kube, 'all', async () => {
        for (const name of nodes) {
          try {
            const proof = await restoreBackup(new AgentNode(await NodeAgent.attachOrDeploy(kube, name), kube), kube);
            results.push(proof
              ? { node: name, ok: true, restored: true, detail: `run ${proof.runId}'s backup restored: ${proof.changed.length ? `${proof.changed.length} path(s) had changed, kubelet restarted to Ready in ${proof.restartSeconds?.toFixed(1) ?? '?'} s` : 'nothing had changed'}; ${proof.how}`, proof }
              : { node: name, ok: true, restored: false, detail: 'no backup pending' });
          } catch (err) {
            results.push({ node: name, ok: false, restored: false, detail: failureText(err) });
          }
        }
      });
      if (o.json) process.stdout.write(JSON.stringify({ nodes: results }, null, 2) + '\n');
      else {
        if (!results.length) process.stdout.write('no node carries a pending pullproof backup\n');
        for (const r of results) process.stdout.write(`${r.ok ? 'ok  ' : 'FAIL'} ${r.node}: ${r.detail}\n`);
      }
      if (results.some((r) => !r.ok)) process.exitCode = 1;
    });
  group.command('remove')
    .description('remove the node agent (its namespace, pods and all) from a cluster')
    .option('--kubeconfig <file>', 'the cluster\'s kubeconfig (default: $KUBECONFIG)')
    .option('--context <name>', 'the kubeconfig context')
    .action(async (o: { kubeconfig?: string; context?: string }) => {
      const kube = await kubeOf(o);
      const { NodeAgent } = await import('../node/agent.ts');
      await NodeAgent.removeAll(kube);
      process.stdout.write('the node agent namespace was deleted\n');
    });
}
