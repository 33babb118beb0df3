// `pullproof run` and `pullproof list`: suites chosen by name (or loaded from a file), kubelet versions
// checked against the version table, filters, shards, parallelism and retries, all validated before
// anything starts (exit 2 naming the flag and the fix). The engine is loaded only when it is needed.
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { UsageError } from '../errors.ts';
import { DEFAULT_CONTROL_PLANE, checkSupportedRelease, versionLabel } from '../oracle/versions.ts';
import type { AnySuite } from '../engine/suites.ts';
import type { Plan, PlannedScenario, Shard } from '../engine/plan.ts';
import type { Prediction } from '../oracle/types.ts';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function parseDuration(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError(`"${value}" is not a duration; use a number with ms, s, m or h, e.g. 90s or 30m`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`"${value}" is not a positive whole number`);
  return n;
}

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`"${value}" is not a whole number >= 0`);
  return n;
}

function regexes(flag: string, values: string[]): RegExp[] {
  return values.map((v) => {
    try {
      return new RegExp(v);
    } catch (err) {
      throw new UsageError(flag, `"${v}" is not a regular expression (${(err as Error).message})`, 'escape special characters, e.g. --focus "AlwaysVerify.*Never"');
    }
  });
}

export interface SelectionFlags {
  suite: string[];
  suiteFile: string[];
  kubelet: string[];
  kubernetes?: string;
  focus: string[];
  skip: string[];
  shard?: string;
  kubeletLimits?: string;
}

/** Makes `import ... from 'pullproof'` resolve to this checkout's library entry, wherever the suite file lives. */
async function registerLibraryResolution(): Promise<void> {
  const mod = await import('node:module');
  const entry = pathToFileURL(resolve(import.meta.dirname, '../index.ts')).href;
  const register = (mod as unknown as { registerHooks?: (h: unknown) => void }).registerHooks;
  register?.({
    resolve(specifier: string, context: unknown, next: (s: string, c: unknown) => unknown) {
      if (specifier === 'pullproof') return { url: entry, shortCircuit: true };
      return next(specifier, context);
    },
  });
}

async function loadSuiteFile(path: string): Promise<AnySuite[]> {
  const abs = isAbsolute(path) ? path : resolve(process.cwd(), path);
  if (!existsSync(abs)) throw new UsageError('--suite-file', `${abs} does not exist`, 'give the path of a .ts or .js file that exports a suite (see docs/writing-suites.md)');
  await registerLibraryResolution();
  let mod: Record<string, unknown>;
  try {
    mod = await import(pathToFileURL(abs).href) as Record<string, unknown>;
  } catch (err) {
    throw new UsageError('--suite-file', `${abs} could not be loaded: ${(err as Error).message}`, 'check the file compiles (TypeScript with erasable syntax only) and imports from "pullproof"');
  }
  const found = Object.values(mod).filter((v): v is AnySuite => typeof v === 'object' && v !== null && typeof (v as { name?: unknown }).name === 'string' && (typeof (v as { scenarios?: unknown }).scenarios === 'function' || Array.isArray((v as { scenarios?: unknown }).scenarios)));
  if (found.length === 0) throw new UsageError('--suite-file', `${abs} exports no suite`, 'export a suite made with defineSuite({ name, title, description, scenarios }) (default or named export)');
  return [...new Set(found)];
}

export async function selectSuites(f: Pick<SelectionFlags, 'suite' | 'suiteFile'>, fallback: string): Promise<AnySuite[]> {
  const { suites } = await import('../../suites/index.ts');
  const out: AnySuite[] = [];
  for (const file of f.suiteFile) out.push(...await loadSuiteFile(file));
  const names = f.suite.length ? f.suite : f.suiteFile.length ? [] : [fallback];
  for (const name of names) {
    if (name === 'all') {
      out.push(...Object.values(suites).filter((s) => (s as { inAll?: boolean }).inAll !== false && typeof (s as { scenarios?: unknown }).scenarios === 'function'));
      continue;
    }
    const s = suites[name];
    if (!s) throw new UsageError('--suite', `no suite named "${name}"`, `use one of: ${Object.keys(suites).join(', ')}, or all (see "pullproof list")`);
    out.push(s);
  }
  return [...new Map(out.map((s) => [s.name, s])).values()];
}

const LIMIT_NAMES = ['recordedSecretsLimit'] as const;

