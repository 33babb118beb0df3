// Stage 1, plan: expand suites for each kubelet version under test, predict every scenario with the
// oracle (symbolic values: no Docker, no cluster), then filter (--focus/--skip by regular expression on
// name or id) and shard (--shard K/N, deterministic by id). The plan is data: `pullproof list` prints it,
// `run --dry-run` stops after it, the scheduler groups it into kubelet-configuration windows.
import { createHash } from 'node:crypto';
import type { KubeletModel, Prediction } from '../oracle/types.ts';

export type KubeletLimits = NonNullable<KubeletModel['limits']>;
import { UsageError } from '../errors.ts';
import { DEFAULT_CONTROL_PLANE, newest } from '../oracle/versions.ts';
import { ScenarioModel, isBarrier, planResolver, settingsPerScenario, type ContainerPrediction } from './model.ts';
import { podImageText, type ContainerKind, type ScenarioSpec, type Step, type SuiteDefinition } from './spec.ts';
import { ran } from './judge.ts';
import { SuiteError, checkScenarios, checkSuite, scenarioProblems, type SuiteProblem } from './validate.ts';

export interface SetupPrediction {
  /** Index in the scenario's setup steps. */
  step: number;
  /** The pod's container "main". */
  prediction: Prediction;
  /** Its other containers, for a pod with more than one. */
  containers?: PlannedContainer[];
}

/** A container of a pod besides "main", with the oracle's prediction for it. */
export interface PlannedContainer {
  kind: ContainerKind;
  name: string;
  /** The image as the scenario names it (img, img:v2, img@digest). */
  image: string;
  prediction: Prediction;
}

/** The pod's containers other than "main", for the plan (undefined for a single-container pod). */
export function otherContainers(all: readonly ContainerPrediction[]): PlannedContainer[] | undefined {
  const others = all.filter((c) => c.name !== 'main');
  return others.length ? others.map((c) => ({ kind: c.kind, name: c.name, image: podImageText(c.pod), prediction: c.prediction })) : undefined;
}

/** The prediction for a pod's container "main". */
export function mainPrediction(all: readonly ContainerPrediction[]): Prediction {
  const main = all.find((c) => c.name === 'main');
  if (!main) throw new Error('a pod without its container "main"');
  return main.prediction;
}

export interface PlannedScenario {
  /** suite/scenario id: stable across runs and versions. */
  id: string;
  suite: string;
  name: string;
  kubelet: string;
  labels: Record<string, string>;
  spec: ScenarioSpec;
  status: 'planned' | 'not-applicable';
  reason?: string;
  /** The oracle's prediction for the pod under test's container "main" (or the configuration's refusal). */
  prediction: Prediction;
  /** The pod under test's other containers (init, more containers, ephemeral), each predicted and judged. */
  containers?: PlannedContainer[];
  setup: SetupPrediction[];
  /** Scenarios with the same window share a kubelet configuration and its barriers, and run together. */
  window: string;
  exclusive: boolean;
  /** The oldest control plane the scenario can run under: the newest kubelet it swaps to (never newer than the API server). */
  controlPlane?: string;
  /** The kubelet limits the oracle was given (upstream values when absent). */
  limits?: KubeletLimits;
}

export interface Shard {
  index: number;
  total: number;
}

export interface PlanOptions {
  suites: SuiteDefinition[];
  kubelets: string[];
  focus?: RegExp[];
  skip?: RegExp[];
  shard?: Shard;
  /** Only these ids (from --rerun-failed). */
  ids?: Set<string>;
  /** Limits the kubelet under test hard-codes, when they differ from upstream (--kubelet-limits). */
  limits?: KubeletLimits;
}

export interface Plan {
  scenarios: PlannedScenario[];
  /** How many were expanded before filters and sharding. */
  expanded: number;
  filteredOut: number;
  otherShards: number;
}

