/**
 * With BLUEPRINT_SYNTH_TIMING set, prints `synth-timing <label> <ms since the process started>` to
 * stderr: where a synth's time goes (bench/synth.ts reads these lines). Otherwise nothing.
 */
export function synthTiming(label: string): void {
  if (process.env.BLUEPRINT_SYNTH_TIMING) process.stderr.write(`synth-timing ${label} ${Math.round(performance.now())}\n`);
}
