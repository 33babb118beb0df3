// The pullproof command line. Exit codes: 0 success, 1 failed checks or scenarios, 2 usage or
// configuration errors (with the field and the fix), 130/143 interrupted.
// Every command loads what it needs inside its action, so `--help`, `certify` and `list` never pay for
// the Kubernetes client, testcontainers or the builders (startup time is a feature).
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { exitCodeOf } from '../errors.ts';
import { log } from '../util/log.ts';
import { redact } from '../util/secrets.ts';
import { registerBenchLatency } from './bench-latency.ts';
import { registerCertify } from './certify.ts';
import { registerNodeImage } from './node-image.ts';
import { registerCache } from './cache.ts';
import { registerReport } from './report.ts';
import { registerVersions } from './versions.ts';
import { registerRun } from './run.ts';
import { registerAgent } from './agent.ts';

const DEFAULT_SUITE = 'smoke';

export { parseDuration } from './run.ts';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`"${value}" is not a positive whole number`);
  return n;
}

function print(json: boolean, data: unknown, human: () => string): void {
  process.stdout.write(redact(json ? JSON.stringify(data, null, 2) + '\n' : human() + '\n'));
}

export function buildCli(): Command {
  const program = new Command('pullproof')
    .description('End-to-end conformance harness for how kubelets authorize the use of private container images')
    .version(process.env.npm_package_version ?? '0.1.0')
    .showHelpAfterError('(run "pullproof --help" for usage)')
    .exitOverride();

  program.command('setup')
    .description('prepare this host: Docker engine (Debian docker.io), runc wrapper where needed, inotify limits; idempotent')
    .option('--json', 'print the steps as JSON')
    .action(async (o: { json?: boolean }) => {
      const { setupHost } = await import('../host/setup.ts');
      const steps = await setupHost();
      print(!!o.json, steps, () => steps.map((s) => `${s.changed ? 'changed' : 'ok'}\t${s.name}: ${s.detail}`).join('\n'));
    });

  program.command('doctor')
    .description('report what this host has and what pullproof needs, with a fix for each problem')
    .option('--json', 'print the findings as JSON')
    .action(async (o: { json?: boolean }) => {
      const { diagnose } = await import('../host/doctor.ts');
      const findings = await diagnose();
      print(!!o.json, findings, () => findings.map((f) => `${f.status.toUpperCase().padEnd(4)} ${f.check}: ${f.value}${f.fix ? `\n     fix: ${f.fix}` : ''}`).join('\n'));
      if (findings.some((f) => f.status === 'fail')) process.exitCode = 1;
    });

  registerRun(program, DEFAULT_SUITE);
  registerAgent(program);

  program.command('cleanup')
    .description('remove what crashed or killed runs left: containers, networks, volumes, fence rules, work folders')
    .option('--run <id>', 'only this run')
    .option('--dry-run', 'list, do not remove')
    .option('--check', 'list, do not remove, and exit 1 if anything is left (for CI)')
    .action(async (o: { run?: string; dryRun?: boolean; check?: boolean }) => {
      const { findLeftovers, isEmpty, removeLeftovers } = await import('../host/leftovers.ts');
      const l = await findLeftovers(o.run);
      if (isEmpty(l)) {
        process.stdout.write('nothing to clean up\n');
        return;
      }
      for (const [k, v] of Object.entries(l)) if (v.length) process.stdout.write(`${k}: ${v.join(', ')}\n`);
      if (o.check) {
        process.exitCode = 1;
        return;
      }
      if (o.dryRun) return;
      await removeLeftovers(l);
      process.stdout.write('removed\n');
    });

  const registry = program.command('registry').description('the harness registry on its own');
  registry.command('up')
    .description('start the registry, token service and fault proxies and keep them until Ctrl-C (for exploring)')
    .option('--online', 'skip the egress fence')
    .action(async (o: { online?: boolean }) => (await import('./registry-up.ts')).registryUp(o));

  const bench = program.command('bench').description('measurements');
  bench.command('registry')
    .description('time registry start, token fetches and authenticated manifest HEADs (p50/p95)')
    .addOption(new Option('--samples <n>', 'requests per measurement').default(200).argParser(positiveInt))
    .option('--json', 'print the results as JSON')
    .action(async (o: { samples: number; json?: boolean }) => (await import('./bench.ts')).benchRegistry(o));
  bench.command('sts')
    .description('time STS token exchanges and reference plugin execs on the host and in the bookworm image (p50/p95)')
    .addOption(new Option('--samples <n>', 'STS exchanges').default(200).argParser(positiveInt))
    .addOption(new Option('--execs <n>', 'plugin execs per setting').default(50).argParser(positiveInt))
    .option('--json', 'print the results as JSON')
    .action(async (o: { samples: number; execs: number; json?: boolean }) => (await import('./bench-sts.ts')).benchSts(o));
  registerBenchLatency(bench);

  registerCertify(program);

  registerNodeImage(program);
  registerCache(program);
  registerReport(program);
  registerVersions(program);

  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildCli();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander already printed the message; help and version exit 0, usage errors 2.
      return err.exitCode === 0 ? 0 : 2;
    }
    const detail = (err as { detail?: string }).detail;
    log(`error: ${(err as Error).message}${detail ? `\n${detail}` : ''}`);
    return exitCodeOf(err);
  }
}
