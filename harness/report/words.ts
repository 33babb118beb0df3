// Outcomes in the words a release engineer uses, for the pages people read (the HTML report's cells and
// its first screen). The internal names (runs-cached, pull-fails, ...) stay in report.json, in the
// cells' data-outcome attribute and in their hover text.
import type { Outcome, PullFailureCause } from '../oracle/types.ts';
import type { ScenarioResult, ScenarioStatus } from './types.ts';

/** A scenario's status in plain words (the matrix picture's legend and hover text, the status filter). */
export const STATUS_WORDS: Record<ScenarioStatus, string> = {
  passed: 'passed', failed: 'failed', error: 'error', 'known-bug': 'known bug', flaky: 'flaky (passed on a retry)',
  'not-applicable': 'not applicable', 'not-run': 'not run', observed: 'observed, not judged',
};

const CAUSE: Record<PullFailureCause, string> = {
  denied: 'refused: the registry denied the pod\'s credentials',
  unreachable: 'refused: the registry could not be reached',
  'not-found': 'refused: the image is not in the registry',
  'no-credentials': 'refused: no credentials for the registry',
};

/** One outcome (and its cause) in plain words. */
export function plainOutcome(outcome: Outcome | string, cause?: PullFailureCause | string): string {
  switch (outcome) {
    case 'runs-cached': return 'runs from the node\'s cache';
    case 'reverifies-runs': return 're-verified at the registry, runs';
    case 'pulls-runs': return 'pulled, runs';
    case 'pull-fails': return CAUSE[cause as PullFailureCause] ?? 'refused: the pull failed';
    case 'never-pull': return 'refused without a pull (ErrImageNeverPull)';
    case 'not-started': return 'not started: an init container before it did not complete';
    case 'config-refused': return 'the kubelet refused its configuration';
    case 'kubelet-crashes': return 'the kubelet crashed';
    case 'not-applicable': return 'not applicable';
    default: return outcome;
  }
}

/** A scenario's expected outcome in plain words (a self-check says so). */
export function plainExpected(r: Pick<ScenarioResult, 'kind' | 'expected'>): string {
  if (r.kind === 'check') return 'self-check';
  return r.expected ? plainOutcome(r.expected.outcome, r.expected.cause) : '';
}
