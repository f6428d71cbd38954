/** Writes the report as JSON, Markdown and SVG into the output directory; returns the paths. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BenchReport } from './bench-report.js';
import { markdownReport } from './markdown-report.js';
import { svgChart } from './svg-chart.js';

export async function writeReport(report: BenchReport, outDir: string): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const base = path.join(outDir, `bench-${report.options.rows}-rows`);
  const files: [string, string][] = [
    [`${base}.json`, `${JSON.stringify(report, null, 2)}\n`],
    [`${base}.md`, `${markdownReport(report)}\nChart: ${path.basename(base)}.svg\n`],
    [`${base}.svg`, svgChart(report)],
  ];
  for (const [file, text] of files) await writeFile(file, text);
  return files.map(([file]) => file);
}
