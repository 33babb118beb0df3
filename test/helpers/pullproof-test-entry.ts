// The test entry point: the tests spawn this instead of bin/pullproof.js when they need the test seam
// (harness/util/test-hooks.ts). It reads the test's instructions from PULLPROOF_TEST_* variables and
// installs hooks, then runs the CLI. A user's `npx pullproof` never loads this file, so no variable a
// user sets can turn these on.
import { testHooks } from '../../harness/util/test-hooks.ts';
import { ExpectationFailed } from '../../harness/suite/types.ts';

const crashIn = process.env.PULLPROOF_TEST_CRASH_IN_SCENARIO;
const failIn = process.env.PULLPROOF_TEST_FAIL_SCENARIO;

testHooks.afterScenario = async (name: string): Promise<void> => {
  if (crashIn && name.includes(crashIn)) {
    // An error nobody catches, to prove cleanup (and the partial report) survive a crash.
    setImmediate(() => {
      throw new Error('deliberate crash (test seam)');
    });
    await new Promise((r) => setTimeout(r, 60_000));
  }
  if (failIn && name.includes(failIn)) throw new ExpectationFailed('deliberately failed by the test seam (a test of the failure path)');
};
testHooks.overrideVerdict = (name: string) => (failIn && name.includes(failIn) ? { status: 'failed', message: 'deliberately failed by the test seam (a test of the failure path)' } : undefined);

const { main } = await import('../../harness/cli/main.ts');
process.exitCode = await main(process.argv);