/** Plans one scenario for one kubelet version. Throws when the suite is inconsistent (a setup pod that cannot run). */
export function planScenario(suite: SuiteDefinition, spec: ScenarioSpec, kubelet: string, limits?: KubeletLimits): PlannedScenario {
  const problems = scenarioProblems(spec);
  if (problems.length) throw new SuiteError(problems.map((p) => ({ suite: suite.name, scenario: spec.id, ...p })));
  return planChecked(suite, spec, kubelet, limits);
}

/** planScenario for a scenario already checked (plan() checks every scenario of every suite first). */
function planChecked(suite: SuiteDefinition, spec: ScenarioSpec, kubelet: string, limits?: KubeletLimits): PlannedScenario {
  const id = `${suite.name}/${spec.id}`;
  const key = createHash('sha256').update(id).digest('hex').slice(0, 8);
  const model = new ScenarioModel(spec, kubelet, planResolver(key), limits);
  const barriers: Step[] = (spec.setup ?? []).filter(isBarrier);
  const exclusive = !!spec.exclusive;
  const own = settingsPerScenario(spec.kubelet) || barriers.some((b) => 'kubelet' in b && settingsPerScenario(b.kubelet));
  // An exclusive scenario owns its window: its faults must not meet another scenario's steps.
  const window = JSON.stringify({ kubelet, settings: spec.kubelet, barriers, exclusive, ...(own || exclusive ? { scenario: id } : {}) });
  const swaps = (spec.setup ?? []).flatMap((st) => ('swapKubelet' in st ? [st.swapKubelet] : []));
  const controlPlane = swaps.length ? newest([kubelet, ...swaps]) : undefined;
  const base = { id, suite: suite.name, name: spec.name, kubelet, labels: spec.labels ?? {}, spec, window, exclusive, ...(controlPlane ? { controlPlane } : {}), ...(limits ? { limits } : {}) };
  const setup: SetupPrediction[] = [];
  const refusal = model.configuration();
  if (refusal) {
    return { ...base, status: refusal.outcome === 'not-applicable' ? 'not-applicable' : 'planned', reason: refusal.reason, prediction: refusal, setup };
  }
  for (const [i, step] of (spec.setup ?? []).entries()) {
    if ('pod' in step) {
      const all = model.predictPod(step.pod);
      const na = all.find((c) => c.prediction.outcome === 'not-applicable');
      if (na) return { ...base, status: 'not-applicable', reason: `setup: ${na.prediction.reason ?? 'not applicable'}`, prediction: na.prediction, setup };
      const stuck = all.find((c) => !ran(c.prediction.outcome));
      if (stuck) {
        const p = stuck.prediction;
        const pods = (spec.setup ?? []).filter((x) => 'pod' in x);
        throw new SuiteError([{
          suite: suite.name, scenario: spec.id, path: `setup[${i}]`,
          problem: `on ${kubelet}, setup step ${i + 1} (setup pod ${pods.indexOf(step) + 1} of ${pods.length}${all.length > 1 ? `, container ${stuck.name}` : ''}) is predicted to end in ${p.outcome} (${p.rules.map((r) => r.id).join(' > ')}), and setup pods must run`,
          fix: 'give the setup pod what it needs to run (a secret of a user that may pull the image, or an image it can pull), or make it the pod under test; "pullproof list --json" shows the rules',
        }]);
      }
      const containers = otherContainers(all);
      setup.push({ step: i, prediction: mainPrediction(all), ...(containers ? { containers } : {}) });
      model.applyContainers(all);
      continue;
    }
    model.applyStep(step);
    if ('kubelet' in step || 'swapKubelet' in step) {
      const r = model.configuration();
      if (r) return { ...base, status: r.outcome === 'not-applicable' ? 'not-applicable' : 'planned', reason: r.reason, prediction: r, setup };
    }
  }
  const all = model.predictPod(spec.act);
  const prediction = mainPrediction(all);
  const containers = otherContainers(all);
  const na = all.find((c) => c.prediction.outcome === 'not-applicable')?.prediction;
  return { ...base, status: na ? 'not-applicable' : 'planned', reason: (na ?? prediction).reason, prediction, ...(containers ? { containers } : {}), setup };
}

