/** Order statistics for timings: medians travel between runs better than means. */

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Nearest-rank percentile; NaN for no values. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (p === 50 && sorted.length % 2 === 1) return sorted[(sorted.length - 1) / 2]!;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

export function seconds(since: number): number {
  return (performance.now() - since) / 1000;
}

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
