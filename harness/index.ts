// The library entry point (`import { defineSuite } from 'pullproof'` in a suite file run with
// `pullproof run --suite-file`): everything a vendor or release engineer needs to write scenarios and to
// drive the engine from code, with no hidden set-up (the registry module disables testcontainers'
// reaper itself; cleanup is the run's).
export { defineSuite, expandAxes } from './engine/spec.ts';
export type {
  ImageSpec, KubeletSettingsSpec, PlanContext, PodSpec, ProviderSpec, RecordEdit, RepositoryKind, ScenarioSpec, SecretSpec,
  ServiceAccountSpec, Step, SuiteDefinition, UserSpec, WorldSpec,
} from './engine/spec.ts';
export { plan, planScenario, parseShard, runKey } from './engine/plan.ts';
export type { Plan, PlannedScenario } from './engine/plan.ts';
export { planSuites, isCheckSuite, type AnySuite } from './engine/suites.ts';
export { predict, predictConfiguration, mergeCredentials, allowlistMatches, allowlistEntryProblem, imageNameOf, normalizeImage, KNOWN_BUGS } from './oracle/index.ts';
export type * from './oracle/types.ts';
export { MINORS, TESTED_RELEASES, DEFAULT_CONTROL_PLANE, factsOf, gateOn, ENSURE_SECRET_PULLED_IMAGES, SA_TOKEN_FOR_CREDENTIAL_PROVIDERS } from './oracle/versions.ts';
export { pod, primedBy, privateImageWorld } from '../suites/lib.ts';
export type { Report, ScenarioResult, Observation } from './report/types.ts';

/** Runs suites end to end (clusters, registry, report); see EngineOptions. Loaded on first use. */
export async function run(o: import('./engine/run.ts').EngineOptions): Promise<import('./engine/run.ts').EngineResult> {
  const { runEngine } = await import('./engine/run.ts');
  return runEngine(o);
}
