// Stages 3 and 4, schedule and execute: planned scenarios are grouped into windows (one kubelet version,
// one kubelet configuration, the same barriers); a worker is configured once per window and its
// scenarios run `--parallel N` at a time, phase by phase (a barrier, a kubelet restart or settings
// change, is performed once for all of them). Windows of one kubelet version spread over its workers;
// exclusive windows (faults of shared parts) run alone. `--retries N` rebuilds a failed scenario from
// scratch (new images, namespaces and credentials); a pass after a retry is flaky, never hidden.
import { HarnessError } from '../errors.ts';
import type { ScenarioResult, WindowResult, WindowStages } from '../report/types.ts';
import { log } from '../util/log.ts';
import { registerSecret } from '../util/secrets.ts';
import { isBarrier, kubeletModel } from './model.ts';
import { ScenarioRun, SetupFailed, type ExecEnv } from './execute.ts';
import type { PlannedScenario } from './plan.ts';
import type { KubeletSettingsSpec, Step } from './spec.ts';
import { KubeletRefusedError, type Swap, type Worker } from './worker.ts';
import { nodeMetrics, metricDeltas, checkWindowMetrics } from './metrics.ts';
import { factsOf } from '../oracle/versions.ts';
import { collectBundle } from './bundle.ts';
import { configureProvider } from './providers.ts';

export interface Window {
  index: number;
  key: string;
  kubelet: string;
  /** The oldest control plane the window can run under (upgrade chains). */
  controlPlane?: string;
  settings: KubeletSettingsSpec;
  barriers: Step[];
  exclusive: boolean;
  scenarios: PlannedScenario[];
}

export interface Progress {
  windowStarted(w: Window, worker: string): void;
  scenarioStarted(s: PlannedScenario, attempt: number): void;
  scenarioFinished(r: ScenarioResult): void;
  note(message: string): void;
}

/** Groups the planned (applicable) scenarios into windows: kubelet version, then settings, exclusive ones last. */
export function windowsOf(scenarios: readonly PlannedScenario[]): Window[] {
  const byKey = new Map<string, PlannedScenario[]>();
  for (const s of scenarios) {
    if (s.status !== 'planned') continue;
    const list = byKey.get(s.window) ?? [];
    list.push(s);
    byKey.set(s.window, list);
  }
  const ws = [...byKey.entries()].map(([key, list]) => {
    const first = list[0] as PlannedScenario;
    return { index: 0, key, kubelet: first.kubelet, controlPlane: first.controlPlane, settings: first.spec.kubelet, barriers: (first.spec.setup ?? []).filter(isBarrier), exclusive: first.exclusive, scenarios: list };
  });
  ws.sort((a, b) => a.kubelet.localeCompare(b.kubelet) || Number(a.exclusive) - Number(b.exclusive) || a.key.localeCompare(b.key));
  ws.forEach((w, i) => { w.index = i + 1; });
  return ws;
}

/** Runs fn over items with at most n at once. */
export async function pool<T>(items: readonly T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(n, items.length)) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  });
  await Promise.all(workers);
}

/** Runs fn with a signal that aborts on the parent's abort or after ms; rejects with a timeout error then. */
export async function withTimeout<T>(ms: number, parent: AbortSignal | undefined, what: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onParent = (): void => controller.abort(parent?.reason ?? 'interrupted');
  parent?.addEventListener('abort', onParent, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort(`${what} timed out after ${Math.round(ms / 1000)}s`);
      reject(new HarnessError(`${what} timed out after ${Math.round(ms / 1000)}s`));
    }, ms);
  });
  const aborted = new Promise<never>((_, reject) => {
    controller.signal.addEventListener('abort', () => reject(new HarnessError(typeof controller.signal.reason === 'string' ? controller.signal.reason : 'interrupted')), { once: true });
  });
  try {
    return await Promise.race([fn(controller.signal), timeout, aborted]);
  } finally {
    clearTimeout(timer);
    parent?.removeEventListener('abort', onParent);
    controller.abort('done');
  }
}

const DEFAULT_SCENARIO_TIMEOUT_MS = 4 * 60_000;

export interface WindowOptions {
  parallel: number;
  signal?: AbortSignal;
  progress: Progress;
  attempt: number;
  /** Registry host for "{registry}" in allowlists. */
  registryHost: string;
  /** Report folder: reproduction bundles of failed scenarios go to bundles/ in it. */
  reportDir: string;
}

