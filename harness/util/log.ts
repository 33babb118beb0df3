// Progress output: named phases with elapsed time, a heartbeat on long phases, everything redacted.
// Lines go to stderr (stdout is kept for machine-readable output) and to an optional log file.
import { appendFileSync } from 'node:fs';
import { redact } from './secrets.ts';
import { testHooks } from './test-hooks.ts';

let logFile: string | undefined;
let heartbeatMs = 15_000;
const startedAt = Date.now();

export function setLogFile(path: string | undefined): void {
  logFile = path;
}

export function setHeartbeat(ms: number): void {
  heartbeatMs = ms;
}

function stamp(): string {
  return `[${((Date.now() - startedAt) / 1000).toFixed(1).padStart(6)}s]`;
}

let statusLine: string | undefined;

/** A status line kept at the bottom of a terminal (redrawn after every log line); undefined removes it. */
export function setStatusLine(text: string | undefined): void {
  const columns = process.stderr.columns || 120;
  if (statusLine !== undefined || text !== undefined) process.stderr.write('\r\x1b[2K');
  statusLine = text === undefined ? undefined : redact(text).slice(0, columns - 1);
  if (statusLine !== undefined) process.stderr.write(statusLine);
}

export function log(message: string): void {
  const line = `${stamp()} ${redact(message)}`;
  if (statusLine !== undefined) process.stderr.write('\r\x1b[2K');
  process.stderr.write(line + '\n');
  if (statusLine !== undefined) process.stderr.write(statusLine);
  if (logFile) appendFileSync(logFile, line + '\n');
}

export function warn(message: string): void {
  log(`WARNING: ${message}`);
}

export interface PhaseResult<T> {
  value: T;
  seconds: number;
}

/**
 * Runs fn as a named phase: "> name", a heartbeat while it runs, then "ok name (Ns)" or "FAILED name".
 * At the end of its work a phase calls the test seam's inPhase hook (harness/util/test-hooks.ts; unset
 * in a user's run), so a test can interrupt a run in any named phase.
 */
export async function phase<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  log(`> ${name}`);
  const timer = setInterval(() => log(`  ... ${name} (${((performance.now() - t0) / 1000).toFixed(0)}s)`), heartbeatMs);
  timer.unref();
  try {
    const value = await fn();
    await testHooks.inPhase?.(name);
    log(`ok ${name} (${((performance.now() - t0) / 1000).toFixed(1)}s)`);
    return value;
  } catch (err) {
    log(`FAILED ${name} after ${((performance.now() - t0) / 1000).toFixed(1)}s: ${(err as Error).message}`);
    throw err;
  } finally {
    clearInterval(timer);
  }
}
