// A run as named stages, each in its own module: plan (plan.ts), provision (provision.ts), schedule and
// execute (schedule.ts, execute.ts), judge (judge.ts), report (report/*). The report is written on every
// path: success, failure, --timeout, Ctrl-C/SIGTERM (marked incomplete) and crashes; cleanup runs last
// (or is skipped under --keep). Exit codes: 0 passed, 1 conformance failure, 3 infrastructure, 4 nothing
// ran, 130/143 interrupted (usage errors, 2, are thrown before anything starts).
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { HarnessError } from '../errors.ts';
import { cgroupVersion, dockerServerVersion } from '../host/facts.ts';
import { setupHost, waitForDocker } from '../host/setup.ts';
import { RunContext } from '../run/context.ts';
import type { Environment as CheckEnvironment, Scenario as CheckScenario, Suite as CheckSuite } from '../suite/types.ts';
import { RunStop } from '../run/stop.ts';
import { log, phase, warn } from '../util/log.ts';
import { redact } from '../util/secrets.ts';
import { exitCodeFor, preReleasesIn, preReleaseSentence, unmodelledSentences, REPORT_SCHEMA, rerunCommand, summarize, type Check, type Report, type ScenarioResult, type WindowResult } from '../report/types.ts';
import { writeReport } from '../report/write.ts';
import { timingMeasurements } from '../report/timing.ts';
import { runKey, type KubeletLimits, type PlannedScenario, type Shard } from './plan.ts';
import type { KubeletBuildUnderTest } from '../build/under-test.ts';
import { isCheckSuite, planSuites, type AnySuite } from './suites.ts';
import { RunProgress } from './progress.ts';
import { clusterInfo, hosts, provision, type Environment, type WorkerNeed } from './provision.ts';
import { mergeAttempts, retryable, runWindow, windowsOf, type Window } from './schedule.ts';
import type { Worker } from './worker.ts';
import type { VendorPlugin } from './vendor.ts';
import { needsProviders } from './providers.ts';
import { InfraWatch, type WatchedContainer } from './infra.ts';
import { NOT_PASSED_ORDER } from '../report/markup.ts';

export { isCheckSuite, planSuites, type AnySuite };

export interface EngineOptions {
  suites: AnySuite[];
  kubelets: string[];
  focus?: RegExp[];
  skip?: RegExp[];
  shard?: Shard;
  ids?: Set<string>;
  parallel: number;
  retries: number;
  workersPerKubelet: number;
  reportDir?: string;
  keep?: boolean;
  online?: boolean;
  timeoutMs?: number;
  registryImage?: string;
  command: string[];
  /** Limits a changed kubelet build hard-codes (--kubelet-limits), given to the oracle. */
  limits?: KubeletLimits;
  /** The kubelet build under test (--kubelet-binary, --kubernetes-source). */
  kubeletBuild?: KubeletBuildUnderTest;
  /** A vendor's credential provider plugin in place of the reference plugin where a window says so (certify --in-cluster). */
  vendor?: VendorPlugin;
  /** For tests: the test seam's hooks (harness/util/test-hooks.ts) are consulted by the caller. */
  label?: string;
}

export interface EngineResult {
  report: Report;
  reportDir: string;
  exitCode: number;
}

function hostInfo(docker?: string): Report['run']['host'] {
  return { os: `${process.platform} ${process.arch}`, kernel: release(), cpus: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), docker, cgroup: cgroupVersion() };
}

/** Results for scenarios that were planned but never ran (interrupted, timed out, infrastructure down). */
function notRun(s: PlannedScenario, why: string): ScenarioResult {
  return {
    kind: 'oracle', id: s.id, key: runKey(s), suite: s.suite, name: s.name, kubelet: s.kubelet, labels: s.labels, status: 'not-run', message: why,
    expected: { outcome: s.prediction.outcome, cause: s.prediction.cause, reason: s.prediction.reason, registryContact: s.prediction.registryContact, event: s.prediction.event, record: s.prediction.record, stsExchanges: s.prediction.stsExchanges, rules: s.prediction.rules, knownBug: s.prediction.knownBug, uncertain: s.prediction.uncertain },
    setup: [], attempts: [], seconds: 0,
  };
}

function notApplicable(s: PlannedScenario): ScenarioResult {
  return { ...notRun(s, s.reason ?? 'not applicable'), status: 'not-applicable', message: s.reason };
}


