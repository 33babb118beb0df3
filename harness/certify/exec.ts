// Executes a credential provider plugin the way the kubelet does (exec, request on stdin, response
// on stdout, stderr captured, a time limit), and watches for what the kubelet cannot survive: a
// plugin that outlives the limit, or one whose direct child exits while a descendant still holds the
// stdout pipe (the kubelet's exec waits on that pipe forever). Unlike the kubelet, this kills the
// plugin's whole process group. This is the one place pullproof spawns a process outside
// harness/util/exec.ts: certify needs the exit and the pipe's close as separate events, which a
// run-to-completion helper cannot give.
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

export interface PluginExec {
  path: string;
  args: string[];
  env: Record<string, string>;
  stdin: string;
  timeoutMs: number;
  /** How long stdout may stay open after the plugin exited before it counts as held. Default 1000 ms. */
  holdGraceMs?: number;
}

export interface HeldBy {
  pid: number;
  command: string;
}

export interface ExecOutcome {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** From start to the plugin's exit (or to the kill). */
  durationMs: number;
  timedOut: boolean;
  /** Processes of the plugin's group still alive with stdout open after the plugin exited. */
  stdoutHeldBy?: HeldBy[];
  /** Whether certify had to kill the process group. */
  killedGroup: boolean;
  /** Spawning failed (not found, not executable). */
  spawnError?: string;
}

const MAX_CAPTURE = 4 << 20;

/** Processes whose process group is pgid (Linux /proc). */
export function processGroupMembers(pgid: number): HeldBy[] {
  const out: HeldBy[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const fields = stat.slice(close + 2).split(' ');
      // fields[0] = state, [1] = ppid, [2] = pgrp
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') out.push({ pid: Number(name), command: comm });
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // already gone
  }
}

export function execPlugin(o: PluginExec): Promise<ExecOutcome> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let outSize = 0;
    let errSize = 0;
    let exited: { code: number | null; signal: string | null; at: number } | undefined;
    let stdoutClosed = false;
    let stderrClosed = false;
    let timedOut = false;
    let killedGroup = false;
    let heldBy: HeldBy[] | undefined;
    let settled = false;
    let graceTimer: NodeJS.Timeout | undefined;

    let child;
    try {
      child = spawn(o.path, o.args, { env: o.env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (err) {
      resolve({ exitCode: null, signal: null, stdout: '', stderr: '', durationMs: 0, timedOut: false, killedGroup: false, spawnError: (err as Error).message });
      return;
    }
    const pgid = child.pid;

    const finish = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(graceTimer);
      resolve({
        exitCode: exited?.code ?? null,
        signal: exited?.signal ?? null,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        durationMs: (exited?.at ?? performance.now()) - t0,
        timedOut,
        stdoutHeldBy: heldBy,
        killedGroup,
      });
    };
    const maybeDone = (): void => {
      if (exited && stdoutClosed && stderrClosed) finish();
    };

    const timer = setTimeout(() => {
      if (exited) return;
      timedOut = true;
      killedGroup = true;
      if (pgid) killGroup(pgid);
    }, o.timeoutMs);

    child.on('error', (err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ exitCode: null, signal: null, stdout: '', stderr: '', durationMs: performance.now() - t0, timedOut: false, killedGroup: false, spawnError: err.message });
    });
    child.stdout.on('data', (c: Buffer) => {
      outSize += c.length;
      if (outSize <= MAX_CAPTURE) stdout.push(c);
    });
    child.stderr.on('data', (c: Buffer) => {
      errSize += c.length;
      if (errSize <= MAX_CAPTURE) stderr.push(c);
    });
    child.stdout.on('close', () => {
      stdoutClosed = true;
      maybeDone();
    });
    child.stderr.on('close', () => {
      stderrClosed = true;
      maybeDone();
    });
    child.on('exit', (code, signal) => {
      exited = { code, signal, at: performance.now() };
      if (stdoutClosed && stderrClosed) {
        finish();
        return;
      }
      graceTimer = setTimeout(() => {
        if (settled) return;
        if (!stdoutClosed || !stderrClosed) {
          heldBy = pgid ? processGroupMembers(pgid) : [];
          killedGroup = true;
          if (pgid) killGroup(pgid);
          // The pipes close once the holders are dead; do not wait on them forever.
          setTimeout(finish, 500).unref();
        }
      }, o.holdGraceMs ?? 1000);
    });
    child.stdin.on('error', () => { /* a plugin that never reads stdin closes it early: not our failure */ });
    child.stdin.end(o.stdin);
  });
}
