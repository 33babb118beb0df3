// The run's infrastructure watch: the Docker engine and the containers the run depends on (the registry
// container and every kind node) must stay up for the whole run. A scenario never stops any of them
// (registry outages are the fault proxy's, kubelet restarts are systemd's inside the node), so an engine
// that stops answering, a container that is no longer running or one that started again (a Docker
// engine restart stops every container; kind nodes come back by their restart policy) is an
// infrastructure failure: the run stops, the scenarios caught in it are not judged, and the run exits 3
// with a message naming what went away.
//
// The engine is asked through its API socket (DOCKER_HOST unix:// or tcp://, else /var/run/docker.sock),
// not the docker CLI: a check is two or three small HTTP requests, cheap enough to make every few seconds
// and after every scenario that did not pass.
import { request } from 'node:http';

export interface WatchedContainer {
  /** Container name. */
  name: string;
  /** What it is, for messages ("the registry container", "kind node pullproof-x-worker"). */
  what: string;
}

interface Seen {
  id: string;
  startedAt: string;
}

/** Where the Docker engine's API answers: a unix socket path or host:port. */
export function dockerEndpoint(dockerHost = process.env.DOCKER_HOST): { socketPath: string } | { host: string; port: number } {
  if (!dockerHost) return { socketPath: '/var/run/docker.sock' };
  if (dockerHost.startsWith('unix://')) return { socketPath: dockerHost.slice('unix://'.length) };
  const m = /^tcp:\/\/([^:/]+):(\d+)/.exec(dockerHost);
  if (m) return { host: m[1] as string, port: Number(m[2]) };
  return { socketPath: '/var/run/docker.sock' };
}

/** GET on the Docker API; rejects on a connection error or a timeout, resolves with status and body otherwise. */
export function dockerGet(path: string, timeoutMs = 5000, dockerHost?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ ...dockerEndpoint(dockerHost), path, method: 'GET', timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs / 1000}s`)));
    req.on('error', reject);
    req.end();
  });
}

export interface InfraLoss {
  /** When the watch noticed. */
  at: Date;
  /** What went away, for the user. */
  message: string;
}

export class InfraWatch {
  private readonly seen = new Map<string, Seen>();
  private readonly targets: WatchedContainer[] = [];
  private timer?: NodeJS.Timeout;
  private checking?: Promise<InfraLoss | undefined>;
  lost?: InfraLoss;
  /** Checks made so far. */
  checks = 0;

  private readonly o: { onLost: (loss: InfraLoss) => void; dockerHost?: string; timeoutMs?: number };

  constructor(o: { onLost: (loss: InfraLoss) => void; dockerHost?: string; timeoutMs?: number }) {
    this.o = o;
  }

  /** Adds containers to watch, remembering their id and start time now (they must be running). */
  async watch(targets: WatchedContainer[]): Promise<void> {
    for (const t of targets) {
      const s = await this.inspect(t);
      if (typeof s === 'string') throw new Error(s);
      this.seen.set(t.name, s);
      this.targets.push(t);
    }
  }

  /** Checks every few seconds until stop(). */
  start(intervalMs = 3000): void {
    this.timer = setInterval(() => { void this.check(); }, intervalMs);
    this.timer.unref();
  }

  get watching(): boolean {
    return this.targets.length > 0;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Checks now (one check at a time); resolves with the loss, once there is one. */
  check(): Promise<InfraLoss | undefined> {
    if (this.lost) return Promise.resolve(this.lost);
    this.checking ??= this.checkOnce().finally(() => { this.checking = undefined; });
    return this.checking;
  }

  private async checkOnce(): Promise<InfraLoss | undefined> {
    const problem = await this.problem();
    this.checks++;
    if (problem && !this.lost) {
      this.lost = { at: new Date(), message: problem };
      this.stop();
      this.o.onLost(this.lost);
    }
    return this.lost;
  }

  private async problem(): Promise<string | undefined> {
    const ping = await this.ping();
    if (ping) return ping;
    for (const t of this.targets) {
      const now = await this.inspect(t);
      if (typeof now === 'string') return now;
      const before = this.seen.get(t.name) as Seen;
      if (now.id !== before.id) return `${t.what} was replaced by another container of the same name`;
      if (now.startedAt !== before.startedAt) return `${t.what} started again at ${now.startedAt} (it had been running since ${before.startedAt}): the Docker engine restarted, or something restarted the container`;
    }
    return undefined;
  }

  /**
   * A GET asked again 2 s later with a 10 s limit when the first fails or its answer is not `good`: a
   * loaded engine is slow, not gone.
   */
  private async patientGet(path: string, good: (r: { status: number }) => boolean = () => true): Promise<{ status: number; body: string }> {
    try {
      const r = await dockerGet(path, this.o.timeoutMs, this.o.dockerHost);
      if (good(r)) return r;
    } catch { /* asked again below */ }
    await new Promise((res) => setTimeout(res, 2000));
    return dockerGet(path, 10_000, this.o.dockerHost);
  }

  /** undefined when the engine answers its health check, else what went wrong. */
  private async ping(): Promise<string | undefined> {
    try {
      const r = await this.patientGet('/_ping', (x) => x.status === 200);
      return r.status === 200 ? undefined : `the Docker engine answered its health check (/_ping) with HTTP ${r.status}`;
    } catch (err) {
      return `the Docker engine stopped answering (${(err as Error).message})`;
    }
  }

  private async inspect(t: WatchedContainer): Promise<Seen | string> {
    let r: { status: number; body: string };
    const path = `/containers/${encodeURIComponent(t.name)}/json`;
    try {
      r = await this.patientGet(path);
    } catch (err) {
      return `the Docker engine stopped answering (${(err as Error).message})`;
    }
    if (r.status === 404) return `${t.what} (${t.name}) no longer exists`;
    if (r.status !== 200) return `the Docker engine answered an inspection of ${t.what} with HTTP ${r.status}`;
    const c = JSON.parse(r.body) as { Id: string; State: { Running: boolean; Status: string; StartedAt: string; FinishedAt: string; ExitCode: number } };
    if (!c.State.Running) return `${t.what} (${t.name}) is no longer running (${c.State.Status}, exit code ${c.State.ExitCode}, since ${c.State.FinishedAt})`;
    return { id: c.Id, startedAt: c.State.StartedAt };
  }
}