async function runChecks(suite: CheckSuite, env: CheckEnvironment, progress: RunProgress, signal: AbortSignal, watch: InfraWatch): Promise<ScenarioResult[]> {
  const out: ScenarioResult[] = [];
  for (const [i, s] of suite.scenarios.entries()) {
    const startedAt = new Date();
    if (signal.aborted) {
      out.push({ kind: 'check', id: `${suite.name}/${i + 1}`, key: `${suite.name}/${i + 1}`, suite: suite.name, name: s.name, kubelet: 'none', labels: {}, status: 'not-run', message: String(signal.reason ?? 'interrupted'), setup: [], attempts: [], seconds: 0 });
      continue;
    }
    const r = await runCheck(suite, s, i, env, signal);
    if (r.status === 'failed' || r.status === 'error') await watch.check();
    const seconds = (Date.now() - startedAt.getTime()) / 1000;
    const res: ScenarioResult = {
      kind: 'check', id: `${suite.name}/${i + 1}`, key: `${suite.name}/${i + 1}`, suite: suite.name, name: s.name, kubelet: 'none', labels: {}, status: r.status, message: r.message, notes: r.notes,
      setup: [], attempts: [{ attempt: 1, status: r.status, startedAt: startedAt.toISOString(), seconds, message: r.message }], startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(), seconds,
    };
    progress.scenarioFinished(res);
    out.push(res);
  }
  return out;
}

async function runCheck(suite: CheckSuite, s: CheckScenario, index: number, env: CheckEnvironment, signal: AbortSignal): Promise<{ status: 'passed' | 'failed' | 'error' | 'not-run'; message?: string; notes: string[] }> {
  const { ExpectationFailed } = await import('../suite/types.ts');
  const notes: string[] = [];
  const slug = `s${String(index + 1).padStart(2, '0')}`;
  const tools = {
    scenario: s.name,
    expect(cond: boolean, what: string, observed: string): void {
      if (!cond) throw new ExpectationFailed(`expected ${what}; observed ${observed}`);
      notes.push(`ok: ${what}`);
    },
    note(message: string): void { notes.push(message); },
    measure(): void { /* check suites report no measurements here */ },
    unique(base: string): string { return `${base}-${slug}-${env.run.id}`; },
  };
  // Check suites run one scenario at a time: requests are tagged with the scenario's name.
  env.registry.log.setScenario(s.name);
  let timer: NodeJS.Timeout | undefined;
  const stop = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HarnessError(`check timed out after ${(s.timeoutMs ?? 300_000) / 1000}s`)), s.timeoutMs ?? 300_000);
    signal.addEventListener('abort', () => reject(new HarnessError(String(signal.reason ?? 'interrupted'))), { once: true });
  });
  stop.catch(() => undefined);
  try {
    await Promise.race([s.run(env, tools), stop]);
    const { testHooks } = await import('../util/test-hooks.ts');
    if (testHooks.afterScenario) await Promise.race([testHooks.afterScenario(s.name), stop]);
    return { status: 'passed', notes };
  } catch (err) {
    if (signal.aborted) return { status: 'not-run', message: redact((err as Error).message), notes };
    return { status: err instanceof ExpectationFailed ? 'failed' : 'error', message: redact((err as Error).message), notes };
  } finally {
    clearTimeout(timer);
    void suite;
  }
}

/**
 * Runs every window on a free worker of its kubelet version, workers of different versions at the same
 * time; an exclusive window (faults of the shared registry, token service or STS) waits until nothing
 * else runs and runs alone.
 */
