// The bench result as a section of the HTML report: the same tables as the Markdown (every number
// with its n and how it was measured) and the two plots inlined as SVG (distribution per arm; added
// time against injected delay with the fitted lines and their 95% intervals). No script, nothing
// loaded from anywhere.
import { MEASURES } from './arms.ts';
import { fmtMs } from './markdown.ts';
import type { BenchResult, ProofResult } from './result.ts';
import type { BootstrapInterval, Percentiles } from './stats.ts';
import { svgDistribution, svgSlopes } from './svg.ts';
import { h } from '../report/markup.ts';

function pct(p: Percentiles): string {
  return `p50 ${fmtMs(p.p50)}, p95 ${fmtMs(p.p95)}${p.p99 !== undefined ? `, p99 ${fmtMs(p.p99)}` : ''} (n=${p.n})`;
}

function ci(b: BootstrapInterval | undefined): string {
  if (!b) return '–';
  return `${b.estimate >= 0 ? '+' : '−'}${fmtMs(Math.abs(b.estimate))} [${b.lo.toFixed(1)}, ${b.hi.toFixed(1)}] (n=${b.n.join('+')})`;
}

function proofWord(p: ProofResult | undefined): string {
  if (!p) return '–';
  return p.status === 'pass' ? '<span class="chip v-pass">✓ pass</span>' : p.status === 'fail' ? '<span class="chip v-fail">✗ fail</span>' : '<span class="chip v-notrun">· not run</span>';
}

