// The kubelet's Pulled event messages (pkg/kubelet/images/image_manager.go, v1.35.4):
//   "Successfully pulled image %q in %v (%v including waiting). Image size: %v bytes."
//     (the first duration is the puller's CRI PullImage + image size lookup, the second adds the wait
//     for a parallel-pull slot; both truncated to milliseconds before formatting)
//   "Container image %q already present on machine"                                (gate off)
//   "Container image %q already present on machine and can be accessed by the pod" (gate on, no pull needed)
import { goDurationMs, readGoQuoted } from './parse-text.ts';

export type PulledEvent =
  | { kind: 'pulled'; image: string; pullMs: number; includingWaitingMs: number; imageSizeBytes: number }
  | { kind: 'present'; image: string; /** "and can be accessed by the pod": the gate's check ran and allowed it. */ checked: boolean };

const PULLED_TAIL = /^ in (\S+) \((\S+) including waiting\)\. Image size: (\d+) bytes\.$/;

export function parsePulledMessage(message: string): PulledEvent | undefined {
  if (message.startsWith('Successfully pulled image ')) {
    const q = readGoQuoted(message.slice('Successfully pulled image '.length));
    const m = q && PULLED_TAIL.exec(q.rest);
    if (!q || !m) return undefined;
    try {
      return { kind: 'pulled', image: q.value, pullMs: goDurationMs(m[1] as string), includingWaitingMs: goDurationMs(m[2] as string), imageSizeBytes: Number(m[3]) };
    } catch {
      return undefined;
    }
  }
  if (message.startsWith('Container image ')) {
    const q = readGoQuoted(message.slice('Container image '.length));
    if (!q) return undefined;
    if (q.rest === ' already present on machine') return { kind: 'present', image: q.value, checked: false };
    if (q.rest === ' already present on machine and can be accessed by the pod') return { kind: 'present', image: q.value, checked: true };
  }
  return undefined;
}