async function executeWindows(windows: Window[], env: Environment, o: EngineOptions, reportDir: string, progress: RunProgress, signal: AbortSignal, results: Map<string, ScenarioResult>, windowResults: WindowResult[], watch: InfraWatch): Promise<void> {
  interface Slot { worker: Worker; version: string; pc: Environment['clusters'][number]; busy: boolean }
  const slots: Slot[] = env.clusters.flatMap((pc) => [...pc.workers.entries()].flatMap(([version, ws]) => ws.map((worker) => ({ worker, version, pc, busy: false }))));
  /** A slot can take a window: the window's kubelet, under a control plane the window may run under. */
  const fits = (sl: Slot, w: Window): boolean => sl.version === w.kubelet && hosts(sl.pc.layout.controlPlane, { kubelet: w.kubelet, controlPlane: w.controlPlane });
  // Exclusive windows last, so the others flow first.
  const queue = [...windows].sort((a, b) => Number(a.exclusive) - Number(b.exclusive));
  for (const w of queue) {
    if (!slots.some((sl) => fits(sl, w))) throw new HarnessError(`no worker runs kubelet ${w.kubelet}${w.controlPlane ? ` under a control plane of ${w.controlPlane} or newer` : ''} for window ${w.index}`);
  }
  let exclusiveRunning = false;
  let running = 0;
  const registryHost = env.registry.host;
  const runOne = async (w: Window, slot: Slot): Promise<void> => {
    const execEnv = { runId: '', registry: env.registry, kube: slot.pc.cluster.kube, sts: slot.pc.providers?.sts, vendor: slot.pc.providers?.vendor, controlPlane: slot.pc.cluster.controlPlane };
    let pending: readonly PlannedScenario[] = w.scenarios;
    for (let attempt = 1; attempt <= 1 + o.retries && pending.length && !signal.aborted; attempt++) {
      const { results: rs, window } = await runWindow(w, execEnv, slot.worker, { parallel: o.parallel, signal, progress, attempt, registryHost, reportDir }, pending);
      windowResults.push(window);
      // A scenario that did not pass may have met the infrastructure going away: look now, not at the next tick.
      if (rs.some((r) => r.status === 'failed' || r.status === 'error')) await watch.check();
      for (const r of rs) {
        const prev = results.get(r.key);
        results.set(r.key, prev ? mergeAttempts(prev, r) : r);
      }
      pending = pending.filter((p) => { const r = results.get(runKey(p)); return r !== undefined && retryable(r); });
      if (pending.length && attempt < 1 + o.retries) progress.note(`retrying ${pending.length} scenario(s) of window ${w.index} from scratch (attempt ${attempt + 1})`);
    }
  };
  await new Promise<void>((resolve, reject) => {
    const pump = (): void => {
      if ((signal.aborted || queue.length === 0) && running === 0) { resolve(); return; }
      for (let i = 0; i < queue.length && !signal.aborted && !exclusiveRunning;) {
        const w = queue[i] as Window;
        if (w.exclusive && running > 0) break;
        const slot = slots.find((sl) => !sl.busy && fits(sl, w));
        if (!slot) { i++; continue; }
        queue.splice(i, 1);
        slot.busy = true;
        running++;
        if (w.exclusive) exclusiveRunning = true;
        runOne(w, slot).then(() => {
          running--;
          slot.busy = false;
          if (w.exclusive) exclusiveRunning = false;
          pump();
        }, reject);
      }
    };
    pump();
  });
}

