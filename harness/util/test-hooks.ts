// The one test seam: hooks that tests install through their own entry point (test/helpers), never
// through an option or environment variable a user's run could set by accident. Empty in production.
export interface TestHooks {
  /** Called after a check scenario ran (a test may crash or fail it here). */
  afterScenario?: (name: string) => Promise<void>;
  /** Called when the judge has a verdict for an oracle scenario; may replace it (to produce a failing scenario on purpose). */
  overrideVerdict?: (scenario: string) => { status: 'failed'; message: string } | undefined;
  /** Called at the start of a named node-image build phase (a test may pause or interrupt there). */
  inPhase?: (name: string) => Promise<void>;
  /** Receives every registered secret at cleanup (a test scans output for leaks). */
  secretsAtCleanup?: (secrets: string[]) => void;
}

export const testHooks: TestHooks = {};