/** --kubelet-limits recordedSecretsLimit=1: limits a changed kubelet build hard-codes, for the oracle. */
export function parseLimits(text: string | undefined): { recordedSecretsLimit?: number } | undefined {
  if (!text) return undefined;
  const out: Record<string, number> = {};
  for (const part of text.split(',').map((x) => x.trim()).filter(Boolean)) {
    const [name, value] = part.split('=');
    if (!LIMIT_NAMES.includes(name as (typeof LIMIT_NAMES)[number])) throw new UsageError('--kubelet-limits', `no limit named "${name}"`, `use ${LIMIT_NAMES.join(', ')}, e.g. --kubelet-limits recordedSecretsLimit=1`);
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new UsageError('--kubelet-limits', `"${value}" is not a whole number for ${name}`, `e.g. --kubelet-limits ${name}=1`);
    out[name as string] = n;
  }
  return out;
}

export function selectKubelets(f: Pick<SelectionFlags, 'kubelet' | 'kubernetes'>): string[] {
  if (f.kubernetes) checkSupportedRelease(f.kubernetes, '--kubernetes');
  const list = f.kubelet.length ? f.kubelet : [f.kubernetes ?? DEFAULT_CONTROL_PLANE];
  for (const k of list) checkSupportedRelease(k, '--kubelet');
  return [...new Set(list)];
}

export async function parseShardFlag(text: string | undefined): Promise<Shard | undefined> {
  if (!text) return undefined;
  const { parseShard } = await import('../engine/plan.ts');
  return parseShard(text);
}

function expectation(s: PlannedScenario): string {
  if (s.status === 'not-applicable') return `not applicable: ${s.reason ?? ''}`;
  return outcomeText(s.prediction);
}

function outcomeText(p: Prediction): string {
  const base = `${p.outcome}${p.cause ? ` (${p.cause})` : ''}${p.reason ? `: ${p.reason}` : ''}`;
  const bug = p.knownBug ? ` [known bug kubernetes#${p.knownBug.issue}: ${p.knownBug.outcome}]` : '';
  return base + bug;
}

function ruleKey(p: Prediction): string {
  return p.rules.map((r) => `${r.id} (${r.section})`).join(' > ') || 'none';
}

export function formatPlan(plan: Plan, checkSuites: AnySuite[], o: { rules: boolean }): string {
  const lines: string[] = [];
  let current = '';
  for (const s of plan.scenarios) {
    const head = `${s.suite} on kubelet ${versionLabel(s.kubelet)}`;
    if (head !== current) {
      lines.push('', `${head}:`);
      current = head;
    }
    const many = s.containers !== undefined;
    lines.push(`  ${s.id}`, `    ${s.name}`, `    expect: ${many ? 'main: ' : ''}${expectation(s)}`);
    if (o.rules) lines.push(`    rules:  ${ruleKey(s.prediction)}`);
    for (const c of s.containers ?? []) {
      lines.push(`    ${c.kind} ${c.name} (${c.image}): ${outcomeText(c.prediction)}`);
      if (o.rules) lines.push(`      rules:  ${ruleKey(c.prediction)}`);
    }
  }
  for (const c of checkSuites) {
    const checks = (c as { scenarios: { name: string }[] }).scenarios;
    lines.push('', `${c.name} (harness self-checks, no cluster):`, ...checks.map((x) => `  - ${x.name}`));
  }
  const applicable = plan.scenarios.filter((s) => s.status === 'planned').length;
  lines.push('', `${plan.scenarios.length} scenario(s): ${applicable} to run, ${plan.scenarios.length - applicable} not applicable; ${plan.filteredOut} filtered out, ${plan.otherShards} in other shards.`);
  return lines.join('\n').trimStart() + '\n';
}

function selectionOptions(cmd: Command): Command {
  return cmd
    .option('--suite <name>', 'suite to use (repeatable; "all" for every conformance suite)', collect, [])
    .option('--suite-file <file>', 'load a suite from a file outside the repository (repeatable)', collect, [])
    .option('--kubelet <version>', 'kubelet version under test, e.g. v1.34.4 (repeatable)', collect, [])
    .option('--kubernetes <version>', `control plane and default kubelet version (default ${DEFAULT_CONTROL_PLANE}); built from source when missing`)
    .option('--focus <regexp>', 'only scenarios whose name or id matches (repeatable)', collect, [])
    .option('--skip <regexp>', 'leave out scenarios whose name or id matches (repeatable)', collect, [])
    .option('--shard <K/N>', 'run the K-th of N deterministic shards (by scenario id)')
    .option('--kubelet-limits <name=value,...>', `limits a changed kubelet build hard-codes, for the oracle: ${LIMIT_NAMES.join(', ')} (upstream 100)`);
}

