// kubelet log lines: klog's header (Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg) with microsecond
// timestamps, structured key=value pairs, and journald's short-iso-precise prefix
// (2025-11-29T16:07:44.123456+00:00 host kubelet[1234]: ...) as `journalctl -o short-iso-precise`
// writes it (pullproof's KindNode.logsSince). A pod's in-node start is timed between two marker
// lines; the defaults exist at -v=3 in kubelet v1.35.4, and every marker is configurable because
// log messages are not an API.
import { isoOffsetMinutes, isoToEpochUs, readGoQuoted } from './parse-text.ts';

export interface JournalPrefix {
  atUs: number;
  /** Minutes east of UTC of the printed time. */
  offsetMinutes: number;
  year: number;
  month: number;
  host: string;
  identifier: string;
  pid?: number;
  message: string;
}

const JOURNAL = /^(\d{4})-(\d{2})-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}) (\S+) ([^\s[:]+)(?:\[(\d+)\])?: ?(.*)$/;

/** Splits journald's short-iso(-precise) prefix off a line, or undefined when it has none. */
export function splitJournalPrefix(line: string): JournalPrefix | undefined {
  const m = JOURNAL.exec(line);
  if (!m) return undefined;
  const stamp = line.slice(0, line.indexOf(' '));
  const atUs = isoToEpochUs(stamp);
  const offsetMinutes = isoOffsetMinutes(stamp);
  if (atUs === undefined || offsetMinutes === undefined) return undefined;
  const out: JournalPrefix = {
    atUs, offsetMinutes, year: Number(m[1]), month: Number(m[2]), host: m[3] as string, identifier: m[4] as string, message: m[6] as string,
  };
  if (m[5] !== undefined) out.pid = Number(m[5]);
  return out;
}

export interface KlogLine {
  severity: 'I' | 'W' | 'E' | 'F';
  /** Epoch microseconds of the klog header (the moment the kubelet logged). */
  atUs: number;
  threadId: number;
  /** file.go:123 */
  source: string;
  /** The quoted message of a structured line, or the whole text of an unstructured one. */
  message: string;
  /** key=value pairs of a structured line, values unquoted; [..] and {..} values kept as written. */
  fields: Record<string, string>;
  journal?: JournalPrefix;
}

export interface KlogTimeContext {
  /** klog headers carry no year: taken from the journald prefix when there is one, else this. */
  year?: number;
  /** Zone of the kubelet's clock in minutes east of UTC: the journald prefix's zone, else this, else 0 (kind nodes run in UTC). */
  utcOffsetMinutes?: number;
}

const KLOG = /^([IWEF])(\d{2})(\d{2}) (\d{2}):(\d{2}):(\d{2})\.(\d{6})\s+(\d+) ([^\]\s]+)\] ?(.*)$/;

/** Reads one value of a structured pair: "quoted", [list], {map}, or a bare word. */
function readValue(s: string): { value: string; rest: string } | undefined {
  if (s.startsWith('"')) return readGoQuoted(s);
  if (s.startsWith('[') || s.startsWith('{')) {
    let depth = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s[i];
      if (c === '"') {
        const q = readGoQuoted(s.slice(i));
        if (!q) return undefined;
        i = s.length - q.rest.length - 1;
        continue;
      }
      if (c === '[' || c === '{') depth++;
      else if (c === ']' || c === '}') {
        depth--;
        if (depth === 0) return { value: s.slice(0, i + 1), rest: s.slice(i + 1) };
      }
    }
    return undefined;
  }
  const v = /^\S*/.exec(s)?.[0] ?? '';
  return { value: v, rest: s.slice(v.length) };
}

export function parseKlogFields(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let s = text.trimStart();
  while (s !== '') {
    const k = /^([A-Za-z0-9_.-]+)=/.exec(s);
    if (!k) break;
    const v = readValue(s.slice(k[0].length));
    if (!v) break;
    out[k[1] as string] = v.value;
    s = v.rest.trimStart();
  }
  return out;
}

export function parseKlogLine(line: string, ctx: KlogTimeContext = {}): KlogLine | undefined {
  const journal = splitJournalPrefix(line);
  const body = journal ? journal.message : line;
  const m = KLOG.exec(body);
  if (!m) return undefined;
  const [, sev, mo, d, h, mi, s, us, tid, source, rest = ''] = m as unknown as string[];
  const month = Number(mo);
  let year = ctx.year;
  if (journal) {
    year = journal.year;
    // A line logged on 31 December and printed by journald on 1 January, or the reverse.
    if (journal.month === 1 && month === 12) year--;
    else if (journal.month === 12 && month === 1) year++;
  }
  if (year === undefined) throw new Error('klog timestamps carry no year: pass the year, or read the journal with -o short-iso-precise');
  const offset = journal ? journal.offsetMinutes : ctx.utcOffsetMinutes ?? 0;
  const ms = Date.UTC(year, month - 1, Number(d), Number(h), Number(mi), Number(s));
  const atUs = ms * 1000 + Number(us) - offset * 60_000_000;
  let message = rest;
  let fields: Record<string, string> = {};
  const q = readGoQuoted(rest);
  if (q) {
    message = q.value;
    fields = parseKlogFields(q.rest);
  }
  const out: KlogLine = { severity: sev as KlogLine['severity'], atUs, threadId: Number(tid), source: source as string, message, fields };
  if (journal) out.journal = journal;
  return out;
}

