// Host setup, idempotent: a Docker engine (Debian's docker.io, started by us where nothing runs it),
// the runc wrapper only where the capability bounding set lacks CAP_SYS_RESOURCE, inotify limits for
// multi-node kind clusters, and the few Debian packages pullproof calls. A host that already has all
// of it is not touched: every step first checks, then changes only what is missing.
import { existsSync, readFileSync, writeFileSync, mkdirSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { HarnessError } from '../errors.ts';
import { run, output } from '../util/exec.ts';
import { PROJECT_ROOT } from '../util/paths.ts';
import { log } from '../util/log.ts';
import { commandExists, dockerServerVersion, isRoot, lacksSysResource, pid1, readSysctl } from './facts.ts';
import { withHostLock } from './lock.ts';

export interface SetupStep {
  name: string;
  changed: boolean;
  detail: string;
}

export const WRAPPER_PATH = '/usr/local/bin/runc-nosysres';
export const WRAPPER_RUNTIME = 'runc-nosysres';
const DAEMON_JSON = '/etc/docker/daemon.json';
const DOCKERD_LOG = '/var/log/pullproof-dockerd.log';
const INOTIFY = { 'fs.inotify.max_user_instances': 512, 'fs.inotify.max_user_watches': 524288 } as const;
/** Debian packages pullproof calls, by the command that shows each is there. */
const PACKAGES: Record<string, string> = { dockerd: 'docker.io', iptables: 'iptables', jq: 'jq', debootstrap: 'debootstrap', ip: 'iproute2' };

function needRoot(what: string): never {
  throw new HarnessError(`setting up this host needs root to ${what}`,
    'run "sudo npx pullproof setup" once, or do the step by hand (see README, "Supported hosts")');
}

async function installPackages(steps: SetupStep[]): Promise<void> {
  const missing: string[] = [];
  const engineRuns = (await dockerServerVersion()) !== undefined;
  for (const [cmd, pkg] of Object.entries(PACKAGES)) {
    if (pkg === 'docker.io' && engineRuns) continue; // an engine answers: use it, whatever installed it
    if (!(await commandExists(cmd))) missing.push(pkg);
  }
  if (missing.length === 0) {
    steps.push({ name: 'packages', changed: false, detail: `present: ${Object.values(PACKAGES).join(', ')}` });
    return;
  }
  if (!isRoot()) needRoot(`install ${missing.join(', ')}`);
  if (!(await commandExists('apt-get'))) {
    throw new HarnessError(`missing ${missing.join(', ')} and this host has no apt-get`, 'install them with your package manager, then run "npx pullproof setup" again');
  }
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  await run(['apt-get', 'update', '-qq'], { timeoutMs: 300_000, env });
  await run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...missing], { timeoutMs: 600_000, env });
  steps.push({ name: 'packages', changed: true, detail: `installed ${missing.join(', ')}` });
}

function wrapperScript(realRunc: string): string {
  const source = readFileSync(join(PROJECT_ROOT, 'harness/host/assets/runc-nosysres'), 'utf8');
  return source.replace('REAL_RUNC="${PULLPROOF_REAL_RUNC:-/usr/sbin/runc}"', `REAL_RUNC="\${PULLPROOF_REAL_RUNC:-${realRunc}}"`);
}

