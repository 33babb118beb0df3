// What a suite is to the engine, and planning without loading the executor (so `pullproof list` and
// `run --dry-run` stay fast and need no Docker).
import type { Suite as CheckSuite } from '../suite/types.ts';
import { plan as makePlan, type KubeletLimits, type Plan, type Shard } from './plan.ts';
import type { SuiteDefinition } from './spec.ts';

export type AnySuite = SuiteDefinition | CheckSuite;

export function isCheckSuite(s: AnySuite): s is CheckSuite {
  return Array.isArray((s as CheckSuite).scenarios);
}

/** Plans oracle suites (pure): used by run, list and --dry-run. */
export function planSuites(o: { suites: AnySuite[]; kubelets: string[]; focus?: RegExp[]; skip?: RegExp[]; shard?: Shard; ids?: Set<string>; limits?: KubeletLimits }): Plan {
  const oracle = o.suites.filter((s): s is SuiteDefinition => !isCheckSuite(s));
  return makePlan({ suites: oracle, kubelets: o.kubelets, focus: o.focus, skip: o.skip, shard: o.shard, ids: o.ids, limits: o.limits });
}
