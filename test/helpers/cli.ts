// Runs the pullproof CLI as a child process, the way a user or CI does, and collects what it printed.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';

export const BIN = fileURLToPath(new URL('../../bin/pullproof.js', import.meta.url));
/** The test entry point: the CLI with the test seam's hooks installed from PULLPROOF_TEST_* variables. */
export const TEST_ENTRY = fileURLToPath(new URL('./pullproof-test-entry.ts', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Running {
  child: ChildProcess;
  /** Resolves when a line of stderr matches. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  done: Promise<CliResult>;
}

export function start(args: string[], env: Record<string, string> = {}, o: { entry?: string } = {}): Running {
  const child = spawn(process.execPath, [o.entry ?? BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters: { pattern: RegExp; resolve: (l: string) => void }[] = [];
  child.stdout?.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
    for (const w of [...waiters]) {
      const m = stderr.split('\n').find((l) => w.pattern.test(l));
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  const done = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return {
    child,
    done,
    waitFor(pattern, timeoutMs = 120_000) {
      const already = stderr.split('\n').find((l) => pattern.test(l));
      if (already) return Promise.resolve(already);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; stderr so far:\n${stderr}`)), timeoutMs);
        waiters.push({ pattern, resolve: (l) => { clearTimeout(timer); resolve(l); } });
        void done.then(() => {
          clearTimeout(timer);
          reject(new Error(`pullproof exited before printing a line matching ${pattern}; stderr:\n${stderr}`));
        });
      });
    },
  };
}

export async function pullproof(args: string[], env: Record<string, string> = {}, o: { entry?: string } = {}): Promise<CliResult> {
  return start(args, env, o).done;
}

export function runIdFrom(stderr: string): string {
  const m = /run (pp[0-9a-f]{6})/.exec(stderr);
  if (!m?.[1]) throw new Error(`no run id in output:\n${stderr}`);
  return m[1];
}

/** What a run left on the host: labelled containers, networks, volumes, work folders, fence rules. */
export function leftovers(runId: string): string[] {
  const out: string[] = [];
  const sh = (args: string[]): string => execFileSync(args[0] as string, args.slice(1), { encoding: 'utf8' }).trim();
  const label = `label=io.pullproof.run=${runId}`;
  out.push(...sh(['docker', 'ps', '-a', '--filter', label, '--format', 'container {{.Names}}']).split('\n').filter(Boolean));
  out.push(...sh(['docker', 'ps', '-a', '--filter', `label=io.x-k8s.kind.cluster=pullproof-${runId}`, '--format', 'kind node {{.Names}}']).split('\n').filter(Boolean));
  out.push(...sh(['docker', 'network', 'ls', '--filter', label, '--format', 'network {{.Name}}']).split('\n').filter(Boolean));
  out.push(...sh(['docker', 'volume', 'ls', '--filter', label, '--format', 'volume {{.Name}}']).split('\n').filter(Boolean));
  out.push(...readdirSync(tmpdir()).filter((d) => d.startsWith(`pullproof-run-${runId}-`)).map((d) => `work folder ${d}`));
  out.push(...sh(['iptables', '-w', '-S', 'DOCKER-USER']).split('\n').filter((l) => l.includes(`pullproof:${runId}`)).map((l) => `fence ${l}`));
  return out;
}
