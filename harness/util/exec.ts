// All process spawning goes through here: arguments are quoted by zx, every command has a timeout,
// output is captured, and anything shown to the user (errors included) is redacted.
import { spawn } from 'node:child_process';
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
  readonly result: RunResult;
  constructor(result: RunResult) {
    super(
      `command failed (exit ${result.exitCode}): ${redact(result.command)}`,
      redact(tail(result.stderr || result.stdout)),
    );
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
  const shell = $({
    quiet: true,
    nothrow: true,
    timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    timeoutSignal: 'SIGKILL',
    input: options.input,
    env,
    cwd: options.cwd,
    signal: options.signal ? AbortSignal.any([options.signal, inflight.signal]) : inflight.signal,
    detached: true,
  });
  const out: ProcessOutput = await shell`${argv}`;
  const result: RunResult = {
    command: argv.join(' '),
    stdout: out.stdout,
    stderr: out.stderr,
    exitCode: out.exitCode ?? (out.signal ? 128 : 1),
    durationMs: performance.now() - t0,
  };
  if (result.exitCode !== 0 && !options.allowFailure) throw new CommandError(result);
  return result;
}

/** Runs and returns trimmed stdout. */
export async function output(argv: string[], options: RunOptions = {}): Promise<string> {
  return (await run(argv, options)).stdout.trim();
}

/** Runs a command whose stdout is binary (an image archive); throws with redacted stderr on failure. */
export async function outputBinary(argv: string[], options: { timeoutMs?: number } = {}): Promise<Buffer> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], signal: inflight.signal });
    const out: Buffer[] = [];
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new CommandError({ command: argv.join(' '), stdout: '', stderr: err, exitCode: code ?? 1, durationMs: performance.now() - t0 }));
    });
  });
}
