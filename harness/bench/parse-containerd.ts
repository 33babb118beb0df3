// containerd's CRI pull log lines, containerd v2.2.0 (the version in pullproof's node images):
//   internal/cri/instrument/instrumented_service.go:355  Infof("PullImage %q", image)
//   internal/cri/instrument/instrumented_service.go:358  Errorf("PullImage %q failed", image) with error=...
//   internal/cri/instrument/instrumented_service.go:360  Infof("PullImage %q returns image reference %q", image, ref)
//   internal/cri/server/images/image_pull.go:224          Infof("Pulled image %q with image id %q, repo tag %q,
//                                                           repo digest %q, size %q in %s", ..., time.Since(startTime))
// "Pulled image ... in X" times CRIImageService.PullImage inside containerd (resolve, fetch, unpack,
// image store update); "PullImage" to "returns image reference" brackets the whole CRI call on the
// server side. containerd writes logrus text (time="RFC3339Nano" level=info msg="...") or, with
// format = "json", one JSON object per line; journald adds its own prefix. All three are read here.
import { goDurationMs, isoToEpochUs, readGoQuoted } from './parse-text.ts';
import { splitJournalPrefix } from './parse-klog.ts';

export type ContainerdPullLine =
  | { kind: 'start'; atUs?: number; image: string }
  | { kind: 'returned'; atUs?: number; image: string; imageRef: string }
  | { kind: 'failed'; atUs?: number; image: string; error?: string }
  | { kind: 'pulled'; atUs?: number; image: string; imageId: string; repoTag: string; repoDigest: string; sizeBytes: number; durationMs: number };

/** logfmt as logrus writes it: key=value, values either bare or Go-quoted. */
function parseLogfmt(text: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  let s = text.trim();
  while (s !== '') {
    const k = /^([A-Za-z0-9_.-]+)=/.exec(s);
    if (!k) return undefined;
    s = s.slice(k[0].length);
    if (s.startsWith('"')) {
      const q = readGoQuoted(s);
      if (!q) return undefined;
      out[k[1] as string] = q.value;
      s = q.rest.trimStart();
    } else {
      const v = /^\S*/.exec(s)?.[0] ?? '';
      out[k[1] as string] = v;
      s = s.slice(v.length).trimStart();
    }
  }
  return out;
}

function fields(line: string): { time?: string; msg: string; error?: string } | undefined {
  const body = splitJournalPrefix(line)?.message ?? line;
  const trimmed = body.trim();
  if (trimmed.startsWith('{')) {
    try {
      const j = JSON.parse(trimmed) as Record<string, unknown>;
      if (typeof j.msg !== 'string') return undefined;
      return { msg: j.msg, time: typeof j.time === 'string' ? j.time : undefined, error: typeof j.error === 'string' ? j.error : undefined };
    } catch {
      return undefined;
    }
  }
  const f = parseLogfmt(trimmed);
  if (!f || f.msg === undefined) return undefined;
  return { msg: f.msg, time: f.time, error: f.error };
}

const PULLED = /^ with image id "(.*?)", repo tag "(.*?)", repo digest "(.*?)", size "(\d+)" in (\S+)$/;

export function parseContainerdLine(line: string): ContainerdPullLine | undefined {
  const f = fields(line);
  if (!f) return undefined;
  const atUs = f.time === undefined ? undefined : isoToEpochUs(f.time);
  const at = atUs === undefined ? {} : { atUs };
  if (f.msg.startsWith('PullImage ')) {
    const q = readGoQuoted(f.msg.slice('PullImage '.length));
    if (!q) return undefined;
    if (q.rest === '') return { kind: 'start', ...at, image: q.value };
    if (q.rest === ' failed') return { kind: 'failed', ...at, image: q.value, ...(f.error === undefined ? {} : { error: f.error }) };
    if (q.rest.startsWith(' returns image reference ')) {
      const r = readGoQuoted(q.rest.slice(' returns image reference '.length));
      if (r && r.rest === '') return { kind: 'returned', ...at, image: q.value, imageRef: r.value };
    }
    return undefined;
  }
  if (f.msg.startsWith('Pulled image ')) {
    const q = readGoQuoted(f.msg.slice('Pulled image '.length));
    const m = q && PULLED.exec(q.rest);
    if (!q || !m) return undefined;
    try {
      return {
        kind: 'pulled', ...at, image: q.value, imageId: m[1] as string, repoTag: m[2] as string, repoDigest: m[3] as string,
        sizeBytes: Number(m[4]), durationMs: goDurationMs(m[5] as string),
      };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

export interface ContainerdPull {
  image: string;
  /** From "PullImage" to "returns image reference" (or "failed"), server side, microsecond timestamps. */
  criMs?: number;
  /** containerd's own "Pulled image ... in X". */
  pulledMs?: number;
  ok: boolean;
}

/** The pulls in a containerd journal, in order: each "PullImage" start closed by its result line. */
export function containerdPulls(text: string): ContainerdPull[] {
  const open = new Map<string, { startUs?: number; pulledMs?: number }[]>();
  const out: ContainerdPull[] = [];
  for (const line of text.split('\n')) {
    const l = parseContainerdLine(line);
    if (!l) continue;
    const queue = open.get(l.image) ?? [];
    open.set(l.image, queue);
    if (l.kind === 'start') queue.push({ startUs: l.atUs });
    else if (l.kind === 'pulled') {
      const cur = queue[0];
      if (cur) cur.pulledMs = l.durationMs;
    } else {
      const cur = queue.shift();
      const pull: ContainerdPull = { image: l.image, ok: l.kind === 'returned' };
      if (cur?.startUs !== undefined && l.atUs !== undefined) pull.criMs = (l.atUs - cur.startUs) / 1000;
      if (cur?.pulledMs !== undefined) pull.pulledMs = cur.pulledMs;
      out.push(pull);
    }
  }
  return out;
}
