// The order in which the bench starts its pods. Arms that share a kubelet configuration run in
// the same blocks, interleaved, so slow drift of the node (page cache, log volume, thermal state)
// hits them alike. Different configurations need a kubelet restart, so they run in blocks whose
// order is a seeded random permutation followed by its mirror image (A B B A for two configurations,
// A C B B C A for three): a linear drift over the run adds the same amount to every configuration.
// Each block that follows a restart starts with warm-up samples that the analysis discards.
import { shuffle } from 'simple-statistics';
import { ARMS, configKey, describeConfig, type Arm, type ArmId, type KubeletNeeds, type Mint } from './arms.ts';
import { checkSeed, seededRandom } from './random.ts';
import { UsageError } from '../errors.ts';

export interface ScheduleOptions {
  /** Arms to run; default all of ARMS. */
  arms?: readonly Arm[];
  /** Measured samples per arm at 0 ms injected delay (N); default 30. */
  samples?: number;
  /** Extra injected delays for the proof of the measurement, in ms; default [50, 200]. [] for none. */
  proofDelaysMs?: readonly number[];
  /** Measured samples per arm at each proof delay; default 10. */
  proofSamples?: number;
  /** Mirrored pairs of block orders (1 gives A B B A); default 1. */
  cycles?: number;
  /** Order of samples inside a block; default random (seeded). */
  order?: 'random' | 'round-robin';
  seed: number;
}

export interface ResolvedScheduleOptions {
  arms: ArmId[];
  samples: number;
  proofDelaysMs: number[];
  proofSamples: number;
  cycles: number;
  order: 'random' | 'round-robin';
  seed: number;
}

export interface ScheduledSample {
  /** Position in the whole run, from 0. */
  seq: number;
  /** Unique in the run and usable in a pod name: `<arm>-<nnn>`, counted per arm in run order. */
  id: string;
  arm: ArmId;
  block: number;
  /** Latency the fault proxies and the STS add to each request while this pod starts. */
  delayMs: number;
  /** Discarded by the analysis. */
  warmup: boolean;
  mint: Mint;
}

export interface ScheduleBlock {
  index: number;
  config: string;
  kubelet: KubeletNeeds;
  /** False when the previous block had the same configuration (no restart, no warm-ups). */
  restartBefore: boolean;
  samples: ScheduledSample[];
}

export interface KubeletConfiguration {
  key: string;
  label: string;
  description: string;
  kubelet: KubeletNeeds;
  arms: ArmId[];
}

export interface Schedule {
  options: ResolvedScheduleOptions;
  configurations: KubeletConfiguration[];
  blocks: ScheduleBlock[];
  /** Kubelet restarts to apply configurations, the one before the first block included. */
  restarts: number;
  totals: { measured: number; warmup: number; perArm: Record<string, { measured: number; warmup: number }> };
  /** The design in words, for the plan and the report. */
  design: string;
}

function positiveInt(field: string, v: number, min: number, fix: string): number {
  if (!Number.isInteger(v) || v < min) throw new UsageError(field, `${v} is not a whole number of at least ${min}`, fix);
  return v;
}

export function resolveScheduleOptions(o: ScheduleOptions): ResolvedScheduleOptions {
  checkSeed(o.seed);
  const arms = [...(o.arms ?? ARMS)];
  if (arms.length === 0) throw new UsageError('--arms', 'no arm selected', `name at least one of ${ARMS.map((a) => a.id).join(', ')}`);
  const ids = arms.map((a) => a.id);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup) throw new UsageError('--arms', `${dup} is named twice`, 'name each arm once');
  const delays = [...(o.proofDelaysMs ?? [50, 200])];
  for (const d of delays) {
    if (!Number.isFinite(d) || d <= 0) throw new UsageError('--delays', `${d} ms is not a positive delay`, 'give positive milliseconds, e.g. --delays 50,200 (0 ms is always measured)');
  }
  if (new Set(delays).size !== delays.length) throw new UsageError('--delays', 'a delay is named twice', 'name each delay once');
  const order = o.order ?? 'random';
  if (order !== 'random' && order !== 'round-robin') throw new UsageError('--order', `${String(order)} is not an order`, 'use random or round-robin');
  return {
    arms: ids,
    samples: positiveInt('--samples', o.samples ?? 30, 2, 'give at least 2 samples per arm (30 is the default)'),
    proofDelaysMs: delays.sort((a, b) => a - b),
    proofSamples: delays.length ? positiveInt('--proof-samples', o.proofSamples ?? 10, 2, 'give at least 2 samples per arm and delay (10 is the default)') : 0,
    cycles: positiveInt('--cycles', o.cycles ?? 1, 1, 'give 1 (A B B A) or more mirrored pairs of blocks'),
    order,
    seed: o.seed,
  };
}

/** Splits items over n bins in turn (item i to bin i mod n), so each bin gets each kind evenly. */
function deal<T>(items: readonly T[], n: number): T[][] {
  const bins: T[][] = Array.from({ length: n }, () => []);
  items.forEach((item, i) => bins[i % n]?.push(item));
  return bins;
}

