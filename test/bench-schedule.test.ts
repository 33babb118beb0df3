// The bench's arms, schedule and plan, without a cluster.
import test from 'ava';
import { ARMS, armById, configKey, type Arm } from '../harness/bench/arms.ts';
import { schedule } from '../harness/bench/schedule.ts';
import { planText, projectPlan } from '../harness/bench/plan.ts';
import { UsageError } from '../harness/errors.ts';

const two: Arm[] = [armById('gate-off'), armById('record-hit')];

test('each arm declares its kubelet configuration, what every sample mints, and its warm-ups', (t) => {
  t.deepEqual(ARMS.map((a) => a.id), ['gate-off', 'record-hit', 'reverify', 'always', 'sa-hit', 'sa-miss']);
  t.is(configKey(armById('gate-off').kubelet), 'gate=off');
  t.is(configKey(armById('record-hit').kubelet), configKey(armById('reverify').kubelet));
  t.is(configKey(armById('always').kubelet), configKey(armById('record-hit').kubelet));
  t.is(armById('sa-hit').kubelet.serviceAccountProvider?.cacheType, 'ServiceAccount');
  t.is(configKey(armById('sa-hit').kubelet), configKey(armById('sa-miss').kubelet));
  t.is(armById('reverify').mint, 'token-service-user');
  t.is(armById('sa-miss').mint, 'service-account');
  t.is(armById('record-hit').mint, 'nothing');
  t.is(armById('sa-hit').expect.tokenRequestsPerPod, 1);
  t.is(armById('always').pod.pullPolicy, 'Always');
  for (const a of ARMS) t.true(a.warmup >= 1, a.id);
});

test('two kubelet configurations run as mirrored blocks A B B A, with 3 restarts', (t) => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    const s = schedule({ arms: two, seed, samples: 4, proofDelaysMs: [] });
    const order = s.blocks.map((b) => b.config);
    t.is(order.length, 4);
    t.is(order[0], order[3]);
    t.is(order[1], order[2]);
    t.not(order[0], order[1]);
    t.deepEqual(s.blocks.map((b) => b.restartBefore), [true, true, false, true]);
    t.is(s.restarts, 3);
  }
});

test('the first block\'s configuration is drawn by the seed, not always the first arm\'s', (t) => {
  const firsts = new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((seed) => schedule({ arms: two, seed, samples: 2, proofDelaysMs: [] }).blocks[0]?.config));
  t.is(firsts.size, 2);
});

test('with cycles 2 each cycle is a permutation and its mirror image', (t) => {
  const s = schedule({ seed: 11, cycles: 2, samples: 8, proofDelaysMs: [] });
  const labels = s.blocks.map((b) => s.configurations.find((c) => c.key === b.config)?.label).join('');
  t.is(labels.length, 12);
  for (const half of [labels.slice(0, 6), labels.slice(6)]) {
    t.is(half.slice(3), [...half.slice(0, 3)].reverse().join(''));
    t.is(new Set(half.slice(0, 3)).size, 3);
  }
  // A restart before every block whose configuration differs from the previous one.
  const expected = s.blocks.filter((b, i) => i === 0 || s.blocks[i - 1]?.config !== b.config).length;
  t.is(s.restarts, expected);
});

test('arms that share a configuration are interleaved inside the same blocks', (t) => {
  const s = schedule({ seed: 5, samples: 30 });
  const gateOn = s.blocks.filter((b) => b.config === configKey(armById('reverify').kubelet));
  t.is(gateOn.length, 2);
  for (const b of gateOn) {
    const arms = b.samples.filter((x) => !x.warmup).map((x) => x.arm);
    t.deepEqual([...new Set(arms)].sort(), ['always', 'record-hit', 'reverify']);
    // Interleaved, not one arm after the other: the arm changes many times within the block.
    const switches = arms.filter((a, i) => i > 0 && a !== arms[i - 1]).length;
    t.true(switches > arms.length / 3, `only ${switches} switches in ${arms.length} samples`);
  }
});

test('round-robin order takes one sample of each arm in turn', (t) => {
  const s = schedule({ seed: 5, samples: 4, proofDelaysMs: [], order: 'round-robin', arms: [armById('record-hit'), armById('reverify'), armById('always')] });
  const first = s.blocks[0]?.samples.filter((x) => !x.warmup).map((x) => x.arm);
  t.deepEqual(first, ['record-hit', 'reverify', 'always', 'record-hit', 'reverify', 'always']);
});