function shardOf(id: string, sorted: string[], total: number): number {
  return sorted.indexOf(id) % total;
}

/** Parses "K/N" (1-based K). */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(m?.[1]);
  const total = Number(m?.[2]);
  if (!m || total < 1 || index < 1 || index > total) throw new UsageError('--shard', `"${text}" is not K/N with 1 <= K <= N`, 'write e.g. --shard 2/4 for the second of four shards');
  return { index, total };
}

/** A suite's scenarios for one kubelet, checked (problems collected into `problems`; none returned then). */
function scenariosOf(suite: SuiteDefinition, kubelet: string, problems: SuiteProblem[]): ScenarioSpec[] {
  let specs: unknown;
  try {
    specs = suite.scenarios({ kubelet });
  } catch (err) {
    problems.push({ suite: suite.name, path: 'scenarios()', problem: `threw for ${kubelet}: ${(err as Error).message}`, fix: 'make scenarios() return the list of scenarios for any kubelet version' });
    return [];
  }
  if (!Array.isArray(specs)) {
    problems.push({ suite: suite.name, path: 'scenarios()', problem: `returned ${specs === undefined ? 'nothing' : typeof specs}, not a list`, fix: 'return an array of scenarios (expandAxes returns one)' });
    return [];
  }
  const mark = problems.length;
  checkScenarios(suite, specs, problems);
  return problems.length > mark ? [] : specs as ScenarioSpec[];
}

export function plan(o: PlanOptions): Plan {
  const problems: SuiteProblem[] = [];
  const expanded: { suite: SuiteDefinition; kubelet: string; specs: ScenarioSpec[] }[] = [];
  for (const suite of o.suites) {
    // A suite that names its own kubelets (upgrade chains) is planned once, whatever --kubelet says.
    const kubelets = suite.ownKubelets ? [o.kubelets[0] ?? DEFAULT_CONTROL_PLANE] : o.kubelets;
    // A suite whose own fields are wrong (scenarios() not a function, ...) is not asked for scenarios.
    if (!checkSuite(suite, problems)) continue;
    for (const kubelet of kubelets) expanded.push({ suite, kubelet, specs: scenariosOf(suite, kubelet, problems) });
  }
  // Every mistake in every suite is reported at once, before anything is planned or started.
  if (problems.length) throw new SuiteError(problems);
  const all: PlannedScenario[] = [];
  for (const { suite, kubelet, specs } of expanded) {
    for (const spec of specs) all.push(planChecked(suite, spec, spec.startKubelet ?? kubelet, o.limits));
  }
  const matches = (s: PlannedScenario, re: RegExp): boolean => re.test(s.name) || re.test(s.id);
  const kept = all.filter((s) => (!o.focus?.length || o.focus.some((re) => matches(s, re))) && !o.skip?.some((re) => matches(s, re)) && (!o.ids || o.ids.has(runKey(s))));
  let scenarios = kept;
  if (o.shard && o.shard.total > 1) {
    // Deterministic and balanced: order by a hash of the id, deal round-robin.
    const hash = (s: PlannedScenario): string => createHash('sha256').update(runKey(s)).digest('hex');
    const sorted = [...kept].sort((a, b) => hash(a).localeCompare(hash(b))).map(runKey);
    const shard = o.shard;
    scenarios = kept.filter((s) => shardOf(runKey(s), sorted, shard.total) === shard.index - 1);
  }
  return { scenarios, expanded: all.length, filteredOut: all.length - kept.length, otherShards: kept.length - scenarios.length };
}

/** A scenario on one kubelet: the key reports use (the same id runs once per kubelet version). */
export function runKey(s: { id: string; kubelet: string }): string {
  return `${s.id}@${s.kubelet}`;
}
