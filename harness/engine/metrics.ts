// Kubelet metrics around a window or a scenario: the node-wide counters of the image manager (1.35+)
// and the credential provider. They carry no pod label, so a change belongs to one scenario only in
// windows that run one scenario at a time.
import { metricValue } from '../node/kind-node.ts';
import type { Worker } from './worker.ts';

/** Series pullproof reports, by their exact names in the kubelet's code (docs/specification.md A9, B7). */
export const TRACKED: { name: string; labels?: Record<string, string> }[] = [
  ...['credentialPolicyAllowed', 'credentialRecordFound', 'mustAuthenticate', 'error'].map((result) => ({ name: 'kubelet_imagemanager_image_mustpull_checks_total', labels: { result } })),
  { name: 'kubelet_image_manager_ensure_image_requests_total' },
  { name: 'kubelet_credential_provider_plugin_duration_count' },
  { name: 'kubelet_credential_provider_plugin_errors_total' },
];

export function seriesName(t: { name: string; labels?: Record<string, string> }): string {
  const l = Object.entries(t.labels ?? {}).map(([k, v]) => `${k}="${v}"`).join(',');
  return l ? `${t.name}{${l}}` : t.name;
}

export async function nodeMetrics(worker: Worker): Promise<string> {
  return worker.node.metrics();
}

/** Changes of the tracked series between two scrapes (series absent from both are left out). */
export function metricDeltas(before: string, after: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of TRACKED) {
    const present = after.includes(t.name) || before.includes(t.name);
    if (!present) continue;
    out[seriesName(t)] = metricValue(after, t.name, t.labels) - metricValue(before, t.name, t.labels);
  }
  return out;
}

const MUSTPULL = 'kubelet_imagemanager_image_mustpull_checks_total';
const ENSURE = 'kubelet_image_manager_ensure_image_requests_total';

/** Compares a window's counter changes with the oracle's predictions for its pod starts. */
export function checkWindowMetrics(predicted: readonly string[], podStarts: number, observed: Record<string, number>): { ok: boolean; expected: Record<string, number>; observed: Record<string, number>; problems: string[] } {
  const expected: Record<string, number> = {};
  for (const result of ['credentialPolicyAllowed', 'credentialRecordFound', 'mustAuthenticate', 'error']) {
    expected[`${MUSTPULL}{result="${result}"}`] = predicted.filter((p) => p === result).length;
  }
  expected[ENSURE] = podStarts;
  const problems: string[] = [];
  const seen: Record<string, number> = {};
  for (const [series, want] of Object.entries(expected)) {
    const got = observed[series] ?? 0;
    seen[series] = got;
    if (want === 0 && got > 0 && series !== ENSURE) problems.push(`${series}: the oracle predicts none, the kubelet counted ${got}`);
    if (got < want) problems.push(`${series}: the oracle predicts at least ${want}, the kubelet counted ${got}`);
  }
  return { ok: problems.length === 0, expected, observed: seen, problems };
}
