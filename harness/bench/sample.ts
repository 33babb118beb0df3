// One pod start's raw material (request records, two metric scrapes, the kubelet and containerd
// journals, the Pulled event, the harness's own timestamps) turned into a BenchSample and the
// timestamps of the harness-overhead check. Missing sources leave their measure out and say why.
import type { RequestRecord } from '../proxy/records.ts';
import type { PodTimestamps } from './harness-overhead.ts';
import { containerdPulls, sandboxReturnedUs } from './parse-containerd.ts';
import { parsePulledMessage } from './parse-events.ts';
import { KUBELET_MARKERS, matchesMarker, parseKlog, type LogMarker } from './parse-klog.ts';
import { MUSTPULL_CHECKS, ENSURE_IMAGE_REQUESTS, ensureImageDelta, hasMetric, mustPullDelta, parsePrometheusText, pluginDelta } from './parse-prometheus.ts';
import { toBenchRequest } from './requests.ts';
import type { BenchSample } from './result.ts';
import type { ScheduledSample } from './schedule.ts';

export interface RawPodStart {
  scheduled: ScheduledSample;
  /** "namespace/name" of the pod. */
  pod: string;
  /** The image reference as in the pod spec (to find containerd's lines for it). */
  image: string;
  /** The request log's records of this pod start (its scenario). */
  requests: readonly RequestRecord[];
  /** Kubelet /metrics text scraped just before the pod was created and after it started. */
  metricsBefore?: string;
  metricsAfter?: string;
  /** `journalctl -u kubelet -o short-iso-precise` covering the pod start (kubelet at -v=3). */
  kubeletJournal?: string;
  /** `journalctl -u containerd -o short-iso-precise` covering the pod start. */
  containerdJournal?: string;
  /** Message of the pod's Pulled event. */
  pulledMessage?: string;
  /** Host clock, epoch ms. */
  createReturnedMs?: number;
  watchHandledMs?: number;
  /**
   * Whether the kubelet has the image manager counters (1.35+; from its version). A counter vector
   * shows up in /metrics only after its first increment, so on a 1.35 kubelet that never ran the
   * check (gate off) the metric is simply absent. Without this, presence in the scrapes decides.
   */
  imageManagerMetrics?: boolean;
  /**
   * Whether the kubelet had a credential provider configured for this pod start. Without one the
   * plugin histogram is absent from /metrics, and the plugin ran 0 times by construction.
   */
  providerConfigured?: boolean;
  /** In-node span markers; default "SyncLoop ADD" to the Started event. */
  markers?: { start?: LogMarker; end?: LogMarker };
}

export interface BuiltSample {
  sample: BenchSample;
  /** For harnessOverhead(), when the journal and the host timestamps allow. */
  timestamps?: PodTimestamps;
  /** Sources that gave nothing, and why. */
  problems: string[];
}

