/** Number formats shared by the Markdown and SVG reports. */

export function ms(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

export function ratio(value: number): string {
  return value >= 10 ? `${value.toFixed(0)}×` : `${value.toFixed(1)}×`;
}

export function bytes(value: number): string {
  if (value >= 1e9) return `${(value / 1e9).toFixed(2)} GB`;
  return value >= 1e6 ? `${(value / 1e6).toFixed(1)} MB` : `${(value / 1e3).toFixed(1)} kB`;
}

export function mib(value: number): string {
  return `${Math.round(value / 1048576).toLocaleString('en-US')} MiB`;
}

export function rate(rowsPerSecond: number): string {
  return rowsPerSecond >= 1e6
    ? `${(rowsPerSecond / 1e6).toFixed(2)} M rows/s`
    : `${Math.round(rowsPerSecond / 1000).toLocaleString('en-US')} k rows/s`;
}

export function geometricMean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  return Math.exp(values.reduce((sum, v) => sum + Math.log(v), 0) / values.length);
}
