/** Small statistics and timing helpers shared by the benchmarks. */

/** Nearest-rank percentile (p in 0..100): always a value that was actually measured. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) throw new Error('percentile of no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

export const median = (samples: readonly number[]): number => percentile(samples, 50);
export const min = (samples: readonly number[]): number => Math.min(...samples);
export const mean = (samples: readonly number[]): number => samples.reduce((a, b) => a + b, 0) / samples.length;

/** Milliseconds elapsed since `start` (a `process.hrtime.bigint()` reading), with sub-ms precision. */
export const msSince = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e6;

export const round = (n: number, digits = 2): number => Number(n.toFixed(digits));