/** Executes one window on one worker; returns a result per scenario (and the window's record). */
export async function runWindow(w: Window, env: Omit<ExecEnv, 'worker'>, worker: Worker, o: WindowOptions, scenarios: readonly PlannedScenario[] = w.scenarios): Promise<{ results: ScenarioResult[]; window: WindowResult }> {
  const startedAt = new Date();
  // Where the window's time goes: each lap adds the time since the previous one to a part (WindowStages).
  const stages: WindowStages = { configure: 0, scenarios: 0, barriers: 0, teardown: 0, bundles: 0 };
  let mark = startedAt.getTime();
  const lap = (part: keyof WindowStages): void => {
    const now = Date.now();
    stages[part] += (now - mark) / 1000;
    mark = now;
  };
  const restartsBefore = worker.restarts.length;
  o.progress.windowStarted(w, worker.name);
  const exec: ExecEnv = { ...env, worker };
  const runs = scenarios.map((s) => new ScenarioRun(s, o.attempt, exec));
  const toModel = (settings: KubeletSettingsSpec, version = worker.version) => kubeletModel(version, settings, o.registryHost, undefined, runs.length === 1 ? runs[0]?.key : undefined);
  const swapsBefore = worker.swaps.length;
  /** The swap the last swapKubelet barrier made (set by configure). */
  let lastSwap: Swap | undefined;
  const parallel = w.exclusive ? 1 : o.parallel;
  const timeoutOf = (r: ScenarioRun): number => r.planned.spec.timeoutMs ?? DEFAULT_SCENARIO_TIMEOUT_MS;
  const alive = (): ScenarioRun[] => runs.filter((r) => !r.result);
  const fail = (r: ScenarioRun, err: unknown): void => {
    if (r.result) return;
    const message = (err as Error).message + ((err as { detail?: string }).detail ? ` (${String((err as { detail?: string }).detail).split('\n').slice(-3).join(' | ')})` : '');
    if (o.signal?.aborted) r.failed('not-run', `interrupted: ${message}`);
    else if (err instanceof SetupFailed) r.failed(r.failure?.status ?? 'failed', message);
    else r.failed('error', message);
  };
  // Counters restart with the kubelet: sum the changes of each stretch between restarts.
  const metrics: Record<string, number> = {};
  let scrapeOk = true;
  let segmentStart: string | undefined;
  const scrape = async (): Promise<string | undefined> => nodeMetrics(worker).catch(() => { scrapeOk = false; return undefined; });
  const endSegment = async (): Promise<void> => {
    const now = await scrape();
    if (segmentStart && now) for (const [k, v] of Object.entries(metricDeltas(segmentStart, now))) metrics[k] = (metrics[k] ?? 0) + v;
  };

  const configure = async (settings: KubeletSettingsSpec, why: string, swapTo?: string): Promise<boolean> => {
    // The allowlist as resolved: "{key}" names this window's scenario, so two windows with the same
    // settings text are different configurations (the second must not reuse the first's kubelet).
    const key = JSON.stringify({ version: swapTo ?? worker.version, settings, allowlist: toModel(settings, swapTo ?? worker.version).allowlist });
    if (worker.current === key && why.startsWith('window') && !swapTo) return true;
    try {
      const version = swapTo ?? worker.version;
      let extraArgs: string[] = [];
      if (settings.provider) {
        if (!env.sts || !env.controlPlane) throw new HarnessError('a window configures a credential provider but the run has no STS');
        extraArgs = await configureProvider(worker, env.controlPlane, settings.provider, { kubelet: version, registryHost: o.registryHost, sts: env.sts, vendor: env.vendor });
      }
      const options = { extraArgs, nodeDockerConfig: settings.nodeWideCredentials ? nodeWideDockerConfig(env.registry) : undefined };
      if (swapTo) lastSwap = await worker.swapTo(swapTo, await kubeletBinary(swapTo), toModel(settings, swapTo), key, why, o.signal, options);
      else await worker.apply(toModel(settings), key, why, o.signal, options);
      return true;
    } catch (err) {
      if (!(err instanceof KubeletRefusedError)) throw err;
      for (const r of alive()) r.refused(err.kubeletMessage);
      o.progress.note(`${worker.name}: ${err.message}`);
      return false;
    }
  };

  try {
    for (const r of runs) o.progress.scenarioStarted(r.planned, o.attempt);
    // A window starts on the version it was planned for (a previous window may have swapped the kubelet).
    if (worker.version !== w.kubelet) await restoreWorker(worker, w.kubelet, o.signal);
    const configured = await configure(w.settings, `window ${w.index}: ${describeSettings(w.settings)}`);
    lap('configure');
    if (configured) {
      segmentStart = await scrape();
      lap('barriers');
      const step = async (r: ScenarioRun, what: string, fn: (signal: AbortSignal) => Promise<void>): Promise<void> => {
        if (r.result) return;
        try {
          await r.busy(() => withTimeout(timeoutOf(r), o.signal, `scenario "${r.name}"${what}`, fn));
        } catch (err) {
          fail(r, err);
        }
      };
      if (w.barriers.length === 0) {
        // No barrier: each scenario runs start to finish as soon as a slot is free (no waiting for others).
        await pool(alive(), parallel, async (r) => {
          await step(r, ' (setup)', (signal) => r.prepare(signal));
          await step(r, '', (signal) => r.runPhase(signal));
          await step(r, '', (signal) => r.act(signal));
        });
        lap('scenarios');
      } else {
        await pool(alive(), parallel, (r) => step(r, ' (setup)', (signal) => r.prepare(signal)));
        for (let phase = 0; phase <= w.barriers.length; phase++) {
          await pool(alive(), parallel, (r) => step(r, '', (signal) => r.runPhase(signal)));
          lap('scenarios');
          const barrier = w.barriers[phase];
          if (!barrier) break;
          if (alive().length === 0) break;
          await endSegment();
          if ('restartKubelet' in barrier) {
            await worker.restart(`window ${w.index}: restart (barrier ${phase + 1})`, o.signal);
          } else if ('swapKubelet' in barrier) {
            const before = new Map<ScenarioRun, Record<string, string>>();
            for (const r of alive()) before.set(r, await r.recordVersionsOnNode());
            lastSwap = undefined;
            o.progress.note(`${worker.name}: kubelet ${worker.version} -> ${barrier.swapKubelet}: drain, stop, swap the binary, configure, start, uncordon`);
            if (!(await configure(barrier.kubelet, `window ${w.index}: kubelet ${worker.version} -> ${barrier.swapKubelet} (barrier ${phase + 1}): ${describeSettings(barrier.kubelet)}`, barrier.swapKubelet))) break;
            segmentStart = await scrape();
            const swap = lastSwap as Swap | undefined;
            if (swap) o.progress.note(`${worker.name}: kubelet ${swap.to} Ready and uncordoned ${swap.seconds.toFixed(1)} s after the drain began`);
            for (const r of alive()) {
              r.passBarrier();
              if (swap) r.noteSwap(swap, before.get(r) ?? {}, await r.recordVersionsOnNode());
            }
            lap('barriers');
            continue;
          } else if ('kubelet' in barrier) {
            if (!(await configure(barrier.kubelet, `window ${w.index}: settings change (barrier ${phase + 1}): ${describeSettings(barrier.kubelet)}`))) break;
          }
          segmentStart = await scrape();
          for (const r of alive()) r.passBarrier();
          lap('barriers');
        }
        lap('barriers');
        await pool(alive(), parallel, (r) => step(r, '', (signal) => r.act(signal)));
        lap('scenarios');
      }
      await endSegment();
      lap('barriers');
    }
  } catch (err) {
    for (const r of alive()) fail(r, err);
  } finally {
    lap('scenarios');
    await Promise.all(runs.map((r) => r.dispose().catch(() => undefined)));
    // Back to the provisioned kubelet, records wiped (they were written by another version), for the next window.
    if (worker.version !== worker.provisionedVersion && !o.signal?.aborted) {
      await restoreWorker(worker, worker.provisionedVersion, o.signal).catch((err: unknown) => o.progress.note(`${worker.name}: could not return to kubelet ${worker.provisionedVersion}: ${(err as Error).message}`));
    }
  }
  lap('teardown');
  const results: ScenarioResult[] = [];
  for (const r of runs) {
    const res = r.result as ScenarioResult;
    res.window = w.index;
    if ((res.status === 'failed' || res.status === 'error') && !o.signal?.aborted) {
      res.bundle = await collectBundle(o.reportDir, worker, res, r).catch((e: unknown) => {
        o.progress.note(`could not write the reproduction bundle of "${res.name}": ${(e as Error).message}`);
        return undefined;
      });
    }
    o.progress.scenarioFinished(res);
    results.push(res);
  }
  lap('bundles');
  const window: WindowResult = {
    index: w.index, kubelet: w.kubelet, worker: worker.name, settings: w.settings, scenarios: scenarios.length, exclusive: w.exclusive, parallel,
    startedAt: startedAt.toISOString(), seconds: (mark - startedAt.getTime()) / 1000,
    stages: Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, Math.round(v * 1000) / 1000])) as unknown as WindowStages,
    restarts: worker.restarts.slice(restartsBefore),
    metrics: scrapeOk && Object.keys(metrics).length ? metrics : undefined,
  };
  // The image manager's counters exist from 1.35; a window whose configuration was refused counted nothing.
  const counted = runs.filter((r) => r.result && r.result.status !== 'error' && r.result.status !== 'not-run' && r.result.observed?.outcome !== 'config-refused');
  // Not across kubelet swaps: the versions' counters differ (and older ones have none).
  if (window.metrics && factsOf(w.kubelet)?.imageManagerMetrics && counted.length === runs.length && worker.swaps.length === swapsBefore && !o.signal?.aborted) {
    window.metricsCheck = checkWindowMetrics(counted.flatMap((r) => r.checksCounted((r.result as ScenarioResult).status)), counted.reduce((n, r) => n + r.podStarts, 0), window.metrics);
    if (!window.metricsCheck.ok) o.progress.note(`window ${w.index}: the image manager's counters disagree with the oracle: ${window.metricsCheck.problems.join('; ')}`);
  }
  return { results, window };
}

