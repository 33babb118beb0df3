// Kubelet metrics around a window or a scenario: the node-wide counters of the image manager (1.35+)
// and the credential provider. They carry no pod label, so a change belongs to one scenario only in
// windows that run one scenario at a time.
import { metricValue } from '../node/kind-node.ts';
import type { Worker } from './worker.ts';

/** Series pullproof reports, by their exact names in the kubelet's code (kubelet-features.md A9, B7). */
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
