// Round trips of one pod start, from the request records of the fault proxies and the STS. The
// records count requests; they do not time the pod start (their durations contain the injected
// delay). The critical path count is how many injected delays a pod start must wait for one after
// another: requests made one after another count each, requests that overlap in time count once.
import type { RequestKind, RequestRecord, Target } from '../proxy/records.ts';

export const TARGETS: readonly Target[] = ['registry', 'token', 'sts'];

/** The fields of a request record the bench keeps in its raw samples. */
export type BenchRequest = Pick<RequestRecord, 'target' | 'kind' | 'at' | 'durationMs' | 'status'> & { fault?: string };

export function toBenchRequest(r: RequestRecord): BenchRequest {
  const out: BenchRequest = { target: r.target, kind: r.kind, at: r.at, durationMs: r.durationMs, status: r.status };
  if (r.fault !== undefined) out.fault = r.fault;
  return out;
}

export interface Interval {
  target: Target;
  kind: RequestKind;
  startMs: number;
  endMs: number;
}

export function toIntervals(records: readonly BenchRequest[]): Interval[] {
  return records.map((r) => {
    const startMs = Date.parse(r.at);
    if (Number.isNaN(startMs)) throw new Error(`request record time ${JSON.stringify(r.at)} is not an ISO time`);
    return { target: r.target, kind: r.kind, startMs, endMs: startMs + r.durationMs };
  });
}

/**
 * Overlap tolerance: record times have millisecond resolution (ISO strings), so a request that
 * starts right after another ended can appear to start up to 1 ms before that end.
 */
export const OVERLAP_TOLERANCE_MS = 2;

/**
 * The largest number of requests that lie one after another (pairwise non-overlapping), found by
 * the earliest-end-first greedy choice, which is optimal for intervals. Fully concurrent requests
 * give 1, a chain of n sequential requests gives n. With every request delayed by d, a pod start
 * waits at least this many times d.
 */
export function criticalPathCount(intervals: readonly Interval[], toleranceMs = OVERLAP_TOLERANCE_MS): number {
  const sorted = [...intervals].sort((a, b) => a.endMs - b.endMs || a.startMs - b.startMs);
  let count = 0;
  let lastEnd = -Infinity;
  for (const iv of sorted) {
    if (iv.startMs >= lastEnd - toleranceMs) {
      count++;
      lastEnd = iv.endMs;
    }
  }
  return count;
}

/** The requests of a pod start per target. */
export function roundTrips(records: readonly BenchRequest[]): Record<Target, number> {
  const out: Record<Target, number> = { registry: 0, token: 0, sts: 0 };
  for (const r of records) out[r.target]++;
  return out;
}

/** Critical path count using only the requests to the given targets. */
export function criticalPathFor(records: readonly BenchRequest[], targets: readonly Target[], toleranceMs = OVERLAP_TOLERANCE_MS): number {
  return criticalPathCount(toIntervals(records.filter((r) => targets.includes(r.target))), toleranceMs);
}