/** Takes one item of each group in turn until all are used. */
function roundRobin<T>(groups: readonly T[][]): T[] {
  const out: T[] = [];
  const longest = Math.max(0, ...groups.map((g) => g.length));
  for (let i = 0; i < longest; i++) for (const g of groups) if (i < g.length) out.push(g[i] as T);
  return out;
}

export function schedule(input: ScheduleOptions): Schedule {
  const o = resolveScheduleOptions(input);
  const arms = [...(input.arms ?? ARMS)];
  const rng = seededRandom(o.seed);

  const configurations: KubeletConfiguration[] = [];
  for (const arm of arms) {
    const key = configKey(arm.kubelet);
    const existing = configurations.find((c) => c.key === key);
    if (existing) existing.arms.push(arm.id);
    else configurations.push({ key, label: '', description: describeConfig(arm.kubelet), kubelet: arm.kubelet, arms: [arm.id] });
  }
  configurations.forEach((c, i) => { c.label = String.fromCharCode(65 + i); });

  // Block order: per cycle a random permutation, then its mirror image.
  const order: KubeletConfiguration[] = [];
  for (let c = 0; c < o.cycles; c++) {
    const perm = shuffle([...configurations], rng);
    order.push(...perm, ...[...perm].reverse());
  }
  const blocksPerConfig = 2 * o.cycles;

  // Each arm's measured samples (delay 0 first, then each proof delay) dealt over its blocks.
  const dealt = new Map<ArmId, number[][]>();
  for (const arm of arms) {
    const delays = [
      ...Array<number>(o.samples).fill(0),
      ...o.proofDelaysMs.flatMap((d) => Array<number>(o.proofSamples).fill(d)),
    ];
    dealt.set(arm.id, deal(delays, blocksPerConfig));
  }
  const used = new Map<string, number>();
  const perArmCount = new Map<ArmId, number>();
  const blocks: ScheduleBlock[] = [];
  let seq = 0;
  let restarts = 0;
  order.forEach((config, index) => {
    const occurrence = used.get(config.key) ?? 0;
    used.set(config.key, occurrence + 1);
    const restartBefore = index === 0 || order[index - 1]?.key !== config.key;
    if (restartBefore) restarts++;
    const blockArms = arms.filter((a) => config.arms.includes(a.id));
    type Item = { arm: Arm; delayMs: number; warmup: boolean };
    const warmups: Item[] = restartBefore
      ? roundRobin(blockArms.map((arm) => Array.from({ length: arm.warmup }, () => ({ arm, delayMs: 0, warmup: true }))))
      : [];
    const perArm = blockArms.map((arm) => (dealt.get(arm.id)?.[occurrence] ?? []).map((delayMs) => ({ arm, delayMs, warmup: false })));
    const measured: Item[] = o.order === 'random' ? shuffle(perArm.flat(), rng) : roundRobin(perArm);
    const samples = [...warmups, ...measured].map((item): ScheduledSample => {
      const n = (perArmCount.get(item.arm.id) ?? 0) + 1;
      perArmCount.set(item.arm.id, n);
      return {
        seq: seq++,
        id: `${item.arm.id}-${String(n).padStart(3, '0')}`,
        arm: item.arm.id,
        block: index,
        delayMs: item.delayMs,
        warmup: item.warmup,
        mint: item.arm.mint,
      };
    });
    blocks.push({ index, config: config.key, kubelet: config.kubelet, restartBefore, samples });
  });

  const perArm: Record<string, { measured: number; warmup: number }> = {};
  for (const arm of arms) perArm[arm.id] = { measured: 0, warmup: 0 };
  for (const s of blocks.flatMap((b) => b.samples)) {
    const t = perArm[s.arm] as { measured: number; warmup: number };
    if (s.warmup) t.warmup++;
    else t.measured++;
  }
  const all = blocks.flatMap((b) => b.samples);
  const labels = order.map((c) => c.label).join(' ');
  const design = [
    `${configurations.length} kubelet configuration${configurations.length === 1 ? '' : 's'} (${configurations.map((c) => `${c.label}: ${c.description}`).join('; ')})`,
    `in ${order.length} blocks ordered ${labels} (${o.cycles} seeded random permutation${o.cycles === 1 ? '' : 's'}, each followed by its mirror image, so a linear drift adds the same to every configuration)`,
    `${restarts} kubelet restarts (one before each block whose configuration differs from the previous one, the first included)`,
    `arms sharing a configuration interleaved in ${o.order === 'random' ? 'seeded random order' : 'round-robin order'} within each block`,
    `warm-up samples after each restart discarded`,
    `seed ${o.seed}`,
  ].join('; ');
  return {
    options: o,
    configurations,
    blocks,
    restarts,
    totals: { measured: all.filter((s) => !s.warmup).length, warmup: all.filter((s) => s.warmup).length, perArm },
    design,
  };
}
