// Why `kind create cluster` failed, in the failing component's own words. kind prints its own error
// ("ERROR: failed to create cluster: failed to init node with kubeadm: command ... failed ..."), then the
// failed command's whole output ("Command Output: ..."), then, with -v 1 and above, its Go stack trace
// ("Stack Trace: ..."). A generic command error shows the tail of stderr, which is only that trace. Here
// the lines that carry the reason are picked out of the command's output (kubeadm's error, its
// "error execution phase" line, preflight [ERROR ...] lines, klog error lines); when kind printed no
// command output, or nothing in it reads as a reason, the kubelet journal and the container log of each
// node kind retained (`--retain`) are read before the cleanup stack deletes them.
import { HarnessError } from '../errors.ts';
import { nodeRecipe } from '../oracle/versions.ts';
import type { RunResult } from '../util/exec.ts';
import { output, run } from '../util/exec.ts';
import { redact } from '../util/secrets.ts';

export interface KindFailure {
  /** kind's own one-line error, without the "ERROR: " prefix. */
  kindError?: string;
  /** The component kind was running when it failed, e.g. "kubeadm init". */
  component: string;
  /** The failing component's own lines that say why, oldest first, without duplicates. */
  reasons: string[];
}

const MAX_REASONS = 8;
const MAX_LINE = 400;