/** The kubelet binary of a release (a kubelet-only build, cached after the first time). */
async function kubeletBinary(version: string): Promise<string> {
  const { kubeletBinaryFor } = await import('../build/under-test.ts');
  return kubeletBinaryFor(version);
}

/** Swaps a worker back to a version with default settings and no pull records. */
async function restoreWorker(worker: Worker, version: string, signal?: AbortSignal): Promise<void> {
  const settings: KubeletSettingsSpec = {};
  await worker.swapTo(version, await kubeletBinary(version), kubeletModel(version, settings, ''), JSON.stringify({ version, settings }), `restore kubelet ${version}`, signal, { wipeRecords: true });
}

const nodeWideUsers = new WeakMap<object, { username: string; password: string }>();

/** The kubelet's docker config with node-wide credentials for the harness registry's nodewide/ path only. */
export function nodeWideDockerConfig(registry: ExecEnv['registry']): string {
  let cred = nodeWideUsers.get(registry);
  if (!cred) {
    cred = registry.tokens.addUser('node-wide', { repositories: ['nodewide/*'], origin: 'static' });
    nodeWideUsers.set(registry, cred);
  }
  const auth = Buffer.from(`${cred.username}:${cred.password}`).toString('base64');
  registerSecret(auth);
  return JSON.stringify({ auths: { [`${registry.host}/nodewide`]: { auth } } });
}