/** Installs the wrapper and points dockerd at it; true if daemon.json changed. */
async function installWrapper(steps: SetupStep[]): Promise<boolean> {
  if (!lacksSysResource()) {
    steps.push({ name: 'runc wrapper', changed: false, detail: 'not needed: the capability bounding set includes CAP_SYS_RESOURCE' });
    return false;
  }
  const realRunc = (await output(['sh', '-c', 'command -v runc'], { allowFailure: true })) || '/usr/sbin/runc';
  const script = wrapperScript(realRunc);
  let changed = false;
  if (!existsSync(WRAPPER_PATH) || readFileSync(WRAPPER_PATH, 'utf8') !== script) {
    if (!isRoot()) needRoot(`install ${WRAPPER_PATH}`);
    writeFileSync(WRAPPER_PATH, script);
    chmodSync(WRAPPER_PATH, 0o755);
    changed = true;
  }
  const current = existsSync(DAEMON_JSON) ? (JSON.parse(readFileSync(DAEMON_JSON, 'utf8') || '{}') as Record<string, unknown>) : {};
  const runtimes = (current.runtimes ?? {}) as Record<string, { path: string }>;
  let daemonChanged = false;
  if (runtimes[WRAPPER_RUNTIME]?.path !== WRAPPER_PATH || current['default-runtime'] !== WRAPPER_RUNTIME) {
    if (!isRoot()) needRoot(`edit ${DAEMON_JSON}`);
    const next = { ...current, runtimes: { ...runtimes, [WRAPPER_RUNTIME]: { path: WRAPPER_PATH } }, 'default-runtime': WRAPPER_RUNTIME };
    mkdirSync('/etc/docker', { recursive: true });
    writeFileSync(DAEMON_JSON, JSON.stringify(next, null, 2) + '\n');
    daemonChanged = true;
  }
  steps.push({
    name: 'runc wrapper', changed: changed || daemonChanged,
    detail: changed || daemonChanged ? `installed ${WRAPPER_PATH} as dockerd's default runtime (this host lacks CAP_SYS_RESOURCE)` : 'installed and configured',
  });
  return daemonChanged;
}

/** Waits until the Docker engine answers (its server version); throws after timeoutMs with dockerd's log tail. */
export async function waitForDocker(timeoutMs: number): Promise<string> {
  const t0 = Date.now();
  for (;;) {
    const v = await dockerServerVersion();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) {
      const tail = existsSync(DOCKERD_LOG) ? readFileSync(DOCKERD_LOG, 'utf8').split('\n').slice(-15).join('\n') : '';
      throw new HarnessError(`the Docker engine did not answer within ${timeoutMs / 1000}s`, tail);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function ensureDocker(steps: SetupStep[], daemonJsonChanged: boolean): Promise<void> {
  const running = await dockerServerVersion();
  if (running) {
    if (daemonJsonChanged) {
      // runtimes and default-runtime are reloaded on SIGHUP, no restart needed.
      await run(['sh', '-c', 'kill -HUP $(pidof dockerd)']);
      await new Promise((r) => setTimeout(r, 1000));
      steps.push({ name: 'docker engine', changed: true, detail: `Docker ${running} running; reloaded its configuration` });
    } else {
      steps.push({ name: 'docker engine', changed: false, detail: `Docker ${running} running` });
    }
    return;
  }
  if (!isRoot()) needRoot('start dockerd');
  if (pid1() === 'systemd') {
    await run(['systemctl', 'start', 'docker'], { timeoutMs: 120_000 });
  } else {
    // No init system to own it: start dockerd detached, logging to a file, so it outlives this process.
    await run(['sh', '-c', `setsid dockerd >> ${DOCKERD_LOG} 2>&1 < /dev/null &`]);
  }
  const version = await waitForDocker(60_000);
  steps.push({ name: 'docker engine', changed: true, detail: `started Docker ${version} (log: ${DOCKERD_LOG})` });
}

async function ensureInotify(steps: SetupStep[]): Promise<void> {
  const raised: string[] = [];
  for (const [key, min] of Object.entries(INOTIFY)) {
    const now = readSysctl(key);
    if (now !== undefined && now >= min) continue;
    if (!isRoot()) needRoot(`raise ${key} to ${min}`);
    writeFileSync(`/proc/sys/${key.replaceAll('.', '/')}`, String(min));
    raised.push(`${key} ${now} -> ${min}`);
  }
  steps.push({ name: 'inotify limits', changed: raised.length > 0, detail: raised.length ? raised.join(', ') : 'already high enough' });
}

export async function setupHost(): Promise<SetupStep[]> {
  return withHostLock('setup', async () => {
    const steps: SetupStep[] = [];
    await installPackages(steps);
    const daemonChanged = await installWrapper(steps);
    await ensureDocker(steps, daemonChanged);
    await ensureInotify(steps);
    for (const s of steps) log(`${s.changed ? 'changed' : 'ok     '} ${s.name}: ${s.detail}`);
    return steps;
  });
}