// Lines that state a reason in kubeadm's, the kubelet's or containerd's words.
const REASON_PATTERNS: RegExp[] = [
  /error execution phase/i,
  /\[ERROR [^\]]+\]/,
  /old API spec|API version|is not registered|no kind "[^"]*" is registered|strict decoding error|unknown field|invalid configuration|not supported|unsupported/i,
  /^(error|fatal|failed)\b/i,
  /^E\d{4} \d\d:\d\d:\d\d/,
  /^F\d{4} \d\d:\d\d:\d\d/,
  /couldn't|could not|unable to|timed out|deadline exceeded|connection refused|permission denied/i,
];
// klog info and warning lines (I1129 ..., W1129 ...) narrate; only their error-level peers state a reason.
const KLOG_CHATTER = /^[IW]\d{4} \d\d:\d\d:\d\d/;
// Go stack frames ("pkg.Func(...)" followed by "\t/path/file.go:123 +0x1f") and goroutine headers.
const FRAME_FILE = /^\s+\S+\.(go|s):\d+/;
const GOROUTINE = /^goroutine \d+ \[/;

function isFrameFunction(line: string, next: string | undefined): boolean {
  return next !== undefined && FRAME_FILE.test(next) && /^[\w./*()-]+(\.[\w.*()-]+)+/.test(line.trim());
}

function clip(line: string): string {
  const t = line.trim();
  return t.length > MAX_LINE ? `${t.slice(0, MAX_LINE)}...` : t;
}

/** The section of kind's output between "Command Output:" and "Stack Trace:", or undefined. */
export function commandOutputOf(text: string): string | undefined {
  const start = text.indexOf('Command Output:');
  if (start < 0) return undefined;
  const body = text.slice(start + 'Command Output:'.length);
  const end = body.search(/^\s*Stack Trace:/m);
  return end < 0 ? body : body.slice(0, end);
}

/** Lines of a component's output that state why it failed (stack frames and info chatter left out). */
export function reasonLines(text: string, max = MAX_REASONS): string[] {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  const out: string[] = [];
  const add = (l: string): void => {
    const c = clip(l);
    if (c && !out.includes(c)) out.push(c);
  };
  for (const [i, line] of lines.entries()) {
    const t = line.trim();
    if (!t || FRAME_FILE.test(line) || GOROUTINE.test(t) || isFrameFunction(line, lines[i + 1]) || KLOG_CHATTER.test(t)) continue;
    // The line just above a Go stack trace is the error that trace belongs to (kubeadm at --v >= 5
    // prints its error that way), whatever its wording.
    const startsTrace = isFrameFunction(lines[i + 1] ?? '', lines[i + 2]);
    if (startsTrace || REASON_PATTERNS.some((p) => p.test(t))) add(t);
  }
  // The last lines are the conclusion (kubeadm ends with the error that stopped it).
  return out.slice(-max);
}

/** What kind's stderr says: its own error line, the component it ran, and that component's reasons. */
export function parseKindFailure(raw: string): KindFailure {
  // kind colours "ERROR" and "Command Output" when stderr is a terminal.
  // eslint-disable-next-line no-control-regex
  const text = raw.replace(/\u001b\[[0-9;]*m/g, '');
  const kindError = /^ERROR: (.+)$/m.exec(text)?.[1]?.trim();
  let component = 'kind';
  if (kindError) {
    const m = /failed to (init|join) node with kubeadm/.exec(kindError);
    if (m) component = `kubeadm ${m[1] as string}`;
    else if (/kubeadm/.test(kindError)) component = 'kubeadm';
  }
  const section = commandOutputOf(text);
  return { kindError, component, reasons: section === undefined ? [] : reasonLines(section) };
}

async function nodeContainers(cluster: string): Promise<{ name: string; state: string }[]> {
  const rows = await output(['docker', 'ps', '-a', '--filter', `label=io.x-k8s.kind.cluster=${cluster}`, '--format', '{{.Names}}\t{{.State}}'], { allowFailure: true });
  return rows.split('\n').filter(Boolean).map((r) => {
    const [name = '', state = ''] = r.split('\t');
    return { name, state };
  });
}

/** The kubelet's (and for stopped nodes, the container's) own error lines from nodes kind retained. */
export async function nodeReasons(cluster: string): Promise<string[]> {
  const out: string[] = [];
  for (const n of await nodeContainers(cluster)) {
    if (n.state !== 'running') {
      const logs = await run(['docker', 'logs', '--tail', '60', n.name], { allowFailure: true, timeoutMs: 30_000 });
      for (const l of reasonLines(`${logs.stdout}\n${logs.stderr}`, 4)) out.push(`${n.name} (container ${n.state}): ${l}`);
      continue;
    }
    const journal = await run(['docker', 'exec', n.name, 'journalctl', '-u', 'kubelet', '--no-pager', '-o', 'cat', '-n', '200'], { allowFailure: true, timeoutMs: 30_000 });
    for (const l of reasonLines(journal.stdout, 4)) out.push(`${n.name} kubelet: ${l}`);
  }
  return out;
}

/** A hint from the version table when it predicts this very failure (e.g. kind writes a kubeadm API this kubeadm does not read). */
async function versionHint(kindBinary: string, image: string): Promise<string | undefined> {
  const kindVersion = /\bv\d+\.\d+\.\d+\b/.exec(await output([kindBinary, 'version'], { allowFailure: true }))?.[0];
  const kubernetes = (await output(['docker', 'image', 'inspect', '--format', '{{index .Config.Labels "io.pullproof.kubernetes"}}', image], { allowFailure: true })).trim();
  if (!kindVersion || !/^v\d+\.\d+\.\d+$/.test(kubernetes)) return undefined;
  try {
    return nodeRecipe(kubernetes, kindVersion).problems.join('; ') || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The error to throw for a failed `kind create cluster`: the message names the failing component and
 * its first reason, the detail lists its reasons, kind's own error, a version-table hint where one
 * applies, and the file holding kind's whole output.
 */
export async function explainCreateFailure(o: { cluster: string; image: string; kindBinary: string; result: RunResult; seconds: number; logFile: string }): Promise<HarnessError> {
  const text = redact(`${o.result.stderr}\n${o.result.stdout}`);
  const parsed = parseKindFailure(text);
  let reasons = parsed.reasons;
  let source = `${parsed.component}, from kind's output`;
  if (reasons.length === 0) {
    reasons = (await nodeReasons(o.cluster)).map(redact);
    source = 'the retained nodes';
  }
  const hint = await versionHint(o.kindBinary, o.image);
  const headline = reasons.at(-1) ?? parsed.kindError ?? (text.trim().split('\n').pop() || `exit ${o.result.exitCode}`);
  const detail = [
    ...(reasons.length ? [`${source}:`, ...reasons.map((r) => `  ${r}`)] : ['no reason found in kind\'s output or in the nodes\' kubelet journals']),
    ...(parsed.kindError ? [`kind: ${parsed.kindError}`] : []),
    ...(hint ? [`hint: ${hint}`] : []),
    `kind's whole output: ${o.logFile}`,
  ].join('\n');
  return new HarnessError(`kind could not create cluster ${o.cluster} (${parsed.component} failed after ${o.seconds.toFixed(1)} s): ${headline}`, detail);
}
