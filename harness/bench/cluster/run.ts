// `pullproof bench latency` on a cluster: provision (the engine's network, registry, kind cluster and
// worker; the STS and reference plugin when a service-account arm runs), seed every arm's image, a
// short calibration that projects the wall time (`--plan` prints it and stops), then the seeded
// schedule block by block (a kubelet configuration per block, pod starts one at a time), analyse()
// and the report folder. Ctrl-C, SIGTERM and --timeout stop after the pod start under way, write a
// partial report marked incomplete and clean up; a second Ctrl-C exits at once.
import { cpus, loadavg, release, totalmem } from 'node:os';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HarnessError } from '../../errors.ts';
import { configureProvider } from '../../engine/providers.ts';
import { kubeletModel } from '../../engine/model.ts';
import { clusterInfo, provision, type Environment, type ProvisionedCluster } from '../../engine/provision.ts';
import type { Worker } from '../../engine/worker.ts';
import { cgroupVersion, dockerServerVersion } from '../../host/facts.ts';
import { setupHost } from '../../host/setup.ts';
import { factsOf } from '../../oracle/versions.ts';
import type { Check, Measurement, WindowResult } from '../../report/types.ts';
import { writeReport } from '../../report/write.ts';
import { RunContext } from '../../run/context.ts';
import { RunStop } from '../../run/stop.ts';
import { log, phase, setStatusLine, warn } from '../../util/log.ts';
import { redact } from '../../util/secrets.ts';
import { analyse } from '../analyse.ts';
import { configKey, describeConfig, type Arm, type ArmId, type KubeletNeeds } from '../arms.ts';
import type { PodTimestamps } from '../harness-overhead.ts';
import { formatSeconds, planText, projectPlan, type Calibration } from '../plan.ts';
import { criticalPathFor, TARGETS } from '../requests.ts';
import type { BenchSample } from '../result.ts';
import { buildSample } from '../sample.ts';
import { schedule, type Schedule, type ScheduledSample, type ScheduleOptions } from '../schedule.ts';
import { armApplicability, BENCH_VERBOSITY, kubeletSettings, seedingNeeds } from './config.ts';
import { MAX_SET_ASIDE } from '../../engine/execute.ts';
import { runPodStart, SecretNotRead, type PodStartEnv, type PodStartResult } from './pod-start.ts';
import { benchReport } from './report.ts';
import { BenchWorld } from './world.ts';

export interface BenchLatencyOptions extends Omit<ScheduleOptions, 'arms'> {
  kubelet: string;
  arms: readonly Arm[];
  plan?: boolean;
  reportDir?: string;
  keep?: boolean;
  timeoutMs?: number;
  /** Per pod start, to Running. */
  podTimeoutMs?: number;
  command: string[];
}

export interface BenchLatencyResult {
  exitCode: number;
  reportDir?: string;
}

/** Progress: a status line on a terminal, plain timestamped lines otherwise (every 10th pod start). */
class BenchProgress {
  private readonly tty = process.stderr.isTTY === true && process.env.CI === undefined;
  private done = 0;
  private total = 0;
  private t0 = Date.now();
  private last = '';

  start(total: number): void {
    this.total = total;
    this.t0 = Date.now();
  }

  sample(block: number, blocks: number, s: ScheduledSample, ms?: number): void {
    this.done++;
    const elapsed = (Date.now() - this.t0) / 1000;
    const left = this.done ? (elapsed / this.done) * (this.total - this.done) : 0;
    this.last = `block ${block + 1}/${blocks}, pod start ${this.done}/${this.total} (${s.id} at ${s.delayMs} ms${s.warmup ? ', warm-up' : ''}${ms === undefined ? '' : `: ${ms.toFixed(0)} ms in node`}), ${formatSeconds(elapsed)} elapsed, about ${formatSeconds(left)} left`;
    if (this.tty) setStatusLine(this.last);
    else if (this.done % 10 === 0 || this.done === this.total) log(this.last);
  }

  note(message: string): void {
    log(message);
  }

  stop(): void {
    if (this.tty) setStatusLine(undefined);
  }
}

function hostInfo(docker?: string): { os: string; kernel: string; cpus: number; memoryGiB: number; docker?: string; cgroup?: string } {
  return { os: `${process.platform} ${process.arch}`, kernel: release(), cpus: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), docker, cgroup: cgroupVersion() };
}

function loadText(): string {
  return loadavg().map((x) => x.toFixed(2)).join(' ');
}

