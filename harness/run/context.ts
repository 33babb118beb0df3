// One run: its id, its report folder, its private work folder, its network and fence, and the cleanup
// stack everything it starts registers with. The fence's drop counter is read at cleanup, just before
// the rule is removed, and written into the report.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cleanup, type CleanupOutcome } from '../util/cleanup.ts';
import { createRunNetwork, fenceDrops, removeRunNetwork, type RunNetwork } from '../host/network.ts';
import { withHostLock } from '../host/lock.ts';
import { log, setLogFile } from '../util/log.ts';
import { reportsRoot } from '../util/paths.ts';

export interface RunOptions {
  online?: boolean;
  keep?: boolean;
  reportDir?: string;
  /** Short label in the run id, e.g. the suite name. */
  label?: string;
}

export interface FenceReading {
  subnet: string;
  droppedPackets: number;
  readAt: string;
}

export class RunContext {
  readonly id: string;
  readonly reportDir: string;
  readonly workDir: string;
  readonly cleanup = new Cleanup();
  readonly online: boolean;
  network?: RunNetwork;
  fence?: FenceReading;
  cleanupOutcomes: CleanupOutcome[] = [];

  private constructor(id: string, reportDir: string, workDir: string, online: boolean) {
    this.id = id;
    this.reportDir = reportDir;
    this.workDir = workDir;
    this.online = online;
  }

  static create(o: RunOptions = {}): RunContext {
    const id = `pp${randomBytes(3).toString('hex')}`;
    const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
    const reportDir = o.reportDir ?? join(reportsRoot(), `${stamp}-${o.label ?? 'run'}-${id}`);
    mkdirSync(reportDir, { recursive: true });
    const workDir = mkdtempSync(join(tmpdir(), `pullproof-run-${id}-`));
    const ctx = new RunContext(id, reportDir, workDir, o.online ?? false);
    ctx.cleanup.keep = o.keep ?? false;
    setLogFile(join(reportDir, 'run.log'));
    // Registered first, so it runs last, also under --keep (the work folder holds keys).
    ctx.cleanup.defer('work folder', async () => rmSync(workDir, { recursive: true, force: true }));
    log(`run ${id}: report folder ${reportDir}`);
    return ctx;
  }

  async createNetwork(): Promise<RunNetwork> {
    const net = await withHostLock('network', () => createRunNetwork(this.id, { online: this.online }));
    this.network = net;
    log(`network ${net.name} ${net.subnet}${net.fenced ? ', egress fenced' : ', online (no fence)'}`);
    this.cleanup.defer(`network ${net.name} and its fence`, async () => {
      if (net.fenced) {
        this.fence = { subnet: net.subnet, droppedPackets: await fenceDrops(net), readAt: new Date().toISOString() };
        writeFileSync(join(this.reportDir, 'fence.json'), JSON.stringify(this.fence, null, 2) + '\n');
        log(`fence for ${net.subnet}: ${this.fence.droppedPackets} packets dropped during the run`);
      }
      await removeRunNetwork(net);
    });
    return net;
  }

  async finish(): Promise<CleanupOutcome[]> {
    this.cleanupOutcomes = await this.cleanup.runAll();
    // The work folder step is skipped under --keep along with the rest; keys must not outlive the run.
    if (this.cleanup.keep) log(`kept work folder ${this.workDir} (holds this run's keys; delete it when done)`);
    return this.cleanupOutcomes;
  }
}
