// Runs one suite end to end: host setup, the run's network and fence, the environment the suite needs,
// every scenario (each with its own timeout and its own slice of the request records), then the
// report (JSON, JUnit, Markdown) and cleanup. Cleanup also runs on Ctrl-C, crashes and the run timeout.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClusterFromPlan } from '../cluster/provider.ts';
import { HarnessError } from '../errors.ts';
import { setupHost } from '../host/setup.ts';
import { RegistryStack } from '../registry/stack.ts';
import { RunContext } from '../run/context.ts';
import { abortRunningCommands } from '../util/exec.ts';
import { cleanupOnExit } from '../util/cleanup.ts';
import { log, phase } from '../util/log.ts';
import { redact } from '../util/secrets.ts';
import { junitXml } from './junit.ts';
import { renderMarkdown } from './markdown.ts';
import { ExpectationFailed, type Environment, type Measurement, type Scenario, type ScenarioResult, type Suite } from './types.ts';

export interface RunSuiteOptions {
  suite: Suite;
  keep?: boolean;
  online?: boolean;
  reportDir?: string;
  timeoutMs?: number;
  /** Test-only: make the scenario whose name contains this text fail on purpose. */
  failScenario?: string;
  /** Only scenarios whose name contains this text. */
  filter?: string;
  /** Official registry image (online only). */
  registryImage?: string;
  /** Kubelet version for the worker under test (a kubelet-only build on the 1.35 node image). */
  kubelet?: string;
}

export interface SuiteReport {
  pullproof: string;
  suite: string;
  title: string;
  runId: string;
  startedAt: string;
  finishedAt: string;
  seconds: number;
  passed: number;
  failed: number;
  errors: number;
  results: ScenarioResult[];
  environment: Record<string, unknown>;
  fence?: { subnet: string; droppedPackets: number; readAt: string };
  cleanup: { name: string; ok: boolean; error?: string }[];
  reportDir: string;
}

const DEFAULT_SCENARIO_TIMEOUT_MS = 5 * 60_000;

function write(dir: string, name: string, text: string): void {
  writeFileSync(join(dir, name), redact(text));
}

async function runScenario(s: Scenario, env: Environment, o: RunSuiteOptions, index: number): Promise<ScenarioResult> {
  const notes: string[] = [];
  const measurements: Measurement[] = [];
  env.registry.log.setScenario(s.name);
  const cursor = env.registry.log.cursor;
  const slug = `s${String(index + 1).padStart(2, '0')}`;
  const tools = {
    scenario: s.name,
    expect(cond: boolean, what: string, observed: string): void {
      if (!cond) throw new ExpectationFailed(`expected ${what}; observed ${observed}`);
      notes.push(`ok: ${what}`);
    },
    note(message: string): void {
      notes.push(message);
    },
    measure(m: Measurement): void {
      measurements.push(m);
    },
    unique(base: string): string {
      return `${base}-${slug}-${env.run.id}`;
    },
  };
  const t0 = performance.now();
  let status: ScenarioResult['status'] = 'passed';
  let message: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const limit = s.timeoutMs ?? DEFAULT_SCENARIO_TIMEOUT_MS;
    await Promise.race([
      s.run(env, tools),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`scenario timed out after ${limit / 1000}s`)), limit);
      }),
    ]);
    const crash = process.env.PULLPROOF_TEST_CRASH_IN_SCENARIO;
    if (crash && s.name.includes(crash)) {
      // Test only: an error nobody catches, to prove cleanup runs on a crash.
      setImmediate(() => {
        throw new Error('deliberate crash (PULLPROOF_TEST_CRASH_IN_SCENARIO)');
      });
      await new Promise((r) => setTimeout(r, 60_000));
    }
    if (o.failScenario && s.name.includes(o.failScenario)) {
      throw new ExpectationFailed('deliberately failed by --fail-scenario (a test of the failure path)');
    }
  } catch (err) {
    status = err instanceof ExpectationFailed ? 'failed' : 'error';
    message = redact((err as Error).message);
  } finally {
    clearTimeout(timer);
  }
  const seconds = (performance.now() - t0) / 1000;
  const requests = env.registry.log.query({ since: cursor }).length;
  log(`${status === 'passed' ? 'PASS' : status === 'failed' ? 'FAIL' : 'ERROR'} ${s.name} (${seconds.toFixed(1)}s, ${requests} requests)${message ? `: ${message}` : ''}`);
  return { name: s.name, status, seconds, message, notes, measurements, requests };
}

