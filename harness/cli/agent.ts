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
      const file = o.kubeconfig ?? process.env.KUBECONFIG;
      if (!file) throw new UsageError('--kubeconfig', 'no kubeconfig given', 'pass --kubeconfig FILE (or set KUBECONFIG)');
      if (!existsSync(file)) throw new UsageError('--kubeconfig', `${file} does not exist`, 'pass the path of the cluster\'s kubeconfig');
      if (!o.node.length) throw new UsageError('--node', 'no node given', 'name the nodes to check: --node NAME (see kubectl get nodes)');
      const { Kube } = await import('../cluster/kube.ts');
      const { NodeAgent } = await import('../node/agent.ts');
      const { AgentNode } = await import('../node/agent-node.ts');
      const { probeNode } = await import('../node/probe.ts');
      let kube: InstanceType<typeof Kube>;
      try {
        kube = new Kube(readFileSync(file, 'utf8'), o.context);
      } catch (err) {
        throw new UsageError(o.context ? '--context' : '--kubeconfig', `${file}: ${(err as Error).message}`, o.context ? 'name a context of the kubeconfig (kubectl config get-contexts)' : 'pass a kubeconfig file');
      }
      const removeAll = async (): Promise<void> => {
        if (!o.keep) await NodeAgent.removeAll(kube).catch(() => undefined);
      };
      const onSignal = (): void => {
        void removeAll().finally(() => process.exit(130));
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      const results: { node: string; checks: { check: string; ok: boolean; detail: string }[] }[] = [];
      try {
        for (const name of o.node) {
          try {
            const agent = await NodeAgent.deploy(kube, name);
            results.push({ node: name, checks: await probeNode(new AgentNode(agent, kube)) });
          } catch (err) {
            results.push({ node: name, checks: [{ check: 'node agent', ok: false, detail: `${(err as Error).message}${(err as { detail?: string }).detail ? ` (${(err as { detail?: string }).detail})` : ''}` }] });
          }
        }
      } finally {
        await removeAll();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      if (o.json) process.stdout.write(JSON.stringify({ nodes: results, agentKept: !!o.keep }, null, 2) + '\n');
      else {
        for (const r of results) {
          process.stdout.write(`node ${r.node}:\n`);
          for (const c of r.checks) process.stdout.write(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.check}: ${c.detail}\n`);
        }
        process.stdout.write(o.keep ? 'the agent was left running (pullproof agent remove)\n' : 'the agent was removed\n');
      }
      if (results.some((r) => r.checks.some((c) => !c.ok))) process.exitCode = 1;
    });
  group.command('remove')
    .description('remove the node agent (its namespace, pods and all) from a cluster')
    .option('--kubeconfig <file>', 'the cluster\'s kubeconfig (default: $KUBECONFIG)')
    .option('--context <name>', 'the kubeconfig context')
    .action(async (o: { kubeconfig?: string; context?: string }) => {
      const file = o.kubeconfig ?? process.env.KUBECONFIG;
      if (!file || !existsSync(file)) throw new UsageError('--kubeconfig', file ? `${file} does not exist` : 'no kubeconfig given', 'pass --kubeconfig FILE');
      const { Kube } = await import('../cluster/kube.ts');
      const { NodeAgent } = await import('../node/agent.ts');
      await NodeAgent.removeAll(new Kube(readFileSync(file, 'utf8'), o.context));
      process.stdout.write('the node agent namespace was deleted\n');
    });
}
