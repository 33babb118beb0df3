// Plots of the bench result as self-contained SVG strings (presentation attributes only: no
// scripts, no style sheets, no external references), for the HTML report to inline.
import { MEASURES, type MeasureId } from './arms.ts';
import type { BenchResult } from './result.ts';

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];
const FONT = 'font-family="sans-serif" font-size="12"';

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * About `count` round tick values (steps of 1, 2 or 5 times a power of ten) from the last round
 * value at or below lo to the first at or above hi, so the axis covers every point.
 */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo, lo + 1];
  const raw = (hi - lo) / count;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow;
  const out: number[] = [];
  const first = Math.floor(lo / step + 1e-9) * step;
  const last = Math.ceil(hi / step - 1e-9) * step;
  for (let v = first; v <= last + step * 1e-9; v += step) out.push(Number(v.toFixed(10)));
  return out;
}

function n2(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}

interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

function svgOpen(f: Frame, title: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${f.width}" height="${f.height}" viewBox="0 0 ${f.width} ${f.height}" role="img" aria-label="${escapeXml(title)}">` +
    `<title>${escapeXml(title)}</title><rect x="0" y="0" width="${f.width}" height="${f.height}" fill="#ffffff"/>`;
}

function xAxis(f: Frame, ticks: number[], sx: (v: number) => number, label: string): string {
  const y = f.height - f.bottom;
  let out = `<line x1="${f.left}" y1="${y}" x2="${f.width - f.right}" y2="${y}" stroke="#333333"/>`;
  for (const t of ticks) {
    const x = n2(sx(t));
    out += `<line x1="${x}" y1="${y}" x2="${x}" y2="${y + 5}" stroke="#333333"/><text x="${x}" y="${y + 18}" text-anchor="middle" ${FONT}>${escapeXml(String(t))}</text>`;
  }
  out += `<text x="${n2((f.left + f.width - f.right) / 2)}" y="${f.height - 6}" text-anchor="middle" ${FONT}>${escapeXml(label)}</text>`;
  return out;
}

/**
 * One row per arm: every measured sample at 0 ms delay as a dot, the median as a bar, the 95th
 * percentile as a tick, with n in the label.
 */
export function svgDistribution(r: BenchResult, measure: MeasureId = 'inNode'): string {
  const arms = r.arms.filter((a) => a.measures.some((m) => m.measure === measure));
  const rows = arms.map((a) => ({
    arm: a,
    values: r.samples.filter((s) => s.arm === a.id && !s.warmup && s.delayMs === 0 && typeof s.measures[measure] === 'number').map((s) => s.measures[measure] as number),
    stats: a.measures.find((m) => m.measure === measure)?.stats,
  }));
  const rowH = 36;
  const f: Frame = { width: 760, height: 84 + rowH * Math.max(rows.length, 1), left: 170, right: 30, top: 44, bottom: 40 };
  const title = `${MEASURES[measure].name} per arm, 0 ms injected delay`;
  const all = rows.flatMap((x) => x.values);
  const ticks = all.length ? niceTicks(Math.min(...all), Math.max(...all)) : [0, 1];
  const x0 = ticks[0] ?? 0;
  const x1 = ticks[ticks.length - 1] ?? 1;
  const sx = (v: number): number => f.left + ((v - x0) / (x1 - x0)) * (f.width - f.left - f.right);
  let out = svgOpen(f, title);
  out += `<text x="10" y="18" ${FONT} font-weight="bold">${escapeXml(title)}</text>`;
  out += `<text x="10" y="34" ${FONT} fill="#555555">each dot one pod start; thick bar median, thin tick 95th percentile</text>`;
  rows.forEach((row, i) => {
    const cy = f.top + rowH * i + rowH / 2;
    const color = PALETTE[i % PALETTE.length] as string;
    out += `<text x="${f.left - 8}" y="${n2(cy + 4)}" text-anchor="end" ${FONT}>${escapeXml(`${row.arm.id} (n=${row.values.length})`)}</text>`;
    row.values.forEach((v, j) => {
      // Deterministic vertical jitter (golden-ratio sequence), so the same result draws the same plot.
      const jitter = (((j * 0.6180339887) % 1) - 0.5) * (rowH * 0.6);
      out += `<circle cx="${n2(sx(v))}" cy="${n2(cy + jitter)}" r="2.5" fill="${color}" fill-opacity="0.5"/>`;
    });
    if (row.stats) {
      const h = rowH * 0.4;
      out += `<line x1="${n2(sx(row.stats.p50))}" y1="${n2(cy - h)}" x2="${n2(sx(row.stats.p50))}" y2="${n2(cy + h)}" stroke="#000000" stroke-width="3"><title>${escapeXml(`median ${row.stats.p50.toFixed(1)} ms`)}</title></line>`;
      out += `<line x1="${n2(sx(row.stats.p95))}" y1="${n2(cy - h / 2)}" x2="${n2(sx(row.stats.p95))}" y2="${n2(cy + h / 2)}" stroke="#000000" stroke-width="1.5"><title>${escapeXml(`p95 ${row.stats.p95.toFixed(1)} ms`)}</title></line>`;
    }
  });
  out += xAxis(f, ticks, sx, 'milliseconds');
  return out + '</svg>';
}

