// The projected wall time of a schedule, from a short calibration, and the plan text that
// `--plan` prints before anything long starts.
import type { ArmId } from './arms.ts';
import type { Schedule } from './schedule.ts';
import { UsageError } from '../errors.ts';

export interface Calibration {
  /** Seconds per sample (pod create to deleted, the harness's bookkeeping included) per arm at 0 ms delay. */
  secondsPerSample: Partial<Record<ArmId, number>>;
  /** Delayed requests on an arm's critical path per sample, if counted; each adds the injected delay. */
  delayedRequestsPerSample?: Partial<Record<ArmId, number>>;
  /** Seconds for one kubelet restart with its configuration change, to Ready. */
  secondsPerRestart: number;
  /** Calibration samples per arm behind secondsPerSample (for the plan text). */
  samplesPerArm?: number;
}

export interface ArmProjection {
  arm: ArmId;
  measured: number;
  warmup: number;
  seconds: number;
}

export interface PlanProjection {
  totalSeconds: number;
  sampleSeconds: number;
  restartSeconds: number;
  restarts: number;
  perArm: ArmProjection[];
  /** Seconds of each block (its restart included), in run order. */
  perBlock: number[];
  how: string;
}

export function projectPlan(s: Schedule, c: Calibration): PlanProjection {
  if (!(c.secondsPerRestart >= 0)) throw new UsageError('calibration.secondsPerRestart', `${c.secondsPerRestart} is not a duration`, 'calibrate at least one kubelet restart first');
  const perSample = (arm: ArmId, delayMs: number): number => {
    const base = c.secondsPerSample[arm];
    if (base === undefined || !(base >= 0)) {
      throw new UsageError('calibration.secondsPerSample', `no calibrated time for arm ${arm}`, `calibrate every arm of the schedule (${s.options.arms.join(', ')})`);
    }
    return base + (delayMs / 1000) * (c.delayedRequestsPerSample?.[arm] ?? 0);
  };
  const perArm = new Map<ArmId, ArmProjection>(s.options.arms.map((arm) => [arm, { arm, measured: 0, warmup: 0, seconds: 0 }]));
  const perBlock: number[] = [];
  let sampleSeconds = 0;
  for (const b of s.blocks) {
    let blockSeconds = b.restartBefore ? c.secondsPerRestart : 0;
    for (const x of b.samples) {
      const t = perSample(x.arm, x.delayMs);
      const p = perArm.get(x.arm) as ArmProjection;
      if (x.warmup) p.warmup++;
      else p.measured++;
      p.seconds += t;
      blockSeconds += t;
      sampleSeconds += t;
    }
    perBlock.push(blockSeconds);
  }
  const restartSeconds = s.restarts * c.secondsPerRestart;
  const n = c.samplesPerArm === undefined ? '' : ` (calibrated on ${c.samplesPerArm} sample${c.samplesPerArm === 1 ? '' : 's'} per arm)`;
  return {
    totalSeconds: sampleSeconds + restartSeconds,
    sampleSeconds,
    restartSeconds,
    restarts: s.restarts,
    perArm: [...perArm.values()],
    perBlock,
    how: `sum over the schedule of each sample's calibrated seconds for its arm${n}, plus its injected delay times the arm's counted delayed requests, plus ${s.restarts} restarts of ${c.secondsPerRestart.toFixed(1)} s`,
  };
}

export function formatSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s - m * 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** The plan as text: design, blocks, samples per arm and, with a projection, the expected wall time. */
export function planText(s: Schedule, p?: PlanProjection): string {
  const o = s.options;
  const delays = [0, ...o.proofDelaysMs];
  const lines = [
    `Bench plan, seed ${o.seed}: ${o.arms.length} arms, ${s.configurations.length} kubelet configurations, ${s.blocks.length} blocks, ${s.restarts} kubelet restarts.`,
    `Samples per arm: ${o.samples} at 0 ms injected delay` +
      (o.proofDelaysMs.length ? `, ${o.proofSamples} at each of ${o.proofDelaysMs.map((d) => `${d} ms`).join(', ')} (for the proof of the measurement)` : '') +
      `; ${s.totals.measured} measured and ${s.totals.warmup} warm-up pod starts in all.`,
    '',
    'Kubelet configurations:',
    ...s.configurations.map((c) => `  ${c.label}  ${c.description}: ${c.arms.join(', ')}`),
    '',
    'Blocks:',
    ...s.blocks.map((b, i) => {
      const c = s.configurations.find((x) => x.key === b.config);
      const counts = delays.map((d) => b.samples.filter((x) => !x.warmup && x.delayMs === d).length);
      const warm = b.samples.filter((x) => x.warmup).length;
      const t = p ? `, about ${formatSeconds(p.perBlock[i] ?? 0)}` : '';
      return `  ${String(i + 1).padStart(2)}. ${c?.label ?? '?'} ${b.restartBefore ? 'restart' : 'no restart'}, ${warm} warm-up, measured ${counts.map((n, j) => `${n}@${delays[j]}ms`).join(' ')}${t}`;
    }),
    '',
    `Design: ${s.design}.`,
  ];
  if (p) {
    lines.push('', `Projected wall time: ${formatSeconds(p.totalSeconds)} (${formatSeconds(p.sampleSeconds)} of pod starts, ${formatSeconds(p.restartSeconds)} of restarts).`, `  How: ${p.how}.`);
    for (const a of p.perArm) lines.push(`  ${a.arm.padEnd(10)} ${String(a.measured).padStart(4)} measured + ${a.warmup} warm-up, about ${formatSeconds(a.seconds)}`);
  }
  return lines.join('\n') + '\n';
}