export async function runEngine(o: EngineOptions): Promise<EngineResult> {
  const startedAt = new Date();
  const progress = new RunProgress();
  const checkSuites = o.suites.filter(isCheckSuite);
  const p = planSuites(o);
  const needsCluster = p.scenarios.length > 0;
  const ctx = RunContext.create({ online: o.online, keep: o.keep, reportDir: o.reportDir, label: o.label ?? o.suites.map((s) => s.name).join('+').slice(0, 40) });
  log(`run ${ctx.id}: ${p.scenarios.length} scenario(s) planned from ${p.expanded} (${p.filteredOut} filtered out, ${p.otherShards} in other shards)${checkSuites.length ? `, ${checkSuites.length} check suite(s)` : ''}`);
  const stop = new RunStop(ctx.id, { timeoutMs: o.timeoutMs, what: 'run' });
  const controller = stop.controller;
  let crashed: Error | undefined;
  const onCrash = (err: unknown): void => {
    crashed = err instanceof Error ? err : new Error(String(err));
    warn(`unexpected error: ${crashed.stack ?? crashed.message}`);
    stop.abort(`crashed: ${crashed.message}`);
  };
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);

  const results = new Map<string, ScenarioResult>();
  const windowResults: WindowResult[] = [];
  const checks: Check[] = [];
  let env: Environment | undefined;
  const partial: { registry?: Environment['registry']; clusters: Environment['clusters'] } = { clusters: [] };
  let dockerVersion: string | undefined;
  /** When provisioning was done (the start of the scenarios' stage). */
  let readyAt: number | undefined;
  const watch = new InfraWatch({ onLost: (loss) => stop.failInfrastructure(loss.message) });
  progress.setTotal(p.scenarios.length + checkSuites.reduce((n, s) => n + s.scenarios.length, 0));
  try {
    progress.setStage('provision');
    await phase('host setup', () => setupHost());
    dockerVersion = await dockerServerVersion().catch(() => undefined);
    if (controller.signal.aborted) throw new HarnessError(String(controller.signal.reason));
    env = await provision(ctx, {
      kubelets: workerNeeds(p.scenarios, o.kubelets), workersPerKubelet: o.workersPerKubelet, needsCluster, needsProviders: needsProviders(p.scenarios), registryImage: o.registryImage, vendor: o.vendor,
      onRegistry: (r) => { partial.registry = r; }, onCluster: (c) => { partial.clusters.push(c); },
    });
    checks.push(...env.checks);
    await watch.watch(watchedContainers(env));
    watch.start();
    progress.setStage('execute');
    for (const suite of checkSuites) {
      for (const r of await runChecks(suite, { run: ctx, registry: env.registry }, progress, controller.signal, watch)) results.set(r.key, r);
    }
    const applicable = p.scenarios.filter((s) => s.status === 'planned');
    for (const s of p.scenarios.filter((x) => x.status === 'not-applicable')) {
      const r = notApplicable(s);
      results.set(r.key, r);
      progress.scenarioFinished(r);
    }
    readyAt = Date.now();
    await executeWindows(windowsOf(applicable), env, o, ctx.reportDir, progress, controller.signal, results, windowResults, watch);
    await watch.check();
  } catch (err) {
    if (!controller.signal.aborted) {
      const detail = (err as { detail?: string }).detail;
      checks.push({ name: 'the run environment came up', ok: false, message: redact(`${(err as Error).message}${detail ? `: ${detail.split('\n').slice(-5).join(' | ')}` : ''}`) });
      log(`run failed before its scenarios finished: ${(err as Error).message}${detail ? `\n${detail}` : ''}`);
    }
  } finally {
    stop.stopTimer();
    watch.stop();
  }

  // Everything planned gets a result, so a partial report still names what did not run.
  const reason = stop.interrupted ? `interrupted by ${stop.interrupted}` : stop.infraFailure ? `infrastructure failure: ${stop.infraFailure}` : crashed ? `crashed: ${crashed.message}` : stop.timedOut ? 'the run timeout was reached' : 'the run environment did not come up';
  for (const s of p.scenarios) if (!results.has(runKey(s))) results.set(runKey(s), s.status === 'not-applicable' ? notApplicable(s) : notRun(s, reason));
  for (const suite of checkSuites) {
    for (const [i, s] of suite.scenarios.entries()) {
      const key = `${suite.name}/${i + 1}`;
      if (!results.has(key)) results.set(key, { kind: 'check', id: key, key, suite: suite.name, name: s.name, kubelet: 'none', labels: {}, status: 'not-run', message: reason, setup: [], attempts: [], seconds: 0 });
    }
  }

  const stayedUp = 'the Docker engine, the registry container and the kind nodes stayed up for the whole run';
  if (watch.lost) {
    notJudgedAfterLoss(results, watch.lost);
    checks.push({ name: stayedUp, ok: false, message: `${watch.lost.message} (noticed at ${watch.lost.at.toISOString()})` });
    // Cleanup needs the engine.
    if (!(await dockerServerVersion())) {
      log('waiting up to 60s for the Docker engine to answer again, to clean up');
      await waitForDocker(60_000).catch(() => warn('the Docker engine did not answer within 60s: cleanup will fail; run "npx pullproof cleanup" once it answers'));
    }
  } else if (watch.watching) {
    checks.push({ name: stayedUp, ok: true, message: `${watch.checks} checks` });
  }

  progress.setStage('report');
  const executeSeconds = readyAt !== undefined ? (Date.now() - readyAt) / 1000 : undefined;
  const registry = env?.registry ?? partial.registry;
  const clusters = env?.clusters ?? partial.clusters;
  const failedAny = [...results.values()].some((r) => r.status === 'failed' || r.status === 'error') || checks.some((c) => !c.ok);
  if (registry) await registry.exportLogs(join(ctx.reportDir, 'logs')).catch((e: unknown) => warn(`could not export registry logs: ${(e as Error).message}`));
  if (failedAny || stop.interrupted || stop.timedOut) {
    for (const pc of clusters) {
      await pc.cluster.exportLogs(join(ctx.reportDir, 'logs', 'nodes')).catch((e: unknown) => warn(`could not export node logs: ${(e as Error).message}`));
    }
  }
  for (const pc of clusters) {
    if (!o.keep) await phase(`delete cluster ${pc.cluster.name}`, () => pc.cluster.remove()).catch(() => undefined);
  }
  await ctx.finish();
  for (const c of ctx.cleanupOutcomes) checks.push({ name: `cleanup: ${c.name}`, ok: c.ok, message: c.error });
  if (ctx.fence) checks.push({ name: 'no packet left the run network (fence drop counter is 0)', ok: ctx.fence.droppedPackets === 0, message: `${ctx.fence.droppedPackets} packets dropped` });
  progress.stop();

  const scenarios = [...results.values()];
  const finishedAt = new Date();
  const report: Report = {
    schema: REPORT_SCHEMA,
    pullproof: process.env.npm_package_version ?? '0.1.0',
    run: {
      id: ctx.id, command: o.command.map(redact), startedAt: startedAt.toISOString(), finishedAt: finishedAt.toISOString(), seconds: (finishedAt.getTime() - startedAt.getTime()) / 1000,
      complete: !stop.interrupted && !crashed && !stop.timedOut && !stop.infraFailure, incompleteReason: stop.interrupted || crashed || stop.timedOut || stop.infraFailure ? reason : undefined, exitCode: 0,
      suites: o.suites.map((s) => s.name), kubelets: o.kubelets, shard: o.shard, parallel: o.parallel, retries: o.retries, host: hostInfo(dockerVersion),
      ...(o.kubeletBuild ? { kubeletBuild: { release: o.kubeletBuild.release, reported: o.kubeletBuild.reported, sha256: o.kubeletBuild.sha256, ...(o.kubeletBuild.commit ? { commit: o.kubeletBuild.commit } : {}), source: o.kubeletBuild.source, origin: redact(o.kubeletBuild.origin) } } : {}),
      ...(o.limits ? { kubeletLimits: o.limits } : {}),
    },
    environment: {
      clusters: clusters.map(clusterInfo),
      registry: registry ? { host: registry.host, endpoint: registry.endpoint } : undefined,
      fence: ctx.fence,
      ...(o.vendor ? { vendorPlugin: vendorInfo(o.vendor, clusters) } : {}),
    },
    windows: windowResults,
    scenarios,
    checks,
    measurements: [...(windowResults.flatMap((w) => w.restarts).length ? [{
      name: 'kubelet restart to Ready', unit: 's', samples: windowResults.flatMap((w) => w.restarts).length,
      value: median(windowResults.flatMap((w) => w.restarts.map((r) => r.seconds))),
      how: 'median over every restart of the run: systemctl restart kubelet until healthz answers and the node reports Ready with a heartbeat newer than the restart',
    }] : []), ...(needsCluster ? timingMeasurements({ windows: windowResults, scenarios, executeSeconds, parallel: o.parallel }) : [])],
    summary: summarize(scenarios),
  };
  const preReleases = preReleasesIn(report);
  if (preReleases.length) report.run.preReleases = preReleases;
  // An infrastructure failure is exit 3 even after a conformance failure: the run did not finish.
  report.run.exitCode = stop.signalExit ?? (crashed || stop.infraFailure ? 3 : exitCodeFor(report));
  const metricDisagreements = windowResults.filter((w) => w.metricsCheck && !w.metricsCheck.ok);
  if (metricDisagreements.length) log(`the image manager's counters disagree with the oracle in window(s) ${metricDisagreements.map((w) => w.index).join(', ')}`);
  // The handlers stay until the report is written: a signal while it is written (after cleanup) still
  // exits 130/143, and the report on disk then says the run was interrupted.
  try {
    await phase('report writing', async () => writeReport(ctx.reportDir, report));
  } catch (err) {
    if (!stop.interrupted) throw err;
  }
  if (stop.interrupted && report.run.complete) {
    report.run.complete = false;
    report.run.incompleteReason = `interrupted by ${stop.interrupted} while the report was written (every scenario had finished)`;
    report.run.exitCode = stop.signalExit as number;
    writeReport(ctx.reportDir, report);
  }
  stop.detach();
  process.off('uncaughtException', onCrash);
  process.off('unhandledRejection', onCrash);
  const parts = report.measurements.filter((m) => m.name.startsWith('time in windows: ') && m.value > 0);
  if (parts.length && executeSeconds !== undefined) log(`time from the cluster Ready to the report: ${executeSeconds.toFixed(0)} s; in windows: ${parts.map((m) => `${m.name.slice('time in windows: '.length)} ${m.value.toFixed(0)} s`).join(', ')}${report.summary.setAside ? `; ${report.summary.setAside} kubelet attempt(s) set aside (${report.summary.setAsideSeconds} s of back-off)` : ''} (details: the report's measurements)`);
  for (const line of recapLines(report.scenarios, ctx.reportDir)) log(line);
  const pre = preReleaseSentence(report);
  if (pre) log(pre);
  for (const u of unmodelledSentences(report)) warn(u);
  log(`${report.summary.passed} passed, ${report.summary.failed} failed, ${report.summary.knownBugs} known bugs, ${report.summary.flaky} flaky, ${report.summary.errors} errors, ${report.summary.notApplicable} not applicable, ${report.summary.notRun} not run; report: ${ctx.reportDir}`);
  return { report, reportDir: ctx.reportDir, exitCode: report.run.exitCode };
}

