// How a long run (`pullproof run`, `pullproof bench latency`) stops: SIGINT, SIGTERM or SIGHUP, or its
// time limit, abort the run's signal and the commands under way, so the run writes a partial report and
// cleans up; a second signal exits at once and names `pullproof cleanup --run <id>`.
import { abortRunningCommands } from '../util/exec.ts';
import { warn } from '../util/log.ts';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export class RunStop {
  readonly controller = new AbortController();
  /** The signal that stopped the run, if one did. */
  interrupted?: NodeJS.Signals;
  timedOut = false;
  /** What infrastructure went away, when that stopped the run. */
  infraFailure?: string;
  private readonly timer?: NodeJS.Timeout;
  private readonly onSignal: (sig: NodeJS.Signals) => void;

  /** `what` names the run in the timeout message ("run", "bench"). */
  constructor(runId: string, o: { timeoutMs?: number; what: string }) {
    this.onSignal = (sig: NodeJS.Signals): void => {
      if (this.interrupted) {
        warn(`${sig} again: exiting without finishing; run "npx pullproof cleanup --run ${runId}" to remove what is left`);
        process.exit(sig === 'SIGINT' ? 130 : 143);
      }
      this.interrupted = sig;
      warn(`${sig}: stopping, writing a partial report and cleaning up (press Ctrl-C again to exit at once)`);
      this.abort(`interrupted by ${sig}`);
    };
    for (const s of SIGNALS) process.on(s, this.onSignal);
    if (o.timeoutMs) {
      const ms = o.timeoutMs;
      this.timer = setTimeout(() => {
        this.timedOut = true;
        warn(`${o.what} timeout of ${ms / 1000}s reached: stopping`);
        this.abort(`the ${o.what} timeout was reached`);
      }, ms);
      this.timer.unref();
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Aborts the run and every command under way. */
  abort(reason: string): void {
    this.controller.abort(reason);
    abortRunningCommands();
  }

  /** Stops the run because its infrastructure went away (exit 3). */
  failInfrastructure(message: string): void {
    if (this.infraFailure || this.interrupted) return;
    this.infraFailure = message;
    warn(`infrastructure failure: ${message}; stopping: scenarios not finished are not run, and the run exits 3`);
    this.abort(`infrastructure failure: ${message}`);
  }

  /** 130 or 143 when a signal stopped the run. */
  get signalExit(): number | undefined {
    return this.interrupted ? (this.interrupted === 'SIGINT' ? 130 : 143) : undefined;
  }

  /** Ends the time limit (the run's work is over; signals still stop it until detach()). */
  stopTimer(): void {
    clearTimeout(this.timer);
  }

  /** Removes the signal handlers and the timer. */
  detach(): void {
    for (const s of SIGNALS) process.off(s, this.onSignal);
    this.stopTimer();
  }
}
