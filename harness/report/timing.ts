// Where a run's time went, as measurements (each with how it was measured and over how many samples):
// the windows' wall clock by part (they partition each window), the scenarios' busy time by part, the pod
// starts and the kubelet's decision times, the kubelet restarts. Pure: computed from the results.
import { summarize } from '../util/stats.ts';
import type { Measurement, ScenarioResult, WindowResult, WindowStages } from './types.ts';

const WINDOW_PARTS: [keyof WindowStages, string][] = [
  ['configure', 'the kubelet put on each window\'s settings (restarts and swaps included)'],
  ['scenarios', 'the scenarios running --parallel at once (worlds, setup pods, pods under test)'],
  ['barriers', 'barriers performed once per window (restarts, settings changes, swaps, metric scrapes)'],
  ['teardown', 'namespaces and registry users deleted, swapped workers returned'],
  ['bundles', 'reproduction bundles of failed scenarios'],
];

const SCENARIO_PARTS: ['world' | 'setupPods' | 'setupSteps' | 'podUnderTest', string][] = [
  ['world', 'world creation: registry users, image builds and pushes, namespaces, secrets, service accounts'],
  ['setupPods', 'setup pods, from creation to their observation'],
  ['setupSteps', 'other setup steps: preloads, record edits, secret changes, waits, faults'],
  ['podUnderTest', 'pods under test, from creation to their observation'],
];

const round = (x: number): number => Math.round(x * 1000) / 1000;

export function timingMeasurements(o: { windows: readonly WindowResult[]; scenarios: readonly ScenarioResult[]; executeSeconds?: number; parallel: number }): Measurement[] {
  const out: Measurement[] = [];
  if (o.executeSeconds !== undefined) {
    out.push({ name: 'time: cluster Ready to the report', value: round(o.executeSeconds), unit: 's', samples: 1, how: 'wall clock (the harness clock) from the end of provisioning (clusters Ready, registry up) to the start of the report stage; one run' });
  }
  const ws = o.windows.filter((w) => w.stages);
  if (ws.length) {
    for (const [part, what] of WINDOW_PARTS) {
      out.push({ name: `time in windows: ${part}`, value: round(ws.reduce((n, w) => n + (w.stages?.[part] ?? 0), 0)), unit: 's', samples: ws.length, how: `wall clock, summed over the ${ws.length} windows: ${what}. The five parts of a window add up to its time; windows on different workers overlap` });
    }
  }
  const ran = o.scenarios.filter((s) => s.stages);
  if (ran.length) {
    for (const [part, what] of SCENARIO_PARTS) {
      out.push({ name: `busy time in scenarios: ${part}`, value: round(ran.reduce((n, s) => n + (s.stages?.[part] ?? 0), 0)), unit: 's', samples: ran.length, how: `seconds of the scenario's own work, summed over the ${ran.length} scenarios that ran: ${what}. Up to --parallel ${o.parallel} scenarios run at once, so the sum can exceed the wall clock` });
    }
    const decisions = ran.flatMap((s) => s.stages?.podDecisions ?? []);
    if (decisions.length) {
      out.push({ name: 'pods started (setup pods and pods under test)', value: decisions.length, unit: 'pods', samples: ran.length, how: `pods whose kubelet decision was judged, counted over the ${ran.length} scenarios that ran (set-aside attempts not counted)` });
      out.push({ name: 'pod creation to the kubelet\'s decision, median', value: round(summarize(decisions).p50), unit: 's', samples: decisions.length, how: 'client receive time of the watch event that showed the decision (running, or a terminal waiting reason) minus the time just before the create request, per pod; median (type 7 quantile)' });
      out.push({ name: 'pod creation to the kubelet\'s decision, p95', value: round(summarize(decisions).p95), unit: 's', samples: decisions.length, how: 'as the median above; 95th percentile (type 7 quantile)' });
    }
  }
  const restarts = o.windows.flatMap((w) => w.restarts);
  if (restarts.length) {
    out.push({ name: 'time: kubelet restarts, in all', value: round(restarts.reduce((n, r) => n + r.seconds, 0)), unit: 's', samples: restarts.length, how: 'sum over every restart of the run, each from systemctl restart kubelet until healthz answers and the node reports Ready with a heartbeat newer than the restart' });
  }
  return out;
}