function table(head: string[], rows: string[][]): string {
  return `<table><thead><tr>${head.map((x) => `<th>${h(x)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

export function renderBenchHtml(r: BenchResult): string {
  const measure = r.arms[0]?.overhead.measure ?? 'inNode';
  const out: string[] = ['<h2 id="bench">Validation latency: what credential verification costs a pod start</h2>'];
  const banner = r.verdict === 'pass' ? 'ok' : 'bad';
  out.push(`<div class="banner ${banner}">Bench verdict: ${h(r.verdict)}.${r.reasons.length ? ` ${h(r.reasons.join(' '))}` : ''}</div>`);
  const env = Object.entries(r.environment);
  if (env.length) out.push(`<ul>${env.map(([k, v]) => `<li>${h(k)}: ${h(v)}</li>`).join('')}</ul>`);
  if (r.design) out.push(`<p class="how">Design: ${h(r.design.text)} (${r.design.blocks} blocks, ${r.design.restarts} kubelet restarts).</p>`);

  out.push(`<h3>Pod start by arm (${h(MEASURES[measure].name)}, 0 ms injected delay)</h3>`);
  out.push(table(
    ['Arm', 'Kubelet', MEASURES[measure].name, 'Overhead vs gate off [95% CI]', 'Overhead vs matching record [95% CI]', 'Requests per pod start: registry / token / STS', 'Plugin time', 'STS request time', 'Proof'],
    r.arms.map((a) => {
      const main = a.measures.find((m) => m.measure === measure);
      const rt = a.roundTrips;
      return [`<code>${h(a.id)}</code>`, h(a.configuration), main ? h(pct(main.stats)) : '–', h(ci(a.overhead.vsGateOff)), h(ci(a.overhead.vsRecordHit)),
        h(`${rt.registry.mean.toFixed(1)} / ${rt.token.mean.toFixed(1)} / ${rt.sts.mean.toFixed(1)} (n=${rt.registry.n})`), a.pluginMs ? h(pct(a.pluginMs)) : '–', a.stsMs ? h(pct(a.stsMs)) : '–',
        proofWord(r.proof.find((p) => p.arm === a.id))];
    }),
  ));
  out.push('<p class="how">Overheads: difference of medians with a 95% percentile-bootstrap interval (seeded; method and seed in report.json). Requests: mean per pod start over every measured pod start, from the fault proxies\' and the STS\'s request records.</p>');
  out.push(`<figure>${svgDistribution(r, measure)}</figure>`);
  if (measure !== 'inNode' && r.arms.some((a) => a.measures.some((m) => m.measure === 'inNode'))) out.push(`<figure>${svgDistribution(r, 'inNode')}</figure>`);

  out.push('<h3>Every timing source by arm (0 ms injected delay)</h3>');
  out.push(table(['Arm', 'Timing source', 'Result'], r.arms.flatMap((a) => a.measures.map((m) => [`<code>${h(a.id)}</code>`, h(m.name), h(pct(m.stats))]))));

  out.push('<h3>Proof of the measurement</h3>', '<p class="how">With every registry, token-service and STS request delayed by d, a timing source that contains the verification grows by d per delayed request on the critical path: the fitted slope must equal the counted delayed round trips, with a 95% interval narrower than 0.5.</p>');
  out.push(table(['Arm', 'Timing source', 'Slope [95% CI]', 'Samples (delays)', 'Delayed round trips counted: mean (range, n)', 'CI width', 'Result'], r.proof.map((p) => {
    if (!p.fit || !p.counted || !p.verdict) return [`<code>${h(p.arm)}</code>`, h(MEASURES[p.measure].name), '–', '–', '–', '–', `${proofWord(p)} ${h(p.reasons.join('; '))}`];
    const f = p.fit;
    return [`<code>${h(p.arm)}</code>`, h(MEASURES[p.measure].name), h(`${f.slope.toFixed(3)} [${f.ci[0].toFixed(3)}, ${f.ci[1].toFixed(3)}]`), h(`n=${f.n} (${f.levels.join(', ')} ms)`),
      h(`${p.counted.mean.toFixed(2)} (${p.counted.min}–${p.counted.max}, n=${p.counted.n})`), h(p.verdict.width.toFixed(3)), `${proofWord(p)}${p.reasons.length ? ` ${h(p.reasons.join('; '))}` : ''}`];
  })));
  if (r.proof.some((p) => p.fit)) out.push(`<figure>${svgSlopes(r)}</figure>`);

  const attributed = r.proof.flatMap((p) => p.attribution.map((a) => ({ arm: p.arm, ...a })));
  if (attributed.length) {
    out.push('<h3>What each timing source contains</h3>', '<p class="how">Established from its slope, not assumed: the sets of targets whose counted delayed round trips lie inside the slope\'s 95% CI.</p>');
    out.push(table(['Arm', 'Timing source', 'Slope [95% CI] (n)', 'Consistent with the requests of'], attributed.map((a) => {
      const sets = a.matches.filter((m) => m.inside).map((m) => `${m.targets.length ? m.targets.join(' + ') : 'none'} (${m.expected.toFixed(2)})`);
      return [`<code>${h(a.arm)}</code>`, h(MEASURES[a.measure].name), h(`${a.fit.slope.toFixed(3)} [${a.fit.ci[0].toFixed(3)}, ${a.fit.ci[1].toFixed(3)}] (n=${a.fit.n})`), h(sets.length ? sets.join('; ') : 'no set of targets')];
    })));
  }

  out.push('<h3>Each arm did what it claims</h3>');
  out.push(table(['Arm', 'Expected', 'Observed', 'Result'], r.arms.flatMap((a) => a.checks.map((c) => [`<code>${h(a.id)}</code>`, h(c.what), h(c.observed), c.status === 'pass' ? '<span class="chip v-pass">✓ pass</span>' : c.status === 'fail' ? '<span class="chip v-fail">✗ fail</span>' : '<span class="chip v-na">– unavailable</span>']))));

  if (r.harness) {
    const x = r.harness;
    out.push('<h3>The harness\'s own time</h3>', `<p>Median ${h(fmtMs(x.medianHarnessMs))} (p95 ${h(fmtMs(x.p95HarnessMs))}) per pod start, ${(x.ratio * 100).toFixed(1)}% of the median end-to-end pod start of ${h(fmtMs(x.medianPodStartMs))} (n=${x.n}); limit ${x.limit * 100}%: ${x.pass ? '<span class="chip v-pass">✓ pass</span>' : '<span class="chip v-fail">✗ fail</span>'}.</p><p class="how">${h(x.how)}.</p>`);
  }

  out.push('<h3>How each number was measured</h3><ul>',
    ...Object.values(MEASURES).map((m) => `<li><strong>${h(m.name)}</strong>: ${h(m.how)} (resolution: ${h(m.resolution)}).</li>`),
    `<li><strong>Percentiles</strong>: ${h(r.methods.quantiles)}.</li>`,
    `<li><strong>Overheads</strong>: ${h(r.methods.bootstrap)}; run seed ${r.seed}.</li>`,
    `<li><strong>Slopes</strong>: ${h(r.methods.slope)}.</li>`,
    `<li><strong>Delayed round trips</strong>: ${h(r.methods.criticalPath)}.</li>`,
    `<li><strong>Requests per pod start</strong>: ${h(r.methods.roundTrips)}.</li>`,
    `<li><strong>Randomness</strong>: ${h(r.methods.random)}.</li>`,
    `<li><strong>Warm-up</strong>: ${h(r.methods.warmup)}.</li>`,
    `<li>Raw samples, with their request records and metric deltas, are in report.json under <code>bench.samples</code> (schema ${h(r.schema)}).</li>`,
    '</ul>');
  return out.join('\n');
}
