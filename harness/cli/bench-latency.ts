// `pullproof bench latency`: what credential verification costs a pod start, with confidence
// intervals and the proof of the measurement (docs/bench.md). Options are validated before anything
// starts (exit 2 naming the flag and the fix); the cluster code is loaded only in the action.
import { randomInt } from 'node:crypto';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { UsageError } from '../errors.ts';
import { DEFAULT_CONTROL_PLANE, checkSupportedRelease } from '../oracle/versions.ts';
import { parseDuration } from './run.ts';

function wholeNumber(min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`"${value}" is not a whole number of at least ${min}`);
    return n;
  };
}

function list(value: string): string[] {
  return value.split(',').map((x) => x.trim()).filter(Boolean);
}

export interface BenchLatencyFlags {
  samples: number;
  proofSamples: number;
  delays: string[];
  arms?: string[];
  seed?: number;
  cycles: number;
  kubelet: string;
  plan?: boolean;
  reportDir?: string;
  keep?: boolean;
  timeout?: number;
}

export function registerBenchLatency(bench: Command): void {
  bench.command('latency')
    .description('what KubeletEnsureSecretPulledImages and service-account credential providers cost a pod start: arms in seeded ABBA blocks, bootstrap CIs, and a proof of the measurement (slope of the in-node time against injected registry/token/STS delay); writes report.json (with the raw samples), junit.xml, summary.md and index.html with plots')
    .addOption(new Option('--samples <n>', 'measured pod starts per arm at 0 ms injected delay').default(30).argParser(wholeNumber(2)))
    .addOption(new Option('--proof-samples <n>', 'measured pod starts per arm at each proof delay').default(10).argParser(wholeNumber(2)))
    .addOption(new Option('--delays <ms,...>', 'injected delays per request for the proof, besides 0 ms').default(['50', '200']).argParser(list))
    .option('--arms <arm,...>', 'arms to run (default all: gate-off, record-hit, reverify, always, sa-hit, sa-miss)', list)
    .addOption(new Option('--seed <n>', 'seed of the schedule and the bootstrap (default: a random one, printed and kept in the report)').argParser(wholeNumber(0)))
    .addOption(new Option('--cycles <n>', 'mirrored pairs of blocks (1: A B C C B A)').default(1).argParser(wholeNumber(1)))
    .option('--kubelet <version>', `kubelet version under test, e.g. v1.34.4 (the 1.34 alpha gate is set explicitly); default ${DEFAULT_CONTROL_PLANE}`, DEFAULT_CONTROL_PLANE)
    .option('--plan', 'provision, calibrate one pod start per arm, print the schedule and its projected wall time, clean up and stop')
    .option('--report-dir <dir>', 'report folder (default: reports/<time>-bench-latency-<kubelet>-<run id>)')
    .option('--keep', 'keep the cluster, network and fence for debugging (remove later with "pullproof cleanup")')
    .addOption(new Option('--timeout <duration>', 'stop, write a partial report and clean up after this long, e.g. 45m').argParser(parseDuration))
    .action(async (o: BenchLatencyFlags) => {
      checkSupportedRelease(o.kubelet, '--kubelet');
      const { ARMS } = await import('../bench/arms.ts');
      const arms = (o.arms ?? ARMS.map((a) => a.id)).map((id) => {
        const arm = ARMS.find((a) => a.id === id);
        if (!arm) throw new UsageError('--arms', `no arm named "${id}"`, `use some of ${ARMS.map((a) => a.id).join(', ')}`);
        return arm;
      });
      const delays = o.delays.map((d) => {
        const n = Number(d);
        if (!Number.isFinite(n) || n <= 0) throw new UsageError('--delays', `"${d}" is not a positive number of milliseconds`, 'give positive milliseconds separated by commas, e.g. --delays 50,200 (0 ms is always measured)');
        return n;
      });
      const seed = o.seed ?? randomInt(1, 2 ** 31 - 1);
      const { resolveScheduleOptions } = await import('../bench/schedule.ts');
      // Validates samples, delays, cycles and the seed before anything starts.
      resolveScheduleOptions({ arms, samples: o.samples, proofDelaysMs: delays, proofSamples: o.proofSamples, cycles: o.cycles, seed });
      process.stderr.write(`bench seed ${seed}\n`);
      const { runBenchLatency } = await import('../bench/cluster/run.ts');
      const r = await runBenchLatency({
        kubelet: o.kubelet, arms, samples: o.samples, proofDelaysMs: delays, proofSamples: o.proofSamples, cycles: o.cycles, seed,
        plan: o.plan, reportDir: o.reportDir, keep: o.keep, timeoutMs: o.timeout, command: process.argv.slice(2),
      });
      if (r.reportDir) process.stdout.write(`${r.reportDir}\n`);
      process.exitCode = r.exitCode;
    });
}