interface Runtime {
  env: Environment;
  pc: ProvisionedCluster;
  worker: Worker;
  world: BenchWorld;
  pods: PodStartEnv;
  /** The previous pod start's deletion. */
  gone?: Promise<void>;
}

export async function runBenchLatency(o: BenchLatencyOptions): Promise<BenchLatencyResult> {
  const startedAt = new Date();
  const version = o.kubelet;
  const notApplicable: { arm: Arm; reason: string }[] = [];
  const arms: Arm[] = [];
  for (const arm of o.arms) {
    const a = armApplicability(arm, version);
    if (a.applicable) arms.push(arm);
    else notApplicable.push({ arm, reason: a.reason });
  }
  for (const n of notApplicable) log(`arm ${n.arm.id} is not applicable to kubelet ${version}: ${n.reason}`);
  if (arms.length === 0) {
    process.stderr.write(`nothing to run: every arm is not applicable to kubelet ${version}\n`);
    return { exitCode: 4 };
  }
  const sched: Schedule = schedule({ ...o, arms });

  const ctx = RunContext.create({ keep: o.keep, reportDir: o.reportDir, label: `bench-latency-${version}` });
  const stop = new RunStop(ctx.id, { timeoutMs: o.timeoutMs, what: 'bench' });
  const signal = stop.signal;

  const progress = new BenchProgress();
  mkdirSync(join(ctx.reportDir, 'logs'), { recursive: true });
  const samplesFile = join(ctx.reportDir, 'logs', 'bench-samples.jsonl');
  const checks: Check[] = [];
  const windows: WindowResult[] = [];
  const samples: BenchSample[] = [];
  const timestamps: PodTimestamps[] = [];
  const problems: string[] = [];
  /** Pod starts set aside because the kubelet made them without the pod's pull secret (SecretNotRead). */
  const setAside: string[] = [];
  const restarts: { why: string; seconds: number }[] = [];
  const failedArms = new Map<ArmId, string>();
  const partial: { registry?: Environment['registry']; clusters: ProvisionedCluster[] } = { clusters: [] };
  let rt: Runtime | undefined;
  let dockerVersion: string | undefined;
  let calibration: Calibration | undefined;
  const loadBefore = loadText();
  let planOnly = false;

  try {
    await phase('host setup', () => setupHost());
    dockerVersion = await dockerServerVersion().catch(() => undefined);
    if (signal.aborted) throw new HarnessError(String(signal.reason));
    const needsProviders = arms.some((a) => a.kubelet.serviceAccountProvider);
    const env = await provision(ctx, {
      kubelets: [version], workersPerKubelet: 1, needsCluster: true, needsProviders,
      onRegistry: (r) => { partial.registry = r; }, onCluster: (c) => { partial.clusters.push(c); },
    });
    checks.push(...env.checks);
    const pc = env.clusters[0];
    const worker = pc?.workers.get(version)?.[0];
    if (!pc || !worker) throw new HarnessError(`no worker with kubelet ${version} came up`);
    const world = new BenchWorld({ kube: pc.cluster.kube, registry: env.registry, sts: pc.providers?.sts, node: worker.name });
    rt = {
      env, pc, worker, world,
      pods: { kube: pc.cluster.kube, node: worker.node, registry: env.registry, sts: pc.providers?.sts, imageManagerMetrics: factsOf(version)?.imageManagerMetrics ?? false },
    };
    const runtime = rt;
    await phase('bench world: namespaces, images, seeding credentials', () => world.prepare(arms));

    // A pod start the kubelet made without the pod's pull secret (SecretNotRead: the node authorizer
    // lag) measured a pull without credentials, not the arm: it is set aside, counted in the report,
    // and made again with a new pod, at most MAX_SET_ASIDE times; then the pod start fails with the cause.
    const startSettingAside = async (name: string, start: (name: string) => Promise<PodStartResult>): Promise<PodStartResult> => {
      for (let n = 0; ; n++) {
        try {
          return await start(n ? `${name}-a${n + 1}` : name);
        } catch (err) {
          if (!(err instanceof SecretNotRead) || signal.aborted) throw err;
          setAside.push(err.message);
          if (n + 1 >= MAX_SET_ASIDE) throw new HarnessError(`${err.message}; ${n + 1} pod starts in a row were made without the pod's pull secret, so the node authorizer or the kubelet's secret cache never caught up`);
          warn(`set aside: ${err.message}; the pod start is made again with a new pod`);
          runtime.gone = undefined;
        }
      }
    };

    const configure = async (needs: KubeletNeeds, why: string): Promise<void> => {
      const settings = kubeletSettings(needs);
      let extraArgs = [...BENCH_VERBOSITY];
      if (settings.provider) {
        const sts = pc.providers?.sts;
        if (!sts) throw new HarnessError('a configuration needs the service-account provider, and the run has no STS');
        extraArgs = [...extraArgs, ...await configureProvider(worker, pc.cluster.controlPlane, settings.provider, { kubelet: version, registryHost: env.registry.host, sts })];
      }
      const r = await worker.apply(kubeletModel(version, settings, env.registry.host), configKey(needs), why, signal, { extraArgs });
      restarts.push(r);
      log(`kubelet ${version} on ${worker.name}: ${describeConfig(needs)} at -v=3 (restart to Ready ${r.seconds.toFixed(1)} s)`);
    };

    // Seeding: every arm's image pulled once with the credentials its records then name.
    const seedNeeds = seedingNeeds(arms);
    await phase(`seed: ${describeConfig(seedNeeds)}, one pull per arm`, async () => {
      await configure(seedNeeds, 'seeding');
      // Not measured, so all at once.
      const seeded = await Promise.all(arms.map(async (arm) => {
        const s: ScheduledSample = { seq: -1, id: `seed-${arm.id}`, arm: arm.id, block: -1, delayMs: 0, warmup: true, mint: 'nothing' };
        return startSettingAside(s.id, (name) => runPodStart(runtime.pods, s, world.seedPod(arm.id, name), { timeoutMs: o.podTimeoutMs ?? 120_000, signal }));
      }));
      await Promise.all(seeded.map((r) => r.gone));
    });

    // Calibration: one pod start per arm in the seeding configuration, timed like the real ones.
    calibration = await phase('calibrate: one pod start per arm', async () => {
      const secondsPerSample: Partial<Record<ArmId, number>> = {};
      const delayed: Partial<Record<ArmId, number>> = {};
      for (const arm of arms) {
        const s: ScheduledSample = { seq: -1, id: `cal-${arm.id}`, arm: arm.id, block: -1, delayMs: 0, warmup: true, mint: arm.mint };
        const t0 = performance.now();
        const r = await startSettingAside(`cal-${arm.id}`, async (name) => runPodStart(runtime.pods, s, (await world.mint(s, name)).spec, { timeoutMs: o.podTimeoutMs ?? 120_000, signal, previousGone: runtime.gone }));
        runtime.gone = r.gone;
        secondsPerSample[arm.id] = (performance.now() - t0) / 1000;
        // At 0 ms every request is short, so requests that would overlap under a delay may look sequential: an upper bound.
        delayed[arm.id] = criticalPathFor(r.raw.requests.map((q) => ({ target: q.target, kind: q.kind, at: q.at, durationMs: q.durationMs, status: q.status })), TARGETS);
      }
      return { secondsPerSample, delayedRequestsPerSample: delayed, secondsPerRestart: restarts[0]?.seconds ?? 5, samplesPerArm: 1 };
    });
    const projection = projectPlan(sched, calibration);
    const text = planText(sched, projection);
    const executeSchedule = async (): Promise<void> => {
      // The schedule.
      progress.start(sched.blocks.reduce((n, b) => n + b.samples.length, 0));
      for (const block of sched.blocks) {
        if (signal.aborted) break;
        const blockStarted = new Date();
        const restartsBefore = restarts.length;
        const configuration = sched.configurations.find((c) => c.key === block.config);
        if (block.restartBefore) {
          await runtime.gone;
          runtime.gone = undefined;
          await configure(block.kubelet, `block ${block.index + 1} (${configuration?.label ?? '?'}): ${describeConfig(block.kubelet)}`);
        }
        let ran = 0;
        for (const s of block.samples) {
          if (signal.aborted) break;
          if (failedArms.has(s.arm)) continue;
          try {
            const r = await startSettingAside(s.id, async (name) => runPodStart(runtime.pods, s, (await world.mint(s, name)).spec, { timeoutMs: o.podTimeoutMs ?? 120_000, signal, previousGone: runtime.gone }));
            runtime.gone = r.gone;
            const built = buildSample({ ...r.raw, providerConfigured: !!block.kubelet.serviceAccountProvider });
            samples.push(built.sample);
            // Kept as they come, so a run that fails later still has its raw samples.
            appendFileSync(samplesFile, redact(JSON.stringify(built.sample)) + '\n');
            ran++;
            if (!s.warmup && built.timestamps) timestamps.push(built.timestamps);
            for (const p of built.problems) problems.push(`${s.id}: ${p}`);
            progress.sample(block.index, sched.blocks.length, s, built.sample.measures.inNode);
          } catch (err) {
            if (signal.aborted) break;
            const why = redact(`${(err as Error).message}${(err as { detail?: string }).detail ? ` (${String((err as { detail?: string }).detail).split('\n').slice(-3).join(' | ')})` : ''}`);
            failedArms.set(s.arm, `${s.id}: ${why}`);
            warn(`pod start ${s.id} failed; the rest of arm ${s.arm} is skipped: ${why}`);
            runtime.gone = undefined;
          }
        }
        windows.push({
          index: block.index + 1, kubelet: version, worker: worker.name, settings: { configuration: configuration?.label ?? '', kubelet: describeConfig(block.kubelet), arms: configuration?.arms ?? [] },
          scenarios: ran, exclusive: true, parallel: 1, startedAt: blockStarted.toISOString(), seconds: (Date.now() - blockStarted.getTime()) / 1000,
          restarts: restarts.slice(restartsBefore),
        });
      }
      await runtime.gone?.catch(() => undefined);
    };
    if (o.plan) {
      planOnly = true;
      process.stdout.write(text);
    } else {
      for (const line of text.trimEnd().split('\n')) log(line);
      await executeSchedule();
    }
  } catch (err) {
    if (!signal.aborted) {
      const detail = (err as { detail?: string }).detail;
      checks.push({ name: 'the bench environment came up and every step ran', ok: false, message: redact(`${(err as Error).message}${detail ? `: ${detail.split('\n').slice(-5).join(' | ')}` : ''}`) });
      log(`bench failed: ${(err as Error).message}${detail ? `\n${detail}` : ''}`);
    }
  } finally {
    stop.stopTimer();
    progress.stop();
  }

  // Analysis of what ran (all of it, or a partial run).
  const loadAfter = loadText();
  const complete = !stop.interrupted && !stop.timedOut && !planOnly && checks.every((c) => c.ok);
  const reason = stop.interrupted ? `interrupted by ${stop.interrupted}` : stop.timedOut ? 'the bench timeout was reached' : 'the bench environment did not come up';
  for (const [arm, why] of failedArms) checks.push({ name: `every pod start of arm ${arm} ran`, ok: false, message: why });
  if (setAside.length) checks.push({ name: 'pod starts the kubelet made without the pod\'s pull secret (node authorizer lag) were set aside, not measured, and made again with a new pod', ok: true, message: `${setAside.length} set aside; first: ${setAside.slice(0, 3).join(' | ')}` });
  const inNodeProblems = problems.filter((p) => /kubelet journal/.test(p));
  checks.push({ name: 'the in-node timing markers were found for every pod start', ok: inNodeProblems.length === 0, message: inNodeProblems.length ? `${inNodeProblems.length} problem(s), first: ${inNodeProblems.slice(0, 3).join(' | ')}` : `${samples.length} pod starts` });
  const clusterLabel = rt?.pc.cluster.image.image;
  const environment: Record<string, string> = {
    kubelet: `${version} on ${rt?.worker.name ?? '?'} (${factsOf(version)?.ensureSecretPulledImages?.stage ?? 'no'} ${'KubeletEnsureSecretPulledImages'}${factsOf(version)?.ensureSecretPulledImages ? `, default ${factsOf(version)?.ensureSecretPulledImages?.defaultOn ? 'on' : 'off'}` : ''})`,
    'control plane': `${rt?.pc.cluster.kubernetes ?? '?'} (node image ${clusterLabel ?? '?'})`,
    host: `${hostInfo(dockerVersion).os}, ${cpus().length} CPUs, ${Math.round(totalmem() / 2 ** 30)} GiB, kernel ${release()}, Docker ${dockerVersion ?? '?'}, cgroup ${cgroupVersion()}`,
    'load average (1, 5, 15 min)': `before ${loadBefore}; after ${loadAfter} (the machine is shared with other builds)`,
    date: startedAt.toISOString(),
    seed: String(sched.options.seed),
  };
  if (calibration) environment.calibration = Object.entries(calibration.secondsPerSample).map(([a, s]) => `${a} ${(s ?? 0).toFixed(1)} s`).join(', ') + ` per pod start; restart ${calibration.secondsPerRestart.toFixed(1)} s`;
  const result = samples.length ? analyse({
    // The proof and the overheads on the image check: it contains the whole verification and none of the
    // sandbox and container set-up, whose noise on a busy machine hides a 0.5-wide slope interval.
    samples, seed: sched.options.seed, arms, environment, measure: 'imageCheck',
    design: { text: sched.design, restarts: sched.restarts, blocks: sched.blocks.length },
    ...(timestamps.length ? { harness: timestamps } : {}),
  }) : undefined;

  // Export logs, delete the cluster, clean up.
  const registry = rt?.env.registry ?? partial.registry;
  const clusters = rt ? [rt.pc] : partial.clusters;
  if (registry) await registry.exportLogs(join(ctx.reportDir, 'logs')).catch((e: unknown) => warn(`could not export registry logs: ${(e as Error).message}`));
  const failed = !complete || result?.verdict !== 'pass';
  if (failed && !planOnly) {
    for (const pc of clusters) await pc.cluster.exportLogs(join(ctx.reportDir, 'logs', 'nodes')).catch((e: unknown) => warn(`could not export node logs: ${(e as Error).message}`));
  }
  await rt?.world.dispose().catch(() => undefined);
  for (const pc of clusters) if (!o.keep) await phase(`delete cluster ${pc.cluster.name}`, () => pc.cluster.remove()).catch(() => undefined);
  await ctx.finish();
  stop.detach();
  if (planOnly) return { exitCode: 0 };
  for (const c of ctx.cleanupOutcomes) checks.push({ name: `cleanup: ${c.name}`, ok: c.ok, message: c.error });
  if (ctx.fence) checks.push({ name: 'no packet left the run network (fence drop counter is 0)', ok: ctx.fence.droppedPackets === 0, message: `${ctx.fence.droppedPackets} packets dropped` });

  const measurements: Measurement[] = [];
  if (restarts.length) {
    const sorted = restarts.map((r) => r.seconds).sort((a, b) => a - b);
    measurements.push({ name: 'kubelet restart to Ready (configuration change)', unit: 's', samples: sorted.length, value: sorted[Math.floor((sorted.length - 1) / 2)] as number, how: 'median (lower middle) over every restart of the bench, the seeding one included: systemctl restart kubelet until healthz answers and the node reports Ready with a heartbeat newer than the restart' });
  }
  if (result?.harness) measurements.push({ name: 'harness time per pod start (median)', unit: 'ms', samples: result.harness.n, value: result.harness.medianHarnessMs, how: result.harness.how });
  if (timestamps.length) {
    const lag = timestamps.map((x) => x.watchHandledMs - x.kubeletEndMs).sort((a, b) => a - b);
    measurements.push({ name: 'kubelet status update to the harness handling the watch event (median)', unit: 'ms', samples: lag.length, value: lag[Math.floor((lag.length - 1) / 2)] as number, how: 'per measured pod start: host time the watch event showing the container running was handled minus the klog time of the kubelet\'s "Status for pod updated successfully" line (one kernel clock: kind nodes are containers); the API server, the watch delivery and the harness' });
  }
  const finishedAt = new Date();
  const report = benchReport({
    run: {
      id: ctx.id, command: o.command.map(redact), startedAt, finishedAt, complete: complete && samples.length > 0, incompleteReason: complete ? undefined : reason,
      signalExit: stop.signalExit, kubelet: version, host: hostInfo(dockerVersion),
    },
    result, notApplicable, planned: arms.map((a) => a.id), clusters: clusters.map(clusterInfo),
    registry: registry ? { host: registry.host, endpoint: registry.endpoint } : undefined, fence: ctx.fence, windows, checks, measurements,
  });
  if (result) writeFileSync(join(ctx.reportDir, 'logs', 'bench-result.json'), redact(JSON.stringify(result, null, 2)) + '\n');
  writeReport(ctx.reportDir, report);
  log(`bench ${result?.verdict ?? 'incomplete'}: ${samples.length} pod starts (${samples.filter((s) => s.warmup).length} warm-ups) on kubelet ${version}; load average before ${loadBefore}, after ${loadAfter}; report: ${ctx.reportDir}`);
  for (const r of result?.reasons ?? []) log(`  ${r}`);
  return { exitCode: report.run.exitCode, reportDir: ctx.reportDir };
}
