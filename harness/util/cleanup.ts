// Everything the harness starts registers its undo here the moment it exists. Cleanup runs in reverse
// order on success, failure, Ctrl-C, SIGTERM, an uncaught error or the run's timeout; each step has
// its own time limit and one failing step does not stop the others. `--keep` skips it for debugging.
import { abortRunningCommands } from './exec.ts';
import { secretSnapshot } from './secrets.ts';
import { log, warn } from './log.ts';
import { testHooks } from './test-hooks.ts';

interface Step {
  name: string;
  fn: () => Promise<void>;
}

export interface CleanupOutcome {
  name: string;
  ok: boolean;
  error?: string;
  seconds: number;
}

const STEP_TIMEOUT_MS = 120_000;

export class Cleanup {
  private steps: Step[] = [];
  private running?: Promise<CleanupOutcome[]>;
  keep = false;

  /** Registers an undo step; returns a function that runs it early (and removes it). */
  defer(name: string, fn: () => Promise<void>): () => Promise<void> {
    const step = { name, fn };
    this.steps.push(step);
    return async () => {
      this.steps = this.steps.filter((s) => s !== step);
      await fn();
    };
  }

  get pending(): string[] {
    return this.steps.map((s) => s.name);
  }

  async runAll(): Promise<CleanupOutcome[]> {
    this.running ??= this.execute();
    return this.running;
  }

  private async execute(): Promise<CleanupOutcome[]> {
    testHooks.secretsAtCleanup?.(secretSnapshot());
    const outcomes: CleanupOutcome[] = [];
    if (this.keep) {
      if (this.steps.length > 0) {
        log(`--keep: leaving ${this.steps.length} resources in place: ${this.steps.map((s) => s.name).join(', ')}`);
        log('remove them later with: npx pullproof cleanup');
      }
      this.steps = [];
      return outcomes;
    }
    while (this.steps.length > 0) {
      const step = this.steps.pop() as Step;
      const t0 = performance.now();
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          step.fn(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`timed out after ${STEP_TIMEOUT_MS / 1000}s`)), STEP_TIMEOUT_MS);
          }),
        ]);
        outcomes.push({ name: step.name, ok: true, seconds: (performance.now() - t0) / 1000 });
      } catch (err) {
        const message = (err as Error).message;
        warn(`cleanup of ${step.name} failed: ${message}`);
        outcomes.push({ name: step.name, ok: false, error: message, seconds: (performance.now() - t0) / 1000 });
      } finally {
        clearTimeout(timer);
      }
    }
    return outcomes;
  }
}

/**
 * Makes Ctrl-C, SIGTERM, SIGHUP and crashes clean up before exiting. A second Ctrl-C exits at once
 * (and says how to remove what is left).
 */
export function cleanupOnExit(cleanup: Cleanup): () => void {
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    const code = signal === 'SIGINT' ? 130 : signal === 'SIGTERM' ? 143 : 129;
    if (interrupted) {
      warn(`${signal} again: exiting without finishing cleanup; run "npx pullproof cleanup" to remove leftovers`);
      process.exit(code);
    }
    interrupted = true;
    warn(`${signal}: stopping and cleaning up (press Ctrl-C again to exit at once)`);
    abortRunningCommands();
    void cleanup.runAll().finally(() => process.exit(code));
  };
  const onCrash = (err: unknown): void => {
    warn(`unexpected error: ${(err as Error)?.stack ?? String(err)}`);
    abortRunningCommands();
    void cleanup.runAll().finally(() => process.exit(1));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onCrash);
  };
}
