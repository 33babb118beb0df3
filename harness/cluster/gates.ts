// Feature gates are set per node and validated against that node's own kubelet before anything is
// applied: the kubelet lists every gate it knows in `kubelet --help`, so that list (not a table of
// ours) decides what is unknown. An unknown gate makes a kubelet refuse to start ("unrecognized
// feature gate"), so it is a usage error here, with the node and the fix.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.ts';
import { output } from '../util/exec.ts';
import { warn } from '../util/log.ts';

import { ENSURE_SECRET_PULLED_IMAGES, SA_TOKEN_FOR_CREDENTIAL_PROVIDERS } from '../oracle/versions.ts';

export { ENSURE_SECRET_PULLED_IMAGES, SA_TOKEN_FOR_CREDENTIAL_PROVIDERS };

/** Wrong names seen in the wild, mapped to the real gate (with a warning). */
export const GATE_ALIASES: Record<string, string> = {
  // The v1.33 blog post ("Try it out", step 2) and articles copied from it use this name; no kubelet knows it.
  ServiceAccountTokenForKubeletCredentialProviders: SA_TOKEN_FOR_CREDENTIAL_PROVIDERS,
};

export interface GateInfo {
  stage: string;
  defaultValue: boolean;
}

/** Parses the `--feature-gates` section of `kubelet --help`. */
export function parseKubeletGates(help: string): Map<string, GateInfo> {
  const gates = new Map<string, GateInfo>();
  for (const m of help.matchAll(/^\s+([A-Za-z0-9]+)=true\|false \(([A-Z]+) - default=(true|false)\)/gm)) {
    gates.set(m[1] as string, { stage: m[2] as string, defaultValue: m[3] === 'true' });
  }
  return gates;
}

const cache = new Map<string, Map<string, GateInfo>>();

/** The gates a kubelet binary knows (cached by the binary's content). */
export async function kubeletGates(binary: string): Promise<Map<string, GateInfo>> {
  const key = createHash('sha256').update(readFileSync(binary)).digest('hex');
  let gates = cache.get(key);
  if (!gates) {
    const help = await output([binary, '--help'], { allowFailure: true });
    gates = parseKubeletGates(help);
    if (gates.size === 0) throw new Error(`${binary} --help listed no feature gates; is it a kubelet?`);
    cache.set(key, gates);
  }
  return gates;
}

/**
 * Maps aliases to real names and refuses gates this kubelet does not know.
 * field: where the gates came from, e.g. "nodes[1].featureGates".
 */
export function resolveGates(requested: Record<string, boolean>, known: Map<string, GateInfo>, kubeletVersion: string, field: string): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const [name, value] of Object.entries(requested)) {
    let real = name;
    const alias = GATE_ALIASES[name];
    if (alias) {
      warn(`${field}.${name}: "${name}" is not a kubelet feature gate (a wrong name from the v1.33 blog); using ${alias}`);
      real = alias;
    }
    if (!known.has(real)) {
      const close = [...known.keys()].filter((k) => k.toLowerCase().includes(real.toLowerCase().slice(0, 12))).slice(0, 3);
      throw new UsageError(`${field}.${name}`, `the ${kubeletVersion} kubelet does not know the feature gate ${real} and would refuse to start`,
        close.length ? `did you mean ${close.join(' or ')}? Otherwise remove it for this node` : `remove it for this node, or give the node a kubelet that has it`);
    }
    if (real in out && out[real] !== value) {
      throw new UsageError(`${field}.${name}`, `${real} is set to both ${out[real]} and ${value}`, 'set it once');
    }
    out[real] = value;
  }
  return out;
}

/** A gate's effective value on a kubelet: the explicit setting, else the kubelet's default, else off. */
export function gateEnabled(gate: string, explicit: Record<string, boolean>, known: Map<string, GateInfo>): boolean {
  return explicit[gate] ?? known.get(gate)?.defaultValue ?? false;
}
