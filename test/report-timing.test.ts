// Where a run's time went: the measurements computed from windows and scenarios (every one says how it
// was measured and over how many samples). A real run's windows: test/cluster-suites.test.ts.
import test from 'ava';
import { timingMeasurements } from '../harness/report/timing.ts';
import type { ScenarioResult, WindowResult } from '../harness/report/types.ts';

const win = (index: number, stages: WindowResult['stages']): WindowResult => ({
  index, kubelet: 'v1.35.4', worker: 'w', settings: {}, scenarios: 2, exclusive: false, parallel: 4, startedAt: '2026-12-07T01:00:00.000Z',
  seconds: Object.values(stages ?? {}).reduce((n, x) => n + x, 0), restarts: [{ why: 'configuration', seconds: 1.25 }], stages,
});
const scen = (podDecisions: number[]): ScenarioResult => ({
  kind: 'oracle', id: 'x', key: 'x@v1.35.4', suite: 's', name: 'x', kubelet: 'v1.35.4', labels: {}, status: 'passed', setup: [], attempts: [], seconds: 3,
  stages: { world: 0.5, setupPods: 1, setupSteps: 0, podUnderTest: 1.5, podDecisions },
});

test('window parts are summed over windows, scenario parts over scenarios, pod decisions counted with their median and p95', (t) => {
  const m = timingMeasurements({
    windows: [win(1, { configure: 1.5, scenarios: 10, barriers: 1, teardown: 0.5, bundles: 0 }), win(2, { configure: 0, scenarios: 20, barriers: 0, teardown: 1, bundles: 0 })],
    scenarios: [scen([1.2, 1.4]), scen([1.6]), { ...scen([]), stages: undefined }],
    executeSeconds: 35.25, parallel: 4,
  });
  const by = Object.fromEntries(m.map((x) => [x.name, x]));
  t.is(by['time: cluster Ready to the report']?.value, 35.25);
  t.deepEqual(['configure', 'scenarios', 'barriers', 'teardown', 'bundles'].map((p) => by[`time in windows: ${p}`]?.value), [1.5, 30, 1, 1.5, 0]);
  t.is(by['time in windows: scenarios']?.samples, 2);
  t.is(by['busy time in scenarios: podUnderTest']?.value, 3);
  t.is(by['busy time in scenarios: podUnderTest']?.samples, 2, 'the scenario that did not run is not counted');
  t.is(by['pods started (setup pods and pods under test)']?.value, 3);
  t.is(by["pod creation to the kubelet's decision, median"]?.value, 1.4);
  t.is(by["pod creation to the kubelet's decision, median"]?.samples, 3);
  t.is(by['time: kubelet restarts, in all']?.value, 2.5);
  for (const x of m) t.regex(x.how, /\w+ \w+/, `${x.name} says how it was measured`);
});

test('a run with no windows (nothing ran) has no timing measurements but the time to the report', (t) => {
  t.deepEqual(timingMeasurements({ windows: [], scenarios: [], parallel: 4 }), []);
});

test('the end of a run recaps every scenario that did not pass, worst first, one line each', async (t) => {
  const { recapLines } = await import('../harness/engine/run.ts');
  const s = (key: string, status: ScenarioResult['status'], message?: string): ScenarioResult => ({ ...scen([]), key, status, message });
  const lines = recapLines([s('a@v1', 'passed'), s('b@v1', 'known-bug', 'known bug kubernetes#138175'), s('c@v1', 'failed', 'expected x;\n observed y'), s('d@v1', 'not-applicable')]);
  t.deepEqual(lines, [
    'not passed:',
    "  FAIL c@v1: expected x; observed y; alone: npx pullproof run --suite s --kubelet v1.35.4 --focus '^x$'",
    "  KNOWN BUG b@v1: known bug kubernetes#138175; alone: npx pullproof run --suite s --kubelet v1.35.4 --focus '^x$'",
  ]);
  t.deepEqual(recapLines([s('a@v1', 'passed')]), []);
  // With the report folder: the command that reruns every failure at once, when one failed.
  t.is(recapLines([s('c@v1', 'failed', 'x')], 'reports/r1').at(-1), 'rerun what failed, erred or did not run: npx pullproof run --rerun-failed reports/r1');
  t.is(recapLines([s('b@v1', 'known-bug', 'x')], 'reports/r1').length, 2);
  // A scenario id with regular-expression characters is escaped in its --focus.
  t.true((recapLines([{ ...s('c@v1', 'failed', 'x'), id: 'a/b (c).d' }])[1] ?? '').endsWith(String.raw`--focus '^a/b \(c\)\.d$'`));
});

test('a long failure message in the recap is cut at a word, marked with …, never mid-word', async (t) => {
  const { clipWords } = await import('../harness/engine/run.ts');
  // The CI recap of fd9f2ec ended "1 attempt(s) set aside: t".
  const msg = 'expected runs-cached; observed never-pull: ErrImageNeverPull: Container image "registry.pullproof.test:5443/private/2c624771/img:v1" is not present with pull policy of Never; 1 attempt(s) set aside: the kubelet made them without the pull secret copy-b';
  const cut = clipWords(msg, 200);
  t.true(cut.length <= 200, cut);
  t.true(cut.endsWith('set aside …'), cut);
  t.is(clipWords('short', 200), 'short');
});
