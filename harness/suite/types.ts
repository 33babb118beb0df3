// Suites are data: a list of scenarios, each named by a sentence a release engineer understands in a
// JUnit report, each run against the environment its suite asks for.
import type { Cluster, ClusterPlan } from '../cluster/provider.ts';
import type { RegistryStack } from '../registry/stack.ts';
import type { RunContext } from '../run/context.ts';

export interface Environment {
  run: RunContext;
  registry: RegistryStack;
  /** Present when the suite needs a cluster. */
  cluster?: Cluster;
}

export interface Measurement {
  name: string;
  value: number;
  unit: string;
  /** How it was measured and over how many samples. */
  how: string;
  samples: number;
}

export class ExpectationFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExpectationFailed';
  }
}

export interface ScenarioTools {
  readonly scenario: string;
  /** Fails the scenario unless cond holds: "expected <what>, observed <observed>". */
  expect(cond: boolean, what: string, observed: string): void;
  note(message: string): void;
  measure(m: Measurement): void;
  /** A name unique to this scenario (repositories, namespaces), so scenarios never share state. */
  unique(base: string): string;
}

export interface Scenario {
  name: string;
  timeoutMs?: number;
  run(env: Environment, t: ScenarioTools): Promise<void>;
}

export interface Suite {
  name: string;
  title: string;
  description: string;
  needs: ('registry' | 'cluster')[];
  /** The cluster the suite runs on, when it needs one. */
  cluster?: ClusterPlan;
  scenarios: Scenario[];
}

export type Status = 'passed' | 'failed' | 'error';

export interface ScenarioResult {
  name: string;
  status: Status;
  seconds: number;
  message?: string;
  notes: string[];
  measurements: Measurement[];
  requests: number;
}