/**
 * Overhead against injected delay per arm: each sample's time minus the arm's fitted time at 0 ms
 * (so every arm starts at 0 and the slopes compare directly), the fitted line, and its 95% CI as
 * the two lines with the CI's slopes through the samples' mean point.
 */
export function svgSlopes(r: BenchResult): string {
  const proofs = r.proof.filter((p) => p.fit);
  const measure = proofs[0]?.measure ?? 'inNode';
  const f: Frame = { width: 820, height: 480, left: 70, right: 250, top: 50, bottom: 45 };
  const title = `Added ${MEASURES[measure].name} time against injected delay per request`;
  const pts = proofs.map((p) => ({
    proof: p,
    points: r.samples
      .filter((s) => s.arm === p.arm && !s.warmup && typeof s.measures[p.measure] === 'number')
      .map((s) => ({ x: s.delayMs, y: (s.measures[p.measure] as number) - (p.fit?.intercept ?? 0) })),
  }));
  const xs = pts.flatMap((p) => p.points.map((q) => q.x));
  const ys = pts.flatMap((p) => p.points.map((q) => q.y));
  const xTicks = niceTicks(0, Math.max(1, ...xs));
  const yTicks = niceTicks(Math.min(0, ...ys), Math.max(1, ...ys));
  const xTop = xTicks[xTicks.length - 1] ?? 1;
  const yBottom = yTicks[0] ?? 0;
  const yTop = yTicks[yTicks.length - 1] ?? 1;
  const sx = (v: number): number => f.left + (v / xTop) * (f.width - f.left - f.right);
  const sy = (v: number): number => f.height - f.bottom - ((v - yBottom) / (yTop - yBottom)) * (f.height - f.top - f.bottom);
  let out = svgOpen(f, title);
  out += `<text x="10" y="18" ${FONT} font-weight="bold">${escapeXml(title)}</text>`;
  out += `<text x="10" y="34" ${FONT} fill="#555555">dots: pod starts minus the arm's fitted 0 ms time; solid: least-squares fit; dashed: the 95% CI's slopes</text>`;
  out += `<line x1="${f.left}" y1="${f.top}" x2="${f.left}" y2="${f.height - f.bottom}" stroke="#333333"/>`;
  for (const t of yTicks) {
    const y = n2(sy(t));
    out += `<line x1="${f.left - 5}" y1="${y}" x2="${f.left}" y2="${y}" stroke="#333333"/><text x="${f.left - 8}" y="${n2(sy(t) + 4)}" text-anchor="end" ${FONT}>${escapeXml(String(t))}</text>`;
  }
  out += `<text x="14" y="${n2((f.top + f.height - f.bottom) / 2)}" text-anchor="middle" transform="rotate(-90 14 ${n2((f.top + f.height - f.bottom) / 2)})" ${FONT}>added milliseconds</text>`;
  const clipId = 'pullproof-slope-plot-area';
  out += `<defs><clipPath id="${clipId}"><rect x="${f.left}" y="${f.top}" width="${f.width - f.left - f.right}" height="${f.height - f.top - f.bottom}"/></clipPath></defs>`;
  pts.forEach(({ proof, points }, i) => {
    const fit = proof.fit;
    if (!fit) return;
    const color = PALETTE[i % PALETTE.length] as string;
    const mx = points.reduce((a, p) => a + p.x, 0) / points.length;
    const my = points.reduce((a, p) => a + p.y, 0) / points.length;
    const line = (slope: number, dash: string): string => {
      const y0 = my + slope * (0 - mx);
      const y1 = my + slope * (xTop - mx);
      return `<line x1="${n2(sx(0))}" y1="${n2(sy(y0))}" x2="${n2(sx(xTop))}" y2="${n2(sy(y1))}" stroke="${color}" stroke-width="${dash ? 1 : 2}"${dash ? ` stroke-dasharray="${dash}"` : ''} clip-path="url(#${clipId})"/>`;
    };
    points.forEach((p, j) => {
      const jitter = (((j * 0.6180339887) % 1) - 0.5) * 8;
      out += `<circle cx="${n2(sx(p.x) + jitter + (i - pts.length / 2) * 3)}" cy="${n2(sy(p.y))}" r="2" fill="${color}" fill-opacity="0.45"/>`;
    });
    out += line(fit.slope, '') + line(fit.ci[0], '4 3') + line(fit.ci[1], '4 3');
    const ly = f.top + 10 + i * 34;
    const lx = f.width - f.right + 12;
    out += `<line x1="${lx}" y1="${ly}" x2="${lx + 18}" y2="${ly}" stroke="${color}" stroke-width="2"/>`;
    out += `<text x="${lx + 24}" y="${ly + 4}" ${FONT}>${escapeXml(proof.arm)}</text>`;
    out += `<text x="${lx + 24}" y="${ly + 18}" ${FONT} fill="#555555">${escapeXml(`slope ${fit.slope.toFixed(2)} [${fit.ci[0].toFixed(2)}, ${fit.ci[1].toFixed(2)}], n=${fit.n}`)}</text>`;
  });
  out += xAxis(f, xTicks, sx, 'injected delay per request (ms)');
  return out + '</svg>';
}
