// The harness's own time per pod start: the end-to-end time the harness sees (its pod create call
// returned, to its handling of the watch event that shows the pod started) minus the kubelet's own
// time for that pod from the node's log timestamps. What is left is the API server, the scheduler,
// the watch delivery and the harness itself: the part of a pod start the harness could distort.
// kind nodes are containers on the host's kernel, so node log times and host times share one clock.
import { median, quantileSorted } from 'simple-statistics';

export interface PodTimestamps {
  pod: string;
  /** Host clock, epoch ms: the create call returned. */
  createReturnedMs: number;
  /** Host clock, epoch ms: the harness handled the watch event showing the pod started. */
  watchHandledMs: number;
  /** Node clock, epoch ms: the kubelet's first line for the pod (e.g. "SyncLoop ADD"). */
  kubeletStartMs: number;
  /** Node clock, epoch ms: the kubelet's last line before the watch event (e.g. its status update). */
  kubeletEndMs: number;
}

export interface HarnessOverheadRow {
  pod: string;
  podStartMs: number;
  kubeletMs: number;
  harnessMs: number;
}

export interface HarnessOverhead {
  n: number;
  rows: HarnessOverheadRow[];
  medianPodStartMs: number;
  medianHarnessMs: number;
  p95HarnessMs: number;
  /** medianHarnessMs / medianPodStartMs */
  ratio: number;
  limit: number;
  pass: boolean;
  how: string;
}

export const HARNESS_LIMIT = 0.1;

export function harnessOverhead(pods: readonly PodTimestamps[], kubeletMarkers = '"SyncLoop ADD" to "Status for pod updated successfully"', limit = HARNESS_LIMIT): HarnessOverhead {
  if (pods.length === 0) throw new Error('no pod timestamps to compute the harness overhead from');
  const rows = pods.map((p): HarnessOverheadRow => {
    const podStartMs = p.watchHandledMs - p.createReturnedMs;
    const kubeletMs = p.kubeletEndMs - p.kubeletStartMs;
    if (podStartMs < 0 || kubeletMs < 0) throw new Error(`pod ${p.pod}: timestamps out of order (pod start ${podStartMs} ms, kubelet ${kubeletMs} ms)`);
    return { pod: p.pod, podStartMs, kubeletMs, harnessMs: podStartMs - kubeletMs };
  });
  const harness = rows.map((r) => r.harnessMs).sort((a, b) => a - b);
  const medianPodStartMs = median(rows.map((r) => r.podStartMs));
  const medianHarnessMs = median(harness);
  const ratio = medianHarnessMs / medianPodStartMs;
  return {
    n: rows.length, rows, medianPodStartMs, medianHarnessMs, p95HarnessMs: quantileSorted(harness, 0.95), ratio, limit,
    pass: ratio < limit,
    how: `per pod: (watch event handled - create call returned, host clock) - (kubelet ${kubeletMarkers}, klog timestamps on the node); median over ${rows.length} pod starts, compared with ${Math.round(limit * 100)}% of the median end-to-end pod start`,
  };
}
