// Live progress: on a terminal, one status line (stage, window, running scenarios, done/left, elapsed,
// estimated time left) redrawn in place under the log; elsewhere (CI logs, pipes), plain timestamped
// lines. Every line also goes to run.log through log().
import type { ScenarioResult } from '../report/types.ts';
import { log, setStatusLine } from '../util/log.ts';
import type { PlannedScenario } from './plan.ts';
import { describeSettings, type Progress, type Window } from './schedule.ts';

const MARK: Record<string, string> = { passed: 'PASS', failed: 'FAIL', 'known-bug': 'KNOWN BUG', 'not-applicable': 'N/A', error: 'ERROR', flaky: 'FLAKY', 'not-run': 'NOT RUN', observed: 'OBSERVED' };

export class RunProgress implements Progress {
  private readonly tty: boolean;
  private total = 0;
  private done = 0;
  private stage = 'plan';
  private window = '';
  private readonly running = new Set<string>();
  private readonly t0 = Date.now();
  private executeStartedAt?: number;
  private timer?: NodeJS.Timeout;

  constructor(o: { tty?: boolean } = {}) {
    this.tty = o.tty ?? (process.stderr.isTTY === true && process.env.CI === undefined);
    if (this.tty) {
      this.timer = setInterval(() => this.draw(), 1000);
      this.timer.unref();
    }
  }

  setTotal(n: number): void {
    this.total = n;
  }

  setStage(name: string): void {
    this.stage = name;
    if (name === 'execute') this.executeStartedAt = Date.now();
    log(`stage: ${name}`);
    this.draw();
  }

  windowStarted(w: Window, worker: string): void {
    this.window = `window ${w.index} (${worker})`;
    log(`window ${w.index} on ${worker}: kubelet ${w.kubelet}, ${describeSettings(w.settings)}${w.barriers.length ? `, ${w.barriers.length} barrier(s)` : ''}${w.exclusive ? ', exclusive' : ''}: ${w.scenarios.length} scenario(s)`);
  }

  scenarioStarted(s: PlannedScenario, attempt: number): void {
    this.running.add(s.name);
    if (!this.tty) log(`start ${s.id}@${s.kubelet}${attempt > 1 ? ` (attempt ${attempt})` : ''}`);
    this.draw();
  }

  scenarioFinished(r: ScenarioResult): void {
    this.running.delete(r.name);
    this.done++;
    log(`${r.failOpen ? 'FAILS OPEN' : MARK[r.status] ?? r.status} ${r.name} [${r.kubelet}] (${r.seconds.toFixed(1)}s)${r.status !== 'passed' && r.message ? `: ${r.message}` : ''}`);
    this.draw();
  }

  note(message: string): void {
    log(message);
  }

  private eta(): string {
    if (!this.executeStartedAt || this.done === 0 || this.total <= this.done) return '';
    const per = (Date.now() - this.executeStartedAt) / this.done;
    const left = Math.round((per * (this.total - this.done)) / 1000);
    return `, about ${left >= 60 ? `${Math.floor(left / 60)}m${String(left % 60).padStart(2, '0')}s` : `${left}s`} left`;
  }

  private draw(): void {
    if (!this.tty) return;
    const elapsed = Math.round((Date.now() - this.t0) / 1000);
    const running = [...this.running];
    setStatusLine(`[${this.stage}] ${this.window ? `${this.window} ` : ''}${this.done}/${this.total} done, ${running.length} running, ${elapsed}s elapsed${this.eta()}${running[0] ? ` | ${running[0].slice(0, 60)}` : ''}`);
  }

  stop(): void {
    clearInterval(this.timer);
    setStatusLine(undefined);
  }
}
