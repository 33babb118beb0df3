// Loads known-bugs.json (the one place known kubelet bugs live) and answers whether one applies to a
// kubelet version and container runtime.
import { readFileSync } from 'node:fs';
import { inRange } from './versions.ts';
import type { RuntimeModel } from './types.ts';

export interface KnownBug {
  issue: number;
  title: string;
  url: string;
  versions: string;
  runtime: 'containerd' | 'cri-o' | null;
  runtimeVersions?: string;
  fixedBy: string;
  fixedIn: string | null;
  section: string;
}

const data = JSON.parse(readFileSync(new URL('./known-bugs.json', import.meta.url), 'utf8')) as { bugs: KnownBug[] };

export const KNOWN_BUGS: readonly KnownBug[] = data.bugs;

export function knownBug(issue: number): KnownBug {
  const b = KNOWN_BUGS.find((x) => x.issue === issue);
  if (!b) throw new Error(`known-bugs.json has no issue ${issue}`);
  return b;
}

/** Whether bug `issue` affects this kubelet (and runtime, for runtime-specific bugs). */
export function bugApplies(issue: number, kubeletVersion: string, runtime: RuntimeModel = { name: 'containerd', version: '' }): boolean {
  const b = knownBug(issue);
  let versionOk: boolean;
  try {
    versionOk = inRange(kubeletVersion, b.versions);
  } catch {
    return false;
  }
  if (!versionOk) return false;
  if (b.runtime && b.runtime !== runtime.name) return false;
  if (b.runtime && b.runtimeVersions && runtime.version) {
    try {
      if (!inRange(runtime.version, b.runtimeVersions)) return false;
    } catch {
      return true;
    }
  }
  return true;
}