test('N measured samples per arm at 0 ms and the proof samples at each delay; warm-ups only after restarts', (t) => {
  const s = schedule({ seed: 9, samples: 30, proofDelaysMs: [50, 200], proofSamples: 10 });
  const all = s.blocks.flatMap((b) => b.samples);
  for (const a of ARMS) {
    const mine = all.filter((x) => x.arm === a.id && !x.warmup);
    t.is(mine.filter((x) => x.delayMs === 0).length, 30, a.id);
    t.is(mine.filter((x) => x.delayMs === 50).length, 10, a.id);
    t.is(mine.filter((x) => x.delayMs === 200).length, 10, a.id);
  }
  for (const b of s.blocks) {
    const warm = b.samples.filter((x) => x.warmup);
    if (!b.restartBefore) t.is(warm.length, 0);
    else {
      // Warm-ups come first, at 0 ms, one per arm of the block.
      t.true(b.samples.slice(0, warm.length).every((x) => x.warmup && x.delayMs === 0));
      t.is(warm.length, s.configurations.find((c) => c.key === b.config)?.arms.length ?? -1);
    }
  }
  t.is(s.totals.measured, 6 * 50);
  t.is(new Set(all.map((x) => x.id)).size, all.length, 'sample ids are unique');
  t.deepEqual(all.map((x) => x.seq), all.map((_, i) => i));
  t.is(all.find((x) => x.arm === 'reverify')?.mint, 'token-service-user');
});

test('the same seed gives the same schedule, another seed another order', (t) => {
  const a = schedule({ seed: 42 });
  t.deepEqual(schedule({ seed: 42 }), a);
  const b = schedule({ seed: 43 });
  t.notDeepEqual(b.blocks.flatMap((x) => x.samples.map((s) => s.id)), a.blocks.flatMap((x) => x.samples.map((s) => s.id)));
});

test('bad schedule options are usage errors naming the option', (t) => {
  t.is(t.throws(() => schedule({ seed: 1, samples: 1 }), { instanceOf: UsageError })?.field, '--samples');
  t.is(t.throws(() => schedule({ seed: 1.5 }), { instanceOf: UsageError })?.field, '--seed');
  t.is(t.throws(() => schedule({ seed: 1, proofDelaysMs: [0] }), { instanceOf: UsageError })?.field, '--delays');
  t.is(t.throws(() => schedule({ seed: 1, arms: [] }), { instanceOf: UsageError })?.field, '--arms');
  t.is(t.throws(() => schedule({ seed: 1, cycles: 0 }), { instanceOf: UsageError })?.field, '--cycles');
});

test('the plan projects wall time from the calibration, delays and restarts included', (t) => {
  const s = schedule({ arms: two, seed: 3, samples: 10, proofDelaysMs: [100], proofSamples: 4 });
  // gate-off: 2 s a sample, record-hit: 3 s; record-hit has 1 delayed request per sample.
  const p = projectPlan(s, { secondsPerSample: { 'gate-off': 2, 'record-hit': 3 }, delayedRequestsPerSample: { 'record-hit': 1 }, secondsPerRestart: 10 });
  // Each arm: 14 measured (10 at 0 ms, 4 at 100 ms) plus one warm-up per block after a restart (the
  // configuration at both ends of A B B A has 2, the one in the middle 1): 3 pod starts of warm-up.
  const starts = (arm: 'gate-off' | 'record-hit'): number => (s.totals.perArm[arm]?.measured ?? 0) + (s.totals.perArm[arm]?.warmup ?? 0);
  t.is(starts('gate-off') + starts('record-hit'), 28 + 3);
  t.is(p.restarts, 3);
  t.is(p.restartSeconds, 30);
  const expected = starts('gate-off') * 2 + starts('record-hit') * 3 + 4 * 0.1;
  t.is(Number(p.sampleSeconds.toFixed(6)), Number(expected.toFixed(6)));
  t.is(Number(p.totalSeconds.toFixed(6)), Number((expected + 30).toFixed(6)));
  t.is(Number(p.perBlock.reduce((a, b) => a + b, 0).toFixed(6)), Number(p.totalSeconds.toFixed(6)));
  const text = planText(s, p);
  t.regex(text, /3 kubelet restarts/);
  const mins = Math.floor((expected + 30) / 60);
  t.true(text.includes(`Projected wall time: ${mins} min ${Math.round(expected + 30 - mins * 60)} s`), text);
  t.regex(text, /10 at 0 ms injected delay, 4 at each of 100 ms/);
  t.throws(() => projectPlan(s, { secondsPerSample: { 'gate-off': 2 }, secondsPerRestart: 10 }), { instanceOf: UsageError, message: /record-hit/ });
});