/** Every klog line of a journal text (other lines skipped). */
export function parseKlog(text: string, ctx: KlogTimeContext = {}): KlogLine[] {
  const out: KlogLine[] = [];
  for (const line of text.split('\n')) {
    const l = parseKlogLine(line, ctx);
    if (l) out.push(l);
  }
  return out;
}

/** A log line that marks a moment in a pod's start. */
export interface LogMarker {
  /** The structured message (exact) or a pattern for it. */
  message: string | RegExp;
  /** Field naming the pod as "namespace/name": pod="ns/name", or a list like pods=["ns/name"]. */
  podField: string;
  /** Other fields that must have these exact values. */
  where?: Record<string, string>;
  /** Where it comes from and at which verbosity, for the report. */
  source: string;
}

/**
 * Markers in kubelet v1.35.4 (file:line there). The default span is syncLoopAdd to containerStarted,
 * both present at -v=3.
 */
export const KUBELET_MARKERS = {
  /** The kubelet receives the pod from the API server; admission and the pod worker follow at once. */
  syncLoopAdd: { message: 'SyncLoop ADD', podField: 'pods', where: { source: 'api' }, source: 'pkg/kubelet/kubelet.go:2588, klog V(2)' },
  /** The pod worker's sync starts; needs -v=4. */
  syncPodEnter: { message: 'SyncPod enter', podField: 'pod', source: 'pkg/kubelet/kubelet.go:1950, klog V(4)' },
  /** The runtime manager decides the pod's actions (every sync). */
  computePodActions: { message: 'computePodActions got for pod', podField: 'pod', source: 'pkg/kubelet/kuberuntime/kuberuntime_manager.go:1398, klog V(3)' },
  /** Pulled event: the image check finished (already present) or the pull succeeded. */
  pulled: { message: 'Event occurred', podField: 'object', where: { reason: 'Pulled' }, source: 'event "Pulled" from pkg/kubelet/images/image_manager.go, logged by client-go tools/record/event.go:389 at V(3) (cmd/kubelet/app/server.go:573)' },
  /** Started event: CRI StartContainer returned. */
  containerStarted: { message: 'Event occurred', podField: 'object', where: { reason: 'Started' }, source: 'event "Started" from pkg/kubelet/kuberuntime/kuberuntime_container.go:298, logged by client-go tools/record/event.go:389 at V(3)' },
  /** The status manager's patch succeeded (what the harness's watch then sees). */
  statusUpdated: { message: 'Status for pod updated successfully', podField: 'pod', source: 'pkg/kubelet/status/status_manager.go:1074, klog V(3)' },
} as const satisfies Record<string, LogMarker>;

/** Whether a field value names the pod: "ns/name" itself or a list containing it. */
export function fieldNamesPod(value: string | undefined, pod: string): boolean {
  if (value === undefined) return false;
  if (value === pod) return true;
  if (value.startsWith('[')) {
    try {
      const list = JSON.parse(value) as unknown;
      return Array.isArray(list) && list.includes(pod);
    } catch {
      return false;
    }
  }
  return false;
}

export function matchesMarker(line: KlogLine, pod: string, marker: LogMarker): boolean {
  const msgOk = typeof marker.message === 'string' ? line.message === marker.message : marker.message.test(line.message);
  if (!msgOk || !fieldNamesPod(line.fields[marker.podField], pod)) return false;
  for (const [k, v] of Object.entries(marker.where ?? {})) if (line.fields[k] !== v) return false;
  return true;
}

/** The first (or last) line matching a marker for the pod. */
export function findMarker(lines: readonly KlogLine[], pod: string, marker: LogMarker, which: 'first' | 'last' = 'first'): KlogLine | undefined {
  const hits = lines.filter((l) => matchesMarker(l, pod, marker));
  return which === 'first' ? hits[0] : hits[hits.length - 1];
}

export interface PodSpan {
  pod: string;
  startUs: number;
  endUs: number;
  ms: number;
  start: string;
  end: string;
}

/**
 * The pod's in-node start: from the first start marker to the first end marker after it, from the
 * klog timestamps. Undefined when either line is missing (check the kubelet's -v).
 */
export function podSpan(
  lines: readonly KlogLine[], pod: string,
  markers: { start?: LogMarker; end?: LogMarker } = {},
): PodSpan | undefined {
  const start = markers.start ?? KUBELET_MARKERS.syncLoopAdd;
  const end = markers.end ?? KUBELET_MARKERS.containerStarted;
  const s = findMarker(lines, pod, start);
  if (!s) return undefined;
  const e = lines.find((l) => l.atUs >= s.atUs && matchesMarker(l, pod, end));
  if (!e) return undefined;
  return { pod, startUs: s.atUs, endUs: e.atUs, ms: (e.atUs - s.atUs) / 1000, start: start.source, end: end.source };
}