export function describeSettings(s: KubeletSettingsSpec): string {
  const parts: string[] = [];
  if (s.ensureSecretPulledImages !== undefined) parts.push(`KubeletEnsureSecretPulledImages=${s.ensureSecretPulledImages}`);
  if (s.serviceAccountTokens !== undefined) parts.push(`KubeletServiceAccountTokenForCredentialProviders=${s.serviceAccountTokens}`);
  for (const [g, v] of Object.entries(s.gates ?? {})) parts.push(`${g}=${v}`);
  if (s.policy) parts.push(`policy ${s.policy}`);
  if (s.allowlist?.length) parts.push(`allowlist ${s.allowlist.join(', ')}`);
  if (s.maxParallelImagePulls !== undefined) parts.push(`maxParallelImagePulls ${s.maxParallelImagePulls}`);
  if (s.nodeWideCredentials) parts.push('node-wide credentials for nodewide/');
  if (s.provider) parts.push(`provider ${s.provider.serviceAccount ? `service-account (${s.provider.serviceAccount.cacheType ?? 'no cacheType'})` : 'static'}`);
  return parts.join(', ') || 'defaults';
}

/** Merges the results of a retry into the first attempt's: a later pass makes the scenario flaky. */
export function mergeAttempts(first: ScenarioResult, retry: ScenarioResult): ScenarioResult {
  const attempts = [...first.attempts, ...retry.attempts];
  const passedNow = retry.status === 'passed' || retry.status === 'known-bug';
  return { ...retry, status: passedNow ? 'flaky' : retry.status, attempts, message: passedNow ? `passed on attempt ${retry.attempts[0]?.attempt ?? 2} after: ${first.message ?? first.status}` : retry.message };
}

export function retryable(r: ScenarioResult): boolean {
  return r.status === 'failed' || r.status === 'error';
}

export function logWindow(w: Window, worker: string): void {
  log(`window ${w.index} on ${worker}: kubelet ${w.kubelet}, ${describeSettings(w.settings)}${w.barriers.length ? `, ${w.barriers.length} barrier(s)` : ''}${w.exclusive ? ', exclusive' : ''}: ${w.scenarios.length} scenario(s)`);
}
