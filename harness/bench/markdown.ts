// The bench result as Markdown: one table per question, every number with its sample count, and
// the method of every kind of number listed under the tables.
import { MEASURES } from './arms.ts';
import type { BenchResult, ProofResult } from './result.ts';
import type { BootstrapInterval, Percentiles } from './stats.ts';

/** Milliseconds with precision that suits their size. */
export function fmtMs(v: number): string {
  const a = Math.abs(v);
  const digits = a >= 100 ? 0 : a >= 10 ? 1 : 2;
  return `${v.toFixed(digits)} ms`;
}

function signedMs(v: number): string {
  return `${v >= 0 ? '+' : '-'}${fmtMs(Math.abs(v))}`;
}

function pct(p: Percentiles): string {
  const parts = [`p50 ${fmtMs(p.p50)}`, `p95 ${fmtMs(p.p95)}`];
  if (p.p99 !== undefined) parts.push(`p99 ${fmtMs(p.p99)}`);
  return `${parts.join(', ')} (n=${p.n})`;
}

function ci(b: BootstrapInterval | undefined): string {
  if (!b) return '–';
  return `${signedMs(b.estimate)} [${b.lo.toFixed(1)}, ${b.hi.toFixed(1)}] (n=${b.n.join('+')})`;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function proofCell(p: ProofResult | undefined): string {
  if (!p) return '–';
  if (p.status === 'not-run') return 'not run';
  return p.status === 'pass' ? 'pass' : 'FAIL';
}

export function renderBenchMarkdown(r: BenchResult): string {
  const lines: string[] = ['# Validation latency: what credential verification costs a pod start', ''];
  const env = Object.entries(r.environment);
  if (env.length) lines.push(...env.map(([k, v]) => `- ${k}: ${v}`), '');
  lines.push(`**Verdict: ${r.verdict}.**${r.reasons.length ? ' ' + r.reasons.map(cell).join(' ') : ''}`, '');
  if (r.design) lines.push(`Design: ${r.design.text} (${r.design.blocks} blocks, ${r.design.restarts} kubelet restarts).`, '');

  const measure = r.arms[0]?.overhead.measure ?? 'inNode';
  lines.push(
    `## Pod start by arm (${MEASURES[measure].name}, 0 ms injected delay)`, '',
    `| Arm | Kubelet | ${MEASURES[measure].name} | Overhead vs gate off: median difference [95% CI] | Overhead vs matching record [95% CI] | Requests per pod start: registry / token / STS (mean over n) | Plugin time per pod start | STS request time | Proof |`,
    '|---|---|---|---|---|---|---|---|---|',
  );
  for (const a of r.arms) {
    const main = a.measures.find((m) => m.measure === measure);
    const rt = a.roundTrips;
    const trips = `${rt.registry.mean.toFixed(1)} / ${rt.token.mean.toFixed(1)} / ${rt.sts.mean.toFixed(1)} (n=${rt.registry.n})`;
    lines.push(`| ${cell(a.id)} | ${cell(a.configuration)} | ${main ? pct(main.stats) : '–'} | ${ci(a.overhead.vsGateOff)} | ${ci(a.overhead.vsRecordHit)} | ${trips} | ${a.pluginMs ? pct(a.pluginMs) : '–'} | ${a.stsMs ? pct(a.stsMs) : '–'} | ${proofCell(r.proof.find((p) => p.arm === a.id))} |`);
  }
  lines.push('');

  lines.push('## Every timing source by arm (0 ms injected delay)', '', '| Arm | Timing source | Result |', '|---|---|---|');
  for (const a of r.arms) for (const m of a.measures) lines.push(`| ${a.id} | ${m.name} | ${pct(m.stats)} |`);
  lines.push('');

  lines.push(
    '## Proof of the measurement', '',
    'With every registry, token-service and STS request delayed by d, a timing source that contains the verification grows by d per delayed request on the critical path: the fitted slope must equal the counted delayed round trips.', '',
    '| Arm | Timing source | Slope [95% CI] | Samples (delays) | Delayed round trips counted: mean (range, n) | CI width | Result |',
    '|---|---|---|---|---|---|---|',
  );
  for (const p of r.proof) {
    if (!p.fit || !p.counted || !p.verdict) {
      lines.push(`| ${p.arm} | ${MEASURES[p.measure].name} | – | – | – | – | not run: ${cell(p.reasons.join('; '))} |`);
      continue;
    }
    const f = p.fit;
    lines.push(`| ${p.arm} | ${MEASURES[p.measure].name} | ${f.slope.toFixed(3)} [${f.ci[0].toFixed(3)}, ${f.ci[1].toFixed(3)}] | n=${f.n} (${f.levels.join(', ')} ms) | ${p.counted.mean.toFixed(2)} (${p.counted.min}–${p.counted.max}, n=${p.counted.n}) | ${p.verdict.width.toFixed(3)} | ${p.status === 'pass' ? 'pass' : `FAIL: ${cell(p.reasons.join('; '))}`} |`);
  }
  lines.push('');

  const attributed = r.proof.flatMap((p) => p.attribution.map((a) => ({ arm: p.arm, ...a })));
  if (attributed.length) {
    lines.push(
      '## What each timing source contains', '',
      'Established from its slope, not assumed: the sets of targets whose counted delayed round trips lie inside the slope\'s 95% CI.', '',
      '| Arm | Timing source | Slope [95% CI] (n) | Consistent with the requests of |', '|---|---|---|---|',
    );
    for (const a of attributed) {
      const sets = a.matches.filter((m) => m.inside).map((m) => (m.targets.length ? m.targets.join(' + ') : 'none') + ` (${m.expected.toFixed(2)})`);
      lines.push(`| ${a.arm} | ${MEASURES[a.measure].name} | ${a.fit.slope.toFixed(3)} [${a.fit.ci[0].toFixed(3)}, ${a.fit.ci[1].toFixed(3)}] (n=${a.fit.n}) | ${sets.length ? sets.join('; ') : 'no set of targets'} |`);
    }
    lines.push('');
  }

  const checks = r.arms.flatMap((a) => a.checks.map((c) => ({ arm: a.id, ...c })));
  lines.push('## Each arm did what it claims', '', '| Arm | Expected | Observed | Result |', '|---|---|---|---|');
  for (const c of checks) lines.push(`| ${c.arm} | ${cell(c.what)} | ${cell(c.observed)} | ${c.status} |`);
  lines.push('');

  if (r.harness) {
    const h = r.harness;
    lines.push('## The harness\'s own time', '', `Median ${fmtMs(h.medianHarnessMs)} (p95 ${fmtMs(h.p95HarnessMs)}) per pod start, ${(h.ratio * 100).toFixed(1)}% of the median end-to-end pod start of ${fmtMs(h.medianPodStartMs)} (n=${h.n}); limit ${h.limit * 100}%: ${h.pass ? 'pass' : 'FAIL'}. How: ${h.how}.`, '');
  }

  lines.push('## How each number was measured', '');
  for (const m of Object.values(MEASURES)) lines.push(`- **${m.name}**: ${m.how} (resolution: ${m.resolution}).`);
  lines.push(
    `- **Percentiles**: ${r.methods.quantiles}.`,
    `- **Overheads**: ${r.methods.bootstrap}; run seed ${r.seed}.`,
    `- **Slopes**: ${r.methods.slope}.`,
    `- **Delayed round trips**: ${r.methods.criticalPath}.`,
    `- **Requests per pod start**: ${r.methods.roundTrips}.`,
    `- **Randomness**: ${r.methods.random}.`,
    `- **Warm-up**: ${r.methods.warmup}.`,
    `- Raw samples, with their request records and metric deltas, are in the JSON report (schema ${r.schema}).`,
    '',
  );
  return lines.join('\n');
}
