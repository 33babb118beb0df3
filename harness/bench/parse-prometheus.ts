// Changes of kubelet metrics over one pod start, from two scrapes of /metrics in the Prometheus
// text exposition format (0.0.4). Only sample lines are read (`name{labels} value [timestamp]`);
// a histogram's _sum and _count are ordinary samples. (parse-prometheus-text-format, the npm
// parser, merges the label sets of a labelled histogram into one and drops _sum and _count, so
// plugin_name could not be told apart; this reader keeps every sample.)
import { HarnessError } from '../errors.ts';
import type { MustPullResult } from './arms.ts';

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

function parseValue(text: string): number {
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  const v = Number(text);
  if (text === '' || Number.isNaN(v)) throw new Error(`not a sample value: ${JSON.stringify(text)}`);
  return v;
}

function parseLabels(s: string): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let i = 1; // after '{'
  for (;;) {
    while (s[i] === ' ' || s[i] === ',') i++;
    if (s[i] === '}') return { labels, rest: s.slice(i + 1) };
    const name = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(s.slice(i))?.[0];
    if (!name) throw new Error('bad label name');
    i += name.length;
    while (s[i] === ' ') i++;
    if (s[i] !== '=' || s[i + 1] !== '"') throw new Error(`label ${name} has no quoted value`);
    i += 2;
    let v = '';
    while (i < s.length && s[i] !== '"') {
      if (s[i] === '\\') {
        const e = s[i + 1];
        v += e === 'n' ? '\n' : e ?? '';
        i += 2;
      } else v += s[i++];
    }
    if (s[i] !== '"') throw new Error(`label ${name} value is not closed`);
    labels[name] = v;
    i++;
  }
}

/** Every sample of a text exposition. Comment, HELP and TYPE lines are skipped. */
export function parsePrometheusText(text: string): PromSample[] {
  const out: PromSample[] = [];
  text.split('\n').forEach((raw, n) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    try {
      const name = NAME.exec(line)?.[0];
      if (!name) throw new Error('no metric name');
      let rest = line.slice(name.length);
      let labels: Record<string, string> = {};
      if (rest.startsWith('{')) ({ labels, rest } = parseLabels(rest));
      const value = rest.trim().split(/\s+/)[0] ?? '';
      out.push({ name, labels, value: parseValue(value) });
    } catch (err) {
      throw new HarnessError(`metrics line ${n + 1} is not Prometheus text format: ${(err as Error).message}`, raw.slice(0, 300));
    }
  });
  return out;
}

function labelKey(labels: Record<string, string>, keys: readonly string[]): string {
  return keys.map((k) => labels[k] ?? '').join('\u0000');
}

/**
 * after - before of one counter (or _sum/_count) per combination of the given labels. A decrease
 * means the kubelet restarted between the scrapes, and is an error rather than a wrong delta.
 */
export function counterDelta(before: readonly PromSample[], after: readonly PromSample[], name: string, by: readonly string[]): Map<string, { labels: Record<string, string>; delta: number }> {
  const sumBy = (samples: readonly PromSample[]): Map<string, { labels: Record<string, string>; value: number }> => {
    const m = new Map<string, { labels: Record<string, string>; value: number }>();
    for (const s of samples) {
      if (s.name !== name) continue;
      const key = labelKey(s.labels, by);
      const cur = m.get(key);
      if (cur) cur.value += s.value;
      else m.set(key, { labels: Object.fromEntries(by.map((k) => [k, s.labels[k] ?? ''])), value: s.value });
    }
    return m;
  };
  const b = sumBy(before);
  const a = sumBy(after);
  const out = new Map<string, { labels: Record<string, string>; delta: number }>();
  for (const [key, { labels, value }] of a) {
    const delta = value - (b.get(key)?.value ?? 0);
    if (delta < -1e-9) {
      throw new HarnessError(`${name}{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(',')}} went down between two scrapes (${b.get(key)?.value} to ${value}): the kubelet restarted in between, so this sample has no metric delta`);
    }
    out.set(key, { labels, delta });
  }
  for (const [key, { labels, value }] of b) {
    if (!a.has(key)) throw new HarnessError(`${name} with labels ${JSON.stringify(labels)} (${value}) is gone from the second scrape: the kubelet restarted in between`);
  }
  return out;
}

export const PLUGIN_DURATION = 'kubelet_credential_provider_plugin_duration';
export const MUSTPULL_CHECKS = 'kubelet_imagemanager_image_mustpull_checks_total';
export const ENSURE_IMAGE_REQUESTS = 'kubelet_image_manager_ensure_image_requests_total';

export interface PluginDelta {
  plugin: string;
  /** Plugin execs (histogram _count delta). */
  calls: number;
  /** Seconds spent in them (histogram _sum delta). */
  seconds: number;
}

type Scrape = string | readonly PromSample[];
const samplesOf = (s: Scrape): readonly PromSample[] => (typeof s === 'string' ? parsePrometheusText(s) : s);

/** Execs and time of each credential provider plugin between two scrapes. */
export function pluginDelta(before: Scrape, after: Scrape): PluginDelta[] {
  const b = samplesOf(before);
  const a = samplesOf(after);
  const count = counterDelta(b, a, `${PLUGIN_DURATION}_count`, ['plugin_name']);
  const sum = counterDelta(b, a, `${PLUGIN_DURATION}_sum`, ['plugin_name']);
  return [...count.values()].map(({ labels, delta }) => ({
    plugin: labels.plugin_name ?? '',
    calls: delta,
    seconds: sum.get(labelKey(labels, ['plugin_name']))?.delta ?? 0,
  }));
}

/** kubelet_imagemanager_image_mustpull_checks_total{result} increments (1.35+). Results with no change are left out. */
export function mustPullDelta(before: Scrape, after: Scrape): Partial<Record<MustPullResult, number>> {
  const out: Partial<Record<MustPullResult, number>> = {};
  for (const { labels, delta } of counterDelta(samplesOf(before), samplesOf(after), MUSTPULL_CHECKS, ['result']).values()) {
    if (delta > 0) out[labels.result as MustPullResult] = delta;
  }
  return out;
}

export interface EnsureImageDelta {
  pullPolicy: string;
  presentLocally: string;
  pullRequired: string;
  count: number;
}

/** kubelet_image_manager_ensure_image_requests_total increments per label set (1.35+). */
export function ensureImageDelta(before: Scrape, after: Scrape): EnsureImageDelta[] {
  return [...counterDelta(samplesOf(before), samplesOf(after), ENSURE_IMAGE_REQUESTS, ['pull_policy', 'present_locally', 'pull_required']).values()]
    .filter((x) => x.delta > 0)
    .map(({ labels, delta }) => ({ pullPolicy: labels.pull_policy ?? '', presentLocally: labels.present_locally ?? '', pullRequired: labels.pull_required ?? '', count: delta }));
}

/** Whether a scrape has any sample of the metric (the image manager metrics exist from 1.35 only). */
export function hasMetric(scrape: Scrape, name: string): boolean {
  return samplesOf(scrape).some((s) => s.name === name || s.name.startsWith(`${name}_`));
}