export async function runSuite(o: RunSuiteOptions): Promise<SuiteReport> {
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const ctx = RunContext.create({ online: o.online, keep: o.keep, reportDir: o.reportDir, label: o.suite.name });
  const detach = cleanupOnExit(ctx.cleanup);
  const results: ScenarioResult[] = [];
  const environment: Record<string, unknown> = {};
  let timedOut = false;
  const timer = o.timeoutMs ? setTimeout(() => {
    timedOut = true;
    log(`run timeout of ${(o.timeoutMs as number) / 1000}s reached: stopping`);
    abortRunningCommands();
  }, o.timeoutMs) : undefined;
  timer?.unref();
  let env: Environment | undefined;
  try {
    await phase('host setup', () => setupHost());
    const network = await phase('run network', () => ctx.createNetwork());
    const registry = await phase('harness registry', () =>
      RegistryStack.start({ network, image: o.registryImage }, (name, fn) => ctx.cleanup.defer(name, fn)));
    registry.addStandardTenants();
    environment.registry = { endpoint: registry.endpoint, host: registry.host, realm: registry.realm, startSeconds: registry.timings.startSeconds, caFingerprint: registry.ca.fingerprint() };
    env = { run: ctx, registry };
    if (o.suite.needs.includes('cluster')) {
      if (!o.suite.cluster) throw new HarnessError(`suite ${o.suite.name} needs a cluster but has no cluster plan`);
      const plan = { ...o.suite.cluster, workers: o.suite.cluster.workers.map((w, i) => (i === 0 && o.kubelet ? { ...w, kubelet: o.kubelet } : w)) };
      const cluster = await createClusterFromPlan(ctx, registry, plan);
      env.cluster = cluster;
      environment.cluster = {
        name: cluster.name, kubernetes: cluster.kubernetes, nodeImage: cluster.image.image, nodeImageCached: cluster.image.cached,
        kubelets: Object.fromEntries(cluster.kubelets), timings: cluster.timings,
      };
    }
    const scenarios = o.suite.scenarios.filter((s) => !o.filter || s.name.includes(o.filter));
    for (const [i, s] of scenarios.entries()) {
      if (timedOut) {
        results.push({ name: s.name, status: 'error', seconds: 0, message: 'not run: the run timeout was reached', notes: [], measurements: [], requests: 0 });
        continue;
      }
      results.push(await runScenario(s, env, o, i));
    }
  } catch (err) {
    const message = redact((err as Error).message + ((err as { detail?: string }).detail ? `\n${(err as { detail?: string }).detail}` : ''));
    log(`run failed before its scenarios finished: ${message}`);
    results.push({ name: 'environment setup', status: 'error', seconds: 0, message, notes: [], measurements: [], requests: 0 });
  } finally {
    clearTimeout(timer);
    const failedAny = results.some((r) => r.status !== 'passed');
    if (env) {
      const logs = join(ctx.reportDir, 'logs');
      mkdirSync(logs, { recursive: true });
      // Request records and the registry's own log always: together they show every request of the run.
      await env.registry.exportLogs(logs).catch((e: unknown) => log(`could not export logs: ${(e as Error).message}`));
      if (failedAny && env.cluster) {
        await env.cluster.exportLogs(join(logs, 'nodes')).catch((e: unknown) => log(`could not export node logs: ${(e as Error).message}`));
      }
    }
    if (env?.cluster && !o.keep) {
      const cluster = env.cluster;
      await phase(`delete cluster ${cluster.name}`, () => cluster.remove()).catch(() => undefined);
      environment.cluster = { ...(environment.cluster as object), timings: cluster.timings };
    }
    await ctx.finish();
    detach();
  }
  const report: SuiteReport = {
    pullproof: process.env.npm_package_version ?? '0.1.0',
    suite: o.suite.name, title: o.suite.title, runId: ctx.id, startedAt, finishedAt: new Date().toISOString(),
    seconds: (performance.now() - t0) / 1000,
    passed: results.filter((r) => r.status === 'passed').length,
    failed: results.filter((r) => r.status === 'failed').length,
    errors: results.filter((r) => r.status === 'error').length,
    results, environment, fence: ctx.fence,
    cleanup: ctx.cleanupOutcomes.map(({ name, ok, error }) => ({ name, ok, error })),
    reportDir: ctx.reportDir,
  };
  const teardown = report.cleanup.map((c) => ({ name: `cleanup: ${c.name}`, ok: c.ok, message: c.error }));
  if (report.fence) {
    teardown.push({ name: 'no packet left the run network (fence drop counter is 0)', ok: report.fence.droppedPackets === 0, message: `${report.fence.droppedPackets} packets dropped` });
  }
  write(ctx.reportDir, 'report.json', JSON.stringify(report, null, 2) + '\n');
  write(ctx.reportDir, 'junit.xml', junitXml(o.suite.name, results, startedAt, teardown));
  write(ctx.reportDir, 'summary.md', renderMarkdown(report));
  log(`${report.passed} passed, ${report.failed} failed, ${report.errors} errors; report: ${ctx.reportDir}`);
  return report;
}

export function reportSucceeded(r: SuiteReport): boolean {
  return r.failed === 0 && r.errors === 0 && r.results.length > 0 && r.cleanup.every((c) => c.ok) && (r.fence?.droppedPackets ?? 0) === 0;
}