export function buildSample(raw: RawPodStart): BuiltSample {
  const s = raw.scheduled;
  const problems: string[] = [];
  const sample: BenchSample = {
    id: s.id, arm: s.arm, block: s.block, seq: s.seq, delayMs: s.delayMs, warmup: s.warmup,
    measures: {}, requests: raw.requests.map(toBenchRequest),
  };
  let timestamps: PodTimestamps | undefined;

  if (raw.kubeletJournal !== undefined) {
    const lines = parseKlog(raw.kubeletJournal);
    const startMarker = raw.markers?.start ?? KUBELET_MARKERS.syncLoopAdd;
    const endMarker = raw.markers?.end ?? KUBELET_MARKERS.containerStarted;
    const start = lines.find((l) => matchesMarker(l, raw.pod, startMarker));
    const end = start && lines.find((l) => l.atUs >= start.atUs && matchesMarker(l, raw.pod, endMarker));
    if (!start) problems.push(`no "${String(startMarker.message)}" line for ${raw.pod} in the kubelet journal (${startMarker.source}): is the kubelet at -v=3?`);
    else if (!end) problems.push(`no "${String(endMarker.message)}" line for ${raw.pod} after its start in the kubelet journal (${endMarker.source})`);
    else {
      sample.measures.inNode = (end.atUs - start.atUs) / 1000;
      const status = lines.find((l) => l.atUs >= end.atUs && matchesMarker(l, raw.pod, KUBELET_MARKERS.statusUpdated));
      if (status && raw.createReturnedMs !== undefined && raw.watchHandledMs !== undefined) {
        timestamps = { pod: raw.pod, createReturnedMs: raw.createReturnedMs, watchHandledMs: raw.watchHandledMs, kubeletStartMs: start.atUs / 1000, kubeletEndMs: status.atUs / 1000 };
      } else if (!status) problems.push(`no "Status for pod updated successfully" line for ${raw.pod} after its container started: no harness-overhead timestamps`);
    }
  }

  if (raw.kubeletJournal !== undefined && raw.containerdJournal !== undefined) {
    const slash = raw.pod.indexOf('/');
    const sandboxUs = sandboxReturnedUs(raw.containerdJournal, raw.pod.slice(0, slash), raw.pod.slice(slash + 1));
    const pulled = sandboxUs === undefined ? undefined : parseKlog(raw.kubeletJournal).find((l) => l.atUs >= sandboxUs && matchesMarker(l, raw.pod, KUBELET_MARKERS.pulled));
    if (sandboxUs === undefined) problems.push(`no containerd "RunPodSandbox ... returns sandbox id" line for ${raw.pod}: no image check time`);
    else if (!pulled) problems.push(`no "Pulled" event line for ${raw.pod} after its sandbox was ready in the kubelet journal (${KUBELET_MARKERS.pulled.source})`);
    else sample.measures.imageCheck = (pulled.atUs - sandboxUs) / 1000;
  }

  if (raw.pulledMessage !== undefined) {
    const p = parsePulledMessage(raw.pulledMessage);
    if (!p) problems.push(`the Pulled event message is not in a known format: ${raw.pulledMessage.slice(0, 200)}`);
    else if (p.kind === 'pulled') {
      sample.measures.pulled = p.pullMs;
      sample.measures.pulledWaiting = p.includingWaitingMs;
    }
  }

  if (raw.containerdJournal !== undefined) {
    const pulls = containerdPulls(raw.containerdJournal).filter((p) => p.image === raw.image);
    const last = pulls[pulls.length - 1];
    if (pulls.length > 1) problems.push(`${pulls.length} containerd pulls of ${raw.image} in the journal excerpt: the last one was used`);
    if (last?.pulledMs !== undefined) sample.measures.containerdPull = last.pulledMs;
  }

  if (raw.metricsBefore !== undefined && raw.metricsAfter !== undefined) {
    const before = parsePrometheusText(raw.metricsBefore);
    const after = parsePrometheusText(raw.metricsAfter);
    const plugin = pluginDelta(before, after);
    if (!plugin.length && raw.providerConfigured === false) sample.plugin = [];
    if (plugin.length) {
      sample.plugin = plugin;
      const ran = plugin.filter((p) => p.calls > 0);
      if (ran.length) sample.measures.plugin = ran.reduce((a, p) => a + p.seconds, 0) * 1000;
    }
    const known = raw.imageManagerMetrics;
    if (known ?? hasMetric(after, MUSTPULL_CHECKS)) sample.mustPull = mustPullDelta(before, after);
    if (known ?? hasMetric(after, ENSURE_IMAGE_REQUESTS)) sample.ensureImage = ensureImageDelta(before, after);
  }

  if (raw.createReturnedMs !== undefined && raw.watchHandledMs !== undefined) sample.measures.endToEnd = raw.watchHandledMs - raw.createReturnedMs;

  const out: BuiltSample = { sample, problems };
  if (timestamps) out.timestamps = timestamps;
  return out;
}
