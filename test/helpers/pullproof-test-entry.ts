// The test entry point: the tests spawn this instead of bin/pullproof.js when they need the test seam
// (harness/util/test-hooks.ts). It reads the test's instructions from PULLPROOF_TEST_* variables and
// installs hooks, then runs the CLI. A user's `npx pullproof` never loads this file, so no variable a
// user sets can turn these on.
//
//   PULLPROOF_TEST_CRASH_IN_SCENARIO=<text>   an uncaught error after the check scenario whose name contains the text
//   PULLPROOF_TEST_FAIL_SCENARIO=<text>       the scenario whose name contains the text fails on purpose
//   PULLPROOF_TEST_PAUSE_IN_PHASE=<phase>     the named phase (as printed after "> ", or its first words) stops at the end of its work until
//                                             SIGINT/SIGTERM/SIGHUP, then fails the way a phase whose command was
//                                             killed by the interruption does
//   PULLPROOF_TEST_LATE_SECRET=<id>:<secret>[,...] the pull secret <secret> of the pod under test of scenario <id> is created
//                                             only once the kubelet decided that pod's first attempt (an induced node authorizer lag)
//   PULLPROOF_TEST_SECRETS_FILE=<file>        every registered secret is written there (JSON SecretSnapshot, mode
//                                             0600) when cleanup starts and again at exit
import { writeFileSync } from 'node:fs';
import { log } from '../../harness/util/log.ts';
import { secretSnapshot, type SecretSnapshot } from '../../harness/util/secrets.ts';
import { testHooks } from '../../harness/util/test-hooks.ts';
import { ExpectationFailed } from '../../harness/suite/types.ts';

const crashIn = process.env.PULLPROOF_TEST_CRASH_IN_SCENARIO;
const failIn = process.env.PULLPROOF_TEST_FAIL_SCENARIO;
const pauseIn = process.env.PULLPROOF_TEST_PAUSE_IN_PHASE;
const secretsFile = process.env.PULLPROOF_TEST_SECRETS_FILE;
const lateSecrets = new Map((process.env.PULLPROOF_TEST_LATE_SECRET ?? '').split(',').filter(Boolean).map((e) => e.split(':') as [string, string]));

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

if (lateSecrets.size) {
  testHooks.lateSecret = (id: string) => {
    const secret = lateSecrets.get(id);
    return secret ? { secret } : undefined;
  };
}

if (pauseIn) {
  testHooks.inPhase = async (phase: string): Promise<void> => {
    // The phase as printed, or its first words (phases such as "kind cluster <name>" name the run).
    if (phase !== pauseIn && !phase.startsWith(`${pauseIn} `)) return;
    log(`test seam: paused in phase "${phase}"`);
    // Until a signal: the run's own handlers (installed earlier, so they run first) mark the run
    // interrupted and start cleanup; the phase then fails as if its command had been killed. A ref'd
    // timer keeps the event loop alive meanwhile (a bare pending promise would let Node exit).
    const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
    await new Promise<void>((_, reject) => {
      const keepAlive = setInterval(() => { /* waiting for a signal */ }, 60_000);
      const onSignal = (sig: NodeJS.Signals): void => {
        clearInterval(keepAlive);
        for (const s of signals) process.off(s, onSignal);
        reject(new Error(`${sig} while paused in phase "${phase}" (test seam)`));
      };
      for (const s of signals) process.on(s, onSignal);
    });
  };
}

if (secretsFile) {
  const dump = (s: SecretSnapshot): void => writeFileSync(secretsFile, JSON.stringify(s), { mode: 0o600 });
  testHooks.secretsAtCleanup = dump;
  // Secrets registered after cleanup started (none today) would be missed by the hook alone.
  process.on('exit', () => dump(secretSnapshot()));
}

const { main } = await import('../../harness/cli/main.ts');
process.exitCode = await main(process.argv);