export function registerRun(program: Command, defaultSuite: string): void {
  selectionOptions(program.command('list').description('print the expanded scenario matrix with each scenario\'s expected verdict and the rule behind it (no Docker, no cluster)'))
    .option('--json', 'print the plan as JSON')
    .option('--no-rules', 'leave out the rules')
    .action(async (o: SelectionFlags & { json?: boolean; rules: boolean }) => {
      const all = o.suite.length === 0 && o.suiteFile.length === 0;
      const suites = all ? Object.values((await import('../../suites/index.ts')).suites) : await selectSuites(o, defaultSuite);
      await printPlan(o, suites, o.json, o.rules);
    });

  program.command('suites').description('list the suites (see also "pullproof list")').action(async () => {
    const { suites } = await import('../../suites/index.ts');
    for (const s of Object.values(suites)) process.stdout.write(`${s.name}${s.name === defaultSuite ? ' (default)' : ''}: ${(s as { description: string }).description}\n`);
  });

  selectionOptions(program.command('run').description('run scenario suites on kind clusters and write the report (report.json, junit.xml, summary.md, index.html) to the report folder'))
    .addOption(new Option('--parallel <n>', 'scenarios at once within a kubelet configuration window').default(4).argParser(positiveInt))
    .addOption(new Option('--retries <n>', 'rebuild a failed scenario from scratch up to n times (a later pass is reported flaky)').default(0).argParser(nonNegativeInt))
    .addOption(new Option('--workers <n>', 'worker nodes per kubelet version (windows spread over them)').default(1).argParser(positiveInt))
    .option('--rerun-failed <report>', 'run again only what failed, erred or did not run in this report.json (or its folder)')
    .option('--dry-run', 'print the plan with each expected verdict and stop (no Docker, no cluster)')
    .option('--report-dir <dir>', 'report folder (default: reports/<time>-<suite>-<run id>)')
    .option('--keep', 'keep the run\'s containers, network and fence for debugging (remove later with "pullproof cleanup")')
    .option('--online', 'skip the egress fence (only where official images may be pulled)')
    .addOption(new Option('--timeout <duration>', 'stop, write a partial report and clean up after this long, e.g. 30m').argParser(parseDuration))
    .option('--registry-image <ref>', 'use an official registry image such as registry:3 instead of the one built from source (needs --online)')
    .option('--kubelet-binary <path>', 'the kubelet build under test (a release candidate, a fork): used for the release it reports, on every worker and kubelet swap of that release')
    .option('--kubernetes-source <dir>', 'build the kubelet under test from this Kubernetes source tree (a git checkout, or a release module zip unpacked: then give --kubelet vX.Y.Z)')
    .action(async (o: SelectionFlags & { parallel: number; retries: number; workers: number; rerunFailed?: string; dryRun?: boolean; reportDir?: string; keep?: boolean; online?: boolean; timeout?: number; registryImage?: string; kubeletBinary?: string; kubernetesSource?: string }) => {
      if (o.kubeletBinary && o.kubernetesSource) throw new UsageError('--kubelet-binary', 'give either --kubelet-binary or --kubernetes-source, not both', 'drop one of them');
      const limits = parseLimits(o.kubeletLimits);
      if (o.registryImage && !o.online) {
        throw new UsageError('--registry-image', 'pulling an official image needs a reachable registry, and the fence blocks all egress', 'add --online on hosts that can reach Docker Hub, or drop --registry-image to use the registry built from source');
      }
      let ids: Set<string> | undefined;
      let fromReport: { suites: string[]; kubelets: string[] } | undefined;
      if (o.rerunFailed) {
        const path = existsSync(resolve(o.rerunFailed, 'report.json')) ? resolve(o.rerunFailed, 'report.json') : resolve(o.rerunFailed);
        let report: { run?: { suites?: string[]; kubelets?: string[] }; scenarios?: { key: string; status: string }[] };
        try {
          report = JSON.parse(readFileSync(path, 'utf8')) as typeof report;
        } catch (err) {
          throw new UsageError('--rerun-failed', `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, 'give a report.json written by pullproof run, or its folder');
        }
        ids = new Set((report.scenarios ?? []).filter((s) => ['failed', 'error', 'not-run'].includes(s.status)).map((s) => s.key));
        fromReport = { suites: report.run?.suites ?? [], kubelets: report.run?.kubelets ?? [] };
        if (ids.size === 0) throw new UsageError('--rerun-failed', `${path} has no failed, erred or unrun scenario`, 'nothing to rerun: the run passed');
      }
      const suites = await selectSuites({ suite: o.suite.length ? o.suite : fromReport?.suites ?? [], suiteFile: o.suiteFile }, defaultSuite);
      const kubelets = selectKubelets({ kubelet: o.kubelet.length ? o.kubelet : fromReport?.kubelets ?? [], kubernetes: o.kubernetes });
      const focus = regexes('--focus', o.focus);
      const skip = regexes('--skip', o.skip);
      const shard = await parseShardFlag(o.shard);
      if (o.dryRun) {
        await printPlan(o, suites, false, true, ids);
        return;
      }
      let build: import('../build/under-test.ts').KubeletBuildUnderTest | undefined;
      if (o.kubeletBinary || o.kubernetesSource) {
        const ut = await import('../build/under-test.ts');
        build = o.kubeletBinary ? await ut.kubeletFromBinary(o.kubeletBinary) : await ut.kubeletFromSource(o.kubernetesSource as string, o.kubelet[0]);
        ut.useKubeletBuild(build);
        if (o.kubelet.length && !kubelets.includes(build.release)) {
          throw new UsageError(o.kubeletBinary ? '--kubelet-binary' : '--kubernetes-source', `the build reports ${build.release} (${build.reported}), which is not among --kubelet ${kubelets.join(', ')}`, `add --kubelet ${build.release}, or drop --kubelet to test the build alone`);
        }
        if (!o.kubelet.length) kubelets.splice(0, kubelets.length, build.release);
        process.stderr.write(`kubelet under test: ${build.reported}, sha256 ${build.sha256}${build.commit ? `, commit ${build.commit}` : ''} (${build.source} ${build.origin}), for ${build.release}\n`);
      }
      const { planSuites, isCheckSuite } = await import('../engine/suites.ts');
      const plan = planSuites({ suites, kubelets, focus, skip, shard, ids, limits });
      const checks = suites.filter(isCheckSuite);
      if (plan.scenarios.filter((s) => s.status === 'planned').length === 0 && checks.length === 0) {
        process.stderr.write(`nothing to run: ${plan.scenarios.length} scenario(s) selected, all not applicable (${plan.filteredOut} filtered out, ${plan.otherShards} in other shards)\n`);
        process.exitCode = 4;
        return;
      }
      const { runEngine } = await import('../engine/run.ts');
      const result = await runEngine({
        suites, kubelets, focus, skip, shard, ids, parallel: o.parallel, retries: o.retries, workersPerKubelet: o.workers,
        reportDir: o.reportDir, keep: o.keep, online: o.online, timeoutMs: o.timeout, registryImage: o.registryImage, command: process.argv.slice(2),
        limits, kubeletBuild: build,
      });
      process.stdout.write(`${result.reportDir}\n`);
      process.exitCode = result.exitCode;
    });
}

async function printPlan(o: SelectionFlags, suites: AnySuite[], json: boolean | undefined, rules: boolean, ids?: Set<string>): Promise<void> {
  const { planSuites, isCheckSuite } = await import('../engine/suites.ts');
  const kubelets = selectKubelets(o);
  const plan = planSuites({ suites, kubelets, focus: regexes('--focus', o.focus), skip: regexes('--skip', o.skip), shard: await parseShardFlag(o.shard), ids, limits: parseLimits(o.kubeletLimits) });
  const checks = suites.filter(isCheckSuite);
  if (json) {
    process.stdout.write(JSON.stringify({
      kubelets, scenarios: plan.scenarios.map((s) => ({ id: s.id, key: `${s.id}@${s.kubelet}`, suite: s.suite, kubelet: s.kubelet, name: s.name, labels: s.labels, status: s.status, reason: s.reason, expected: s.prediction, window: s.window })),
      expanded: plan.expanded, filteredOut: plan.filteredOut, otherShards: plan.otherShards,
    }, null, 2) + '\n');
    return;
  }
  process.stdout.write(formatPlan(plan, checks, { rules }));
}
