// Synthetic bench samples whose answer is known: each arm's in-node time is its base plus its number of
// sequential delayed requests times the injected delay, plus seeded noise; the harness timestamps
// leave a known harness time per pod start. For the report, JUnit, HTML and diff tests without a cluster.
import type { ArmId, MustPullResult } from '../../harness/bench/arms.ts';
import type { PodTimestamps } from '../../harness/bench/harness-overhead.ts';
import { seededRandom } from '../../harness/bench/random.ts';
import type { BenchRequest } from '../../harness/bench/requests.ts';
import type { BenchSample } from '../../harness/bench/result.ts';
import { schedule } from '../../harness/bench/schedule.ts';
import { ARMS } from '../../harness/bench/arms.ts';

export const CHAINS: Record<ArmId, { base: number; chain: BenchRequest['target'][][]; mustPull?: MustPullResult; plugin: boolean }> = {
  'gate-off': { base: 420, chain: [], plugin: false },
  'record-hit': { base: 425, chain: [], mustPull: 'credentialRecordFound', plugin: false },
  reverify: { base: 470, chain: [['registry'], ['token'], ['registry']], mustPull: 'mustAuthenticate', plugin: false },
  always: { base: 465, chain: [['registry'], ['token'], ['registry']], plugin: false },
  'sa-hit': { base: 430, chain: [], mustPull: 'credentialRecordFound', plugin: false },
  'sa-miss': { base: 520, chain: [['sts'], ['registry'], ['token'], ['registry', 'registry']], mustPull: 'mustAuthenticate', plugin: true },
};

export function syntheticSamples(seed: number, o: { samples?: number; proofSamples?: number; shift?: Partial<Record<ArmId, number>>; arms?: ArmId[] } = {}): BenchSample[] {
  const rnd = seededRandom(seed);
  const noise = (): number => 12 * Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const arms = o.arms ? ARMS.filter((a) => o.arms?.includes(a.id)) : ARMS;
  const s = schedule({ seed, arms, samples: o.samples ?? 30, proofDelaysMs: [50, 200], proofSamples: o.proofSamples ?? 10 });
  let clock = Date.UTC(2026, 0, 15, 10, 0, 0);
  return s.blocks.flatMap((b) => b.samples).map((x): BenchSample => {
    const truth = CHAINS[x.arm];
    const requests: BenchRequest[] = [];
    let t = clock + 5;
    for (const step of truth.chain) {
      for (const target of step) requests.push({ target, kind: target === 'registry' ? 'manifest' : target === 'token' ? 'token' : 'exchange', at: new Date(t).toISOString(), durationMs: x.delayMs + 1.5, status: 200 });
      t += x.delayMs + 4;
    }
    const measures: BenchSample['measures'] = { inNode: truth.base + (o.shift?.[x.arm] ?? 0) + truth.chain.length * x.delayMs + noise(), endToEnd: 1400 + truth.chain.length * x.delayMs + 8 * noise() };
    clock += 3000;
    const sample: BenchSample = { id: x.id, arm: x.arm, block: x.block, seq: x.seq, delayMs: x.delayMs, warmup: x.warmup, measures, requests, mustPull: truth.mustPull ? { [truth.mustPull]: 1 } : {} };
    if (x.arm.startsWith('sa-')) sample.plugin = [{ plugin: 'pullproof-credential-provider', calls: truth.plugin ? 1 : 0, seconds: truth.plugin ? 0.02 : 0 }];
    return sample;
  });
}

/** Pod timestamps with a kubelet time of kubeletMs and a harness time of about extraMs per pod. */
export function syntheticTimestamps(n: number, kubeletMs: number, extraMs: number): PodTimestamps[] {
  return Array.from({ length: n }, (_, i) => {
    const create = 1_000_000 + i * 5000;
    return { pod: `p${i}`, createReturnedMs: create, kubeletStartMs: create + 30, kubeletEndMs: create + 30 + kubeletMs, watchHandledMs: create + kubeletMs + extraMs + (i % 3) };
  });
}