function vendorInfo(v: VendorPlugin, clusters: Environment['clusters']): NonNullable<Report['environment']['vendorPlugin']> {
  const configs: Record<string, string> = {};
  for (const pc of clusters) for (const [k, text] of pc.providers?.vendor?.configs ?? []) configs[k] = redact(text);
  return { name: v.name, sha256: v.sha256, source: v.source, host: v.host, backend: v.backend, configs };
}

/** What the run's scenarios need running for the whole run: the registry container and every kind node. */
function watchedContainers(env: Environment): WatchedContainer[] {
  return [
    { name: env.registry.registry.name, what: 'the registry container' },
    ...env.clusters.flatMap((pc) => [pc.cluster.controlPlane, ...pc.cluster.workers].map((n) => ({ name: n.name, what: `kind node ${n.name}` }))),
  ];
}

/** Scenarios caught in an infrastructure failure are not judged: a failure or error that ended in the minute
 * before the loss was noticed, or after it, is turned into not-run naming the loss and what it had said. */
export function notJudgedAfterLoss(results: Map<string, ScenarioResult>, loss: { at: Date; message: string }, graceMs = 60_000): number {
  let n = 0;
  for (const [key, r] of results) {
    if (r.status !== 'failed' && r.status !== 'error') continue;
    const ended = r.finishedAt ? Date.parse(r.finishedAt) : Number.POSITIVE_INFINITY;
    if (ended < loss.at.getTime() - graceMs) continue;
    results.set(key, { ...r, status: 'not-run', message: `not judged: infrastructure failure: ${loss.message} (the scenario had ended ${r.status}${r.message ? `: ${r.message}` : ''})` });
    n++;
  }
  return n;
}

