// `pullproof merge`: shard reports (`run --shard K/N`, one per CI job) into one report, as if one run
// had run them all. Scenarios are combined by key (id@kubelet); a key in two shards must say the same
// (status and observed outcome), else the merge is refused. Windows are renumbered so each keeps its
// own index (shard 2's window 1 follows shard 1's last); checks and measurements keep their shard in
// their name; every shard's folder (logs/, bundles/, its own report files) is copied to shards/<k>/ and bundle
// paths follow.
import { cpSync, mkdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { UsageError } from '../errors.ts';
import { exitCodeFor, REPORT_SCHEMA, summarize, type Report, type ScenarioResult } from './types.ts';
import { readReport } from './validate.ts';
import { writeReport } from './write.ts';

export interface ShardInput {
  /** The shard's report folder (for mergedFrom and for copying logs/ and bundles/). */
  dir: string;
  report: Report;
}

function shardLabel(r: Report, k: number): string {
  return r.run.shard ? `shard ${r.run.shard.index}/${r.run.shard.total}, run ${r.run.id}` : `report ${k}, run ${r.run.id}`;
}

/** The verdict a key carries: what two shards must agree on. */
function verdictOf(r: ScenarioResult): string {
  return `${r.status}${r.observed ? ` (observed ${r.observed.outcome}${r.observed.cause ? `, ${r.observed.cause}` : ''})` : ''}`;
}

/** Folder name of shard k in the merged report: shards/<k>, k the shard index when the report has one. */
export function shardFolder(r: Report, position: number): string {
  return join('shards', String(r.run.shard?.index ?? position + 1));
}

/** Combines shard reports (pure: no I/O). Throws UsageError (exit 2) when they cannot be combined. */
export function mergeReports(inputs: readonly ShardInput[]): Report {
  if (inputs.length === 0) throw new UsageError('merge', 'no report given', 'name at least one report folder');
  for (const [i, x] of inputs.entries()) {
    if (x.report.schema !== REPORT_SCHEMA) throw new UsageError('merge', `report ${i + 1} (${x.dir}) has schema ${JSON.stringify(x.report.schema)}, not ${REPORT_SCHEMA}`, 'merge reports written by the same pullproof version');
  }
  const folders = inputs.map((x, i) => shardFolder(x.report, i));
  const dup = folders.find((f, i) => folders.indexOf(f) !== i);
  if (dup) {
    const twins = inputs.filter((_, i) => folders[i] === dup).map((x) => `${x.dir} (run ${x.report.run.id})`);
    throw new UsageError('merge', `two reports are the same shard (${dup.replace('shards/', 'shard ')}): ${twins.join(' and ')}`, 'give each shard of the run once; a shard run twice is two runs, compare them with "pullproof diff"');
  }
  const byKey = new Map<string, { r: ScenarioResult; from: string }>();
  const conflicts: string[] = [];
  const windows: Report['windows'] = [];
  const scenarios: ScenarioResult[] = [];
  let windowOffset = 0;
  for (const [k, x] of inputs.entries()) {
    const rep = x.report;
    const label = shardLabel(rep, k + 1);
    const offset = windowOffset;
    for (const w of rep.windows) windows.push({ ...w, index: w.index + offset });
    windowOffset += Math.max(0, ...rep.windows.map((w) => w.index));
    for (const r of rep.scenarios) {
      const moved: ScenarioResult = { ...r };
      if (r.window !== undefined) moved.window = r.window + offset;
      if (r.bundle) moved.bundle = join(folders[k] as string, r.bundle);
      const prev = byKey.get(r.key);
      if (prev) {
        if (verdictOf(prev.r) !== verdictOf(r)) conflicts.push(`${r.key}: ${verdictOf(prev.r)} in ${prev.from}, ${verdictOf(r)} in ${label}`);
        continue;
      }
      byKey.set(r.key, { r: moved, from: label });
      scenarios.push(moved);
    }
  }
  if (conflicts.length) {
    throw new UsageError('merge', `the shards overlap and disagree on ${conflicts.length} scenario(s):\n  ${conflicts.join('\n  ')}\n`, 'merge the shards of one run (run --shard K/N with the same N); to compare two runs use "pullproof diff"');
  }
  const reps = inputs.map((x) => x.report);
  const start = Math.min(...reps.map((r) => Date.parse(r.run.startedAt)));
  const end = Math.max(...reps.map((r) => Date.parse(r.run.finishedAt)));
  const union = (xs: string[][]): string[] => [...new Set(xs.flat())];
  const incomplete = reps.filter((r) => !r.run.complete).map((r, i) => `${shardLabel(r, i + 1)}: ${r.run.incompleteReason ?? 'incomplete'}`);
  const fences = reps.map((r) => r.environment.fence).filter((f) => f !== undefined);
  const registries = reps.map((r) => r.environment.registry).filter((f) => f !== undefined);
  const clusters = new Map<string, Report['environment']['clusters'][number]>();
  for (const r of reps) for (const c of r.environment.clusters) if (!clusters.has(c.name)) clusters.set(c.name, c);
  const id = `m${createHash('sha256').update(reps.map((r) => r.run.id).join(',')).digest('hex').slice(0, 7)}`;
  const merged: Report = {
    schema: REPORT_SCHEMA,
    pullproof: reps[0]?.pullproof ?? '0.0.0',
    run: {
      id,
      command: ['merge', ...inputs.map((x) => x.dir)],
      startedAt: new Date(start).toISOString(),
      finishedAt: new Date(end).toISOString(),
      seconds: (end - start) / 1000,
      complete: incomplete.length === 0,
      exitCode: 0,
      suites: union(reps.map((r) => r.run.suites)),
      kubelets: union(reps.map((r) => r.run.kubelets)),
      parallel: Math.max(...reps.map((r) => r.run.parallel)),
      retries: Math.max(...reps.map((r) => r.run.retries)),
      host: (reps[0] as Report).run.host,
    },
    environment: {
      clusters: [...clusters.values()],
      ...(registries[0] ? { registry: registries[0] } : {}),
      // One fence per shard: the merged one sums their drop counters (each is also a check below).
      ...(fences.length ? { fence: { subnet: fences.map((f) => f.subnet).join(', '), droppedPackets: fences.reduce((s, f) => s + f.droppedPackets, 0), readAt: fences.map((f) => f.readAt).sort().at(-1) as string } } : {}),
    },
    windows,
    scenarios,
    checks: reps.flatMap((r, i) => r.checks.map((c) => ({ ...c, name: `${c.name} [${shardLabel(r, i + 1)}]` }))),
    measurements: reps.flatMap((r, i) => r.measurements.map((m) => ({ ...m, name: `${m.name} [${shardLabel(r, i + 1)}]` }))),
    summary: summarize(scenarios),
    mergedFrom: inputs.map((x) => ({ runId: x.report.run.id, ...(x.report.run.shard ? { shard: x.report.run.shard } : {}), reportDir: x.dir })),
  };
  if (incomplete.length) merged.run.incompleteReason = incomplete.join('; ');
  merged.run.exitCode = exitCodeFor(merged);
  return merged;
}

export interface MergeResult {
  report: Report;
  outDir: string;
  /** Shard folders copied into the merged report, relative to it. */
  copied: string[];
}

/** Reads, merges and writes: report files re-rendered, every shard's whole folder (logs/, bundles/, its own report files) copied to shards/<k>/. */
export function mergeReportDirs(dirs: readonly string[], outDir: string): MergeResult {
  const out = resolve(outDir);
  const inputs = dirs.map((d, i) => {
    const { report, dir } = readReport(d, `report ${i + 1}`);
    return { dir: resolve(dir), report };
  });
  for (const x of inputs) {
    const rel = relative(x.dir, out);
    if (rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))) throw new UsageError('--out', `${out} is inside the report being merged ${x.dir}`, 'write the merged report to a folder of its own, e.g. --out reports/merged');
  }
  const report = mergeReports(inputs);
  report.run.command = ['merge', ...dirs, '--out', outDir];
  mkdirSync(out, { recursive: true });
  const copied: string[] = [];
  inputs.forEach((x, i) => {
    const to = shardFolder(x.report, i);
    cpSync(x.dir, join(out, to), { recursive: true });
    copied.push(to);
  });
  writeReport(out, report);
  return { report, outDir: out, copied };
}
