// Executes a credential provider plugin the way the kubelet does: started as Go's os/exec starts it
// (through pullproof-reaper: fork and execve, no shell fallback, so a script without "#!" fails with
// "exec format error" exactly as in the kubelet), the request on stdin, stdout read whole, stderr
// captured, a time limit. It also watches for what the kubelet cannot survive: a plugin that outlives
// the limit, or one that exits while a descendant still holds stdout (the kubelet's exec waits on
// that pipe). The reaper is a child subreaper, so every descendant, also one that left the process
// group or the session, is found and ended: nothing the plugin started outlives the call, and the
// outcome names what was ended. This is the one place pullproof spawns a process outside
// harness/util/exec.ts: certify needs the exit and the pipes' close as separate events.
import { spawn } from 'node:child_process';
import type { Duplex } from 'node:stream';
import { ensureReaper } from './reaper/build.ts';

export interface PluginExec {
  path: string;
  args: string[];
  env: Record<string, string>;
  stdin: string;
  timeoutMs: number;
  /** How long stdout may stay open after the plugin exited before it counts as held. Default 1000 ms. */
  holdGraceMs?: number;
  /**
   * At the time limit: end everything (default), or first end only the program's descendants and give
   * the program itself this many milliseconds to finish on its own (the kubelet judge, whose plugin
   * hangs: once the plugin is gone, the kubelet's code returns and the judge can answer).
   */
  descendantsFirstMs?: number;
}

/** A process certify ended after (or instead of) the plugin's own exit. */
export interface EndedProcess {
  pid: number;
  command: string;
  /** It had left the plugin's process group (setsid/setpgid): a process-group kill would have missed it. */
  leftGroup: boolean;
  leftSession: boolean;
  heldStdout: boolean;
  heldStderr: boolean;
  /** The plugin's own process (only after a timeout). */
  wasProgram: boolean;
}

export interface ExecOutcome {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** From start to the plugin's exit (or to the kill), measured by the reaper. */
  durationMs: number;
  timedOut: boolean;
  /** Processes that still held stdout after the plugin exited. */
  stdoutHeldBy?: EndedProcess[];
  /** Every process certify had to end (descendants left running, or the plugin itself on a timeout). */
  ended: EndedProcess[];
  /** Starting failed, in Go's words (e.g. "fork/exec /path: exec format error"). */
  spawnError?: string;
  /** stdout or stderr was longer than certify keeps (MAX_STDOUT / MAX_STDERR); never silently. */
  truncated?: { stdoutBytes: number; stderrBytes: number };
}

/** The kubelet reads stdout whole; certify keeps this much, and says so when a plugin prints more. */
export const MAX_STDOUT = 256 << 20;
const MAX_STDERR = 16 << 20;

interface ReaperEvent {
  e: 'started' | 'start-error' | 'exited' | 'swept' | 'end';
  pid?: number;
  error?: string;
  code?: number | null;
  signal?: string | null;
  ms?: number;
  partial?: boolean;
  processes?: EndedProcess[];
}

/** Go's signal names ("killed", "segmentation fault") as Node's ("SIGKILL", "SIGSEGV"). */
const GO_SIGNALS: Record<string, string> = {
  killed: 'SIGKILL', 'segmentation fault': 'SIGSEGV', aborted: 'SIGABRT', terminated: 'SIGTERM', interrupt: 'SIGINT',
  hangup: 'SIGHUP', 'broken pipe': 'SIGPIPE', 'bus error': 'SIGBUS', 'floating point exception': 'SIGFPE', 'illegal instruction': 'SIGILL', quit: 'SIGQUIT',
  'user defined signal 1': 'SIGUSR1', 'user defined signal 2': 'SIGUSR2', 'alarm clock': 'SIGALRM', 'trace/breakpoint trap': 'SIGTRAP',
};