/** The workers the plan needs: its applicable scenarios' kubelets and control-plane minimums (or --kubelet when none applies). */
function workerNeeds(scenarios: readonly PlannedScenario[], kubelets: string[]): WorkerNeed[] {
  const planned = scenarios.filter((s) => s.status === 'planned');
  if (planned.length === 0) return kubelets.map((k) => ({ kubelet: k }));
  return [...new Map(planned.map((s) => [`${s.kubelet}@${s.controlPlane ?? ''}`, { kubelet: s.kubelet, controlPlane: s.controlPlane }])).values()];
}

const RECAP_WORD: Partial<Record<ScenarioResult['status'], string>> = { failed: 'FAIL', error: 'ERROR', 'not-run': 'NOT RUN', flaky: 'FLAKY', 'known-bug': 'KNOWN BUG', observed: 'OBSERVED' };

/** Text cut to at most max characters at a word boundary, ending in "…" when cut (the report has the whole). */
export function clipWords(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > max / 2 ? cut.slice(0, space) : cut).replace(/[\s;:,]+$/, '')} …`;
}

/** The end of a run's output: every scenario that did not pass, worst first, one line each (at most 20 per status). */
export function recapLines(scenarios: readonly ScenarioResult[], reportDir?: string): string[] {
  const out: string[] = [];
  for (const status of NOT_PASSED_ORDER) {
    const list = scenarios.filter((x) => x.status === status);
    if (!list.length) continue;
    if (!out.length) out.push('not passed:');
    for (const x of list.slice(0, 20)) out.push(`  ${RECAP_WORD[status]} ${x.key}: ${clipWords((x.message ?? '').replace(/\s+/g, ' '), 240)}; alone: ${rerunCommand(x)}`);
    if (list.length > 20) out.push(`  ... and ${list.length - 20} more ${RECAP_WORD[status]} (the report lists all)`);
  }
  if (reportDir && scenarios.some((x) => x.status === 'failed' || x.status === 'error' || x.status === 'not-run')) out.push(`rerun what failed, erred or did not run: npx pullproof run --rerun-failed ${reportDir}`);
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}
