// All process spawning goes through here: arguments are quoted by zx, every command has a timeout,
// output is captured, and anything shown to the user (errors included) is redacted.
import { $, type ProcessOutput } from 'zx';
import { HarnessError } from '../errors.ts';
import { redact } from './secrets.ts';

export interface RunOptions {
  /** Milliseconds; the process (and its group) is killed after this. */
  timeoutMs?: number;
  input?: string | Buffer;
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Resolve with the result instead of throwing on a non-zero exit. */
  allowFailure?: boolean;
  signal?: AbortSignal;
}

export interface RunResult {
  command: string;
  stdout: string;
  stderr: string;
  exitCode: number;
  durationMs: number;
  /** Killed because it ran past its time limit (milliseconds). */
  timedOutAfterMs?: number;
}

const DEFAULT_TIMEOUT_MS = 120_000;

// Commands in flight are killed when the run is interrupted; cleanup then runs with a fresh signal.
let inflight = new AbortController();

/** Kills every command started so far (used on Ctrl-C, crash and timeout, before cleanup). */
export function abortRunningCommands(): void {
  inflight.abort();
  inflight = new AbortController();
}

function tail(text: string, lines = 30): string {
  const all = text.trimEnd().split('\n');
  return all.slice(-lines).join('\n');
}

export class CommandError extends HarnessError {
  /** The command's result, redacted: an error travels into logs and reports, so it never holds raw output. */
  readonly result: RunResult;
  constructor(raw: RunResult) {
    const result: RunResult = { ...raw, command: redact(raw.command), stdout: redact(raw.stdout), stderr: redact(raw.stderr) };
    const why = result.timedOutAfterMs !== undefined ? `timed out after ${result.timedOutAfterMs < 10_000 ? (result.timedOutAfterMs / 1000).toFixed(1) : Math.round(result.timedOutAfterMs / 1000)}s and was killed` : `failed (exit ${result.exitCode})`;
    super(`command ${why}: ${result.command}`, tail(result.stderr || result.stdout));
    this.name = 'CommandError';
    this.result = result;
  }
  override toString(): string {
    return `${this.message}\n${this.detail ?? ''}`;
  }
}

export async function run(argv: string[], options: RunOptions = {}): Promise<RunResult> {
  const t0 = performance.now();
  const env = { ...process.env, ...options.env } as Record<string, string>;
  // zx runs every command through `bash -c` with a socket as stdin. Debian's bash then reads ~/.bashrc
  // when SHLVL is unset or 0 (its "started by sshd" rule), as it is under cron, systemd, setsid and many
  // CI runners: a .bashrc that runs `pyenv init` stalled commands for 60 s on pyenv's lock. SHLVL >= 1
  // keeps the shell non-interactive and quiet.
  if (!(Number(env.SHLVL) >= 1)) env.SHLVL = '1';
  const limit = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const shell = $({
    quiet: true,
    nothrow: true,
    timeout: limit,
    timeoutSignal: 'SIGKILL',
    input: options.input,
    env,
    cwd: options.cwd,
    detached: true,
  });
  // On abort, kill the whole process tree and group, not only the direct child: zx runs argv through a
  // shell, and a bare signal to that shell would orphan the real program (e.g. `kind create` went on
  // creating node containers after Ctrl-C had already run `kind delete`).
  const signal = options.signal ? AbortSignal.any([options.signal, inflight.signal]) : inflight.signal;
  const child = shell`${argv}`;
  const onAbort = (): void => {
    // The group at once (synchronously, before cleanup starts its own commands), then the tree.
    if (child.pid) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch { /* already gone */ }
    }
    child.kill('SIGKILL').catch(() => { /* already gone */ });
  };
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  let out: ProcessOutput;
  try {
    out = await child;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  const result: RunResult = {
    command: argv.join(' '),
    stdout: out.stdout,
    stderr: out.stderr,
    exitCode: out.exitCode ?? (out.signal ? 128 : 1),
    durationMs: performance.now() - t0,
  };
  // zx kills a command at its limit with SIGKILL; say so instead of a bare exit code.
  if (out.signal === 'SIGKILL' && result.durationMs >= limit - 50 && !signal.aborted) result.timedOutAfterMs = limit;
  if (result.exitCode !== 0 && !options.allowFailure) throw new CommandError(result);
  return result;
}

/** Runs and returns trimmed stdout. */
export async function output(argv: string[], options: RunOptions = {}): Promise<string> {
  return (await run(argv, options)).stdout.trim();
}