export async function execPlugin(o: PluginExec): Promise<ExecOutcome> {
  const reaper = await ensureReaper();
  return new Promise((resolve) => {
    const t0 = performance.now();
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let outSize = 0;
    let errSize = 0;
    let exited: { code: number | null; signal: string | null; ms: number } | undefined;
    let spawnError: string | undefined;
    let stdoutClosed = false;
    let stderrClosed = false;
    let timedOut = false;
    let held = false;
    let doneSent = false;
    let settled = false;
    const ended: EndedProcess[] = [];
    let graceTimer: NodeJS.Timeout | undefined;
    let backstop: NodeJS.Timeout | undefined;

    const child = spawn(reaper, ['--', o.path, ...o.args], { env: o.env, detached: true, stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
    const ctl = child.stdio[3] as Duplex;

    const finish = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(graceTimer);
      clearTimeout(backstop);
      // Whatever happens, nothing of this call may keep certify's event loop alive.
      for (const s of [child.stdin, child.stdout, child.stderr, ctl]) s.destroy();
      const truncated = outSize > MAX_STDOUT || errSize > MAX_STDERR ? { stdoutBytes: outSize, stderrBytes: errSize } : undefined;
      resolve({
        exitCode: exited?.code ?? null,
        signal: exited?.signal ? (GO_SIGNALS[exited.signal] ?? exited.signal) : null,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        durationMs: exited?.ms ?? performance.now() - t0,
        timedOut,
        ...(held ? { stdoutHeldBy: ended.filter((p) => p.heldStdout || p.heldStderr) } : {}),
        ended,
        ...(spawnError ? { spawnError } : {}),
        ...(truncated ? { truncated } : {}),
      });
    };
    const done = (): void => {
      if (doneSent) return;
      doneSent = true;
      ctl.write('done\n');
      // The reaper answers within milliseconds; if it cannot, end its group and stop waiting.
      backstop = setTimeout(() => {
        try {
          if (child.pid) process.kill(-child.pid, 'SIGKILL');
        } catch { /* gone */ }
        finish();
      }, 10_000);
    };
    const pipesClosed = (): void => {
      if (exited && stdoutClosed && stderrClosed) done();
    };

    const timer = setTimeout(() => {
      if (exited || spawnError) return;
      timedOut = true;
      if (o.descendantsFirstMs === undefined) {
        done();
        return;
      }
      ctl.write('sweep\n');
      graceTimer = setTimeout(done, o.descendantsFirstMs);
    }, o.timeoutMs);

    let buffered = '';
    ctl.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        let ev: ReaperEvent;
        try {
          ev = JSON.parse(line) as ReaperEvent;
        } catch {
          continue;
        }
        if (ev.e === 'start-error') {
          spawnError = ev.error ?? 'could not be started';
          done();
        } else if (ev.e === 'exited') {
          exited = { code: ev.code ?? null, signal: ev.signal ?? null, ms: ev.ms ?? performance.now() - t0 };
          clearTimeout(graceTimer);
          if (stdoutClosed && stderrClosed) {
            done();
          } else {
            graceTimer = setTimeout(() => {
              if (!stdoutClosed || !stderrClosed) held = true;
              done();
            }, o.holdGraceMs ?? 1000);
          }
        } else if (ev.e === 'swept') {
          ended.push(...(ev.processes ?? []));
        }
        // 'end': every holder was ended, so the pipes close; the child's 'close' (all stdio drained) finishes.
      }
    });
    ctl.on('error', () => { /* the reaper died: 'close' below ends the call */ });
    child.on('error', (err) => {
      spawnError = `cannot start pullproof-reaper: ${err.message}`;
      finish();
    });
    child.on('close', () => finish());
    child.stdout.on('data', (c: Buffer) => {
      outSize += c.length;
      if (outSize <= MAX_STDOUT) stdout.push(c);
    });
    child.stderr.on('data', (c: Buffer) => {
      errSize += c.length;
      if (errSize <= MAX_STDERR) stderr.push(c);
    });
    child.stdout.on('close', () => {
      stdoutClosed = true;
      pipesClosed();
    });
    child.stderr.on('close', () => {
      stderrClosed = true;
      pipesClosed();
    });
    child.stdin.on('error', () => { /* a plugin that never reads stdin closes it early: not our failure */ });
    child.stdin.end(o.stdin);
  });
}
