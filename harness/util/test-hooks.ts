// The one test seam: hooks that tests install through their own entry point (test/helpers), never
// through an option or environment variable a user's run could set by accident. Empty in production:
// nothing under harness/ reads a PULLPROOF_TEST_* variable (test/test-seam.test.ts checks), and
// production code calls a hook only where one is set (`?.`).
import type { SecretSnapshot } from './secrets.ts';

export interface TestHooks {
  /** Called after a check scenario ran (a test may crash or fail it here). */
  afterScenario?: (name: string) => Promise<void>;
  /** Called when the judge has a verdict for an oracle scenario; may replace it (to produce a failing scenario on purpose). */
  overrideVerdict?: (scenario: string) => { status: 'failed'; message: string } | undefined;
  /**
   * Called at the end of every named phase (harness/util/log.ts `phase`: host setup, run network,
   * harness registry, report writing, the node-image build phases, ...), after the phase's work (so
   * what the phase starts exists), with the phase name as printed. A test may pause there until a
   * signal, to interrupt a run or a build at that point.
   */
  inPhase?: (name: string) => Promise<void>;
  /**
   * For an oracle scenario (by id): a pull secret of its pod under test created only once the kubelet
   * decided that pod's first attempt, so that attempt ran without it as it does when the node authorizer
   * lags (the engine must set it aside and judge the kubelet's next attempt).
   */
  lateSecret?: (scenarioId: string) => { secret: string } | undefined;
  /** Receives every registered secret when cleanup starts (a test scans output for leaks). */
  secretsAtCleanup?: (secrets: SecretSnapshot) => void;
}

export const testHooks: TestHooks = {};
