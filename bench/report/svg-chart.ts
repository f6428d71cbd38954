/**
 * The per-query chart: for each query a group of horizontal bars, one per
 * target, whose length is the speedup over PostgreSQL on a log scale, with
 * the 1× line (PostgreSQL's time) drawn bold. A query a target did not answer
 * (or answered wrong) shows a label instead of a bar.
 */
import { type TargetId, targetLabels } from '../targets/query-target.js';
import type { BenchReport, QueryOutcome } from './bench-report.js';
import { ratio } from './format.js';
import { comparedTargets, speedup } from './speedups.js';

const colors: Partial<Record<TargetId, string>> = {
  daemon: '#1f77b4',
  columnarFdw: '#9467bd',
  duckdbNative: '#2ca02c',
  duckdbParquet: '#ff7f0e',
};
const labelWidth = 190;
const plotWidth = 640;
const barHeight = 9;
const top = 56;

const escapeXml = (s: string) => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

export function svgChart(report: BenchReport): string {
  const targets = comparedTargets.filter((t) => !report.unavailable[t]);
  const all = report.queries.flatMap((q) => targets.map((t) => speedup(q, t) ?? 1));
  // Decades from the slowest to the fastest ratio, always including 1×.
  const low = 10 ** Math.floor(Math.log10(Math.min(1, ...all)));
  const high = 10 ** Math.ceil(Math.log10(Math.max(10, ...all)));
  const x = (v: number) => labelWidth + (plotWidth * Math.log10(v / low)) / Math.log10(high / low);
  const groupHeight = targets.length * barHeight + 8;
  const height = top + report.queries.length * groupHeight + 40;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${labelWidth + plotWidth + 70}" height="${height}" font-family="sans-serif" font-size="11">`,
    '<rect width="100%" height="100%" fill="white"/>',
    `<text x="8" y="18" font-size="14" font-weight="bold">pg_analytica: speedup over PostgreSQL on the heap (log scale, higher is faster)</text>`,
    `<text x="8" y="34" fill="#555">${report.options.rows.toLocaleString('en-US')} events rows, ${report.options.lineitemRows.toLocaleString('en-US')} lineitem rows; medians of ${report.options.repetitions} warm runs</text>`,
  ];
  targets.forEach((t, i) => {
    const lx = labelWidth + i * 160;
    out.push(
      `<rect x="${lx}" y="40" width="10" height="10" fill="${colors[t]}"/><text x="${lx + 14}" y="49">${escapeXml(targetLabels[t])}</text>`,
    );
  });
  // Decade lines by integer exponent, so 1× is exactly 1 and no float drifts.
  for (let e = Math.round(Math.log10(low)); e <= Math.round(Math.log10(high)); e++) {
    const gx = x(10 ** e).toFixed(1);
    out.push(
      `<line x1="${gx}" y1="${top - 2}" x2="${gx}" y2="${height - 30}" stroke="${e === 0 ? '#000' : '#ddd'}" stroke-width="${e === 0 ? 1.5 : 1}"/>`,
    );
    out.push(
      `<text x="${gx}" y="${height - 16}" text-anchor="middle">${e < 0 ? (10 ** e).toFixed(-e) : 10 ** e}×</text>`,
    );
  }
  report.queries.forEach((q, i) => {
    out.push(...queryGroup(q, targets, top + i * groupHeight, x));
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function queryGroup(
  q: QueryOutcome,
  targets: readonly TargetId[],
  y: number,
  x: (v: number) => number,
): string[] {
  const out = [
    `<text x="${labelWidth - 6}" y="${y + (targets.length * barHeight) / 2 + 4}" text-anchor="end">${escapeXml(`${q.set}/${q.name}`)}</text>`,
  ];
  targets.forEach((t, j) => {
    const by = y + j * barHeight;
    const value = speedup(q, t);
    if (value === undefined) {
      const why = q.checks[t] === 'wrong' ? 'WRONG ANSWER' : (q.checks[t] ?? 'no timing');
      out.push(
        `<text x="${x(1) + 4}" y="${by + 8}" font-size="9" fill="${q.checks[t] === 'wrong' ? '#d62728' : '#777'}">${escapeXml(targetLabels[t])}: ${escapeXml(why)}</text>`,
      );
      return;
    }
    const [x0, x1] = [x(1), x(value)].sort((a, b) => a - b) as [number, number];
    out.push(
      `<rect x="${x0.toFixed(1)}" y="${by}" width="${Math.max(1, x1 - x0).toFixed(1)}" height="${barHeight - 1}" fill="${colors[t]}"/>`,
    );
    out.push(
      `<text x="${(Math.max(x1, x(1)) + 3).toFixed(1)}" y="${by + 8}" font-size="9">${ratio(value)}</text>`,
    );
  });
  return out;
}
