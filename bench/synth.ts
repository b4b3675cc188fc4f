import * as fs from 'node:fs';
import * as path from 'node:path';
import { childEnv, OUT_DIR, ROOT } from './env';
import { measureProcess } from './memory';
import { median, min } from './stats';

export interface SynthFigures {
  readonly runs: number;
  readonly medianS: number;
  readonly minS: number;
  readonly samplesS: number[];
  /** Peak of the largest single process (the app), per run: what `/usr/bin/time -v` reports. Linux only. */
  readonly largestProcessPeakMiB?: { readonly median: number; readonly max: number; readonly samples: number[] };
  /** Peak of the whole process tree's summed memory (CLI + app + validation child + esbuild), per run. Linux only. */
  readonly treePeakMiB?: { readonly median: number; readonly max: number; readonly samples: number[] };
}

export interface SynthResults {
  readonly all: SynthFigures;
  readonly perGround: ({ ground: number; stackId: string } & SynthFigures)[];
}

const CDK_OUT = path.join(OUT_DIR, 'cdk.out');
/** Time allowed for the per-ground runs: the whole bench should stay under ~3 minutes. */
const PER_GROUND_BUDGET_S = 60;

/** One `cdk synth --quiet` as `npm run synth` runs it, into the bench's own output dir, with its memory. */
async function synthOnce(context: string[]): Promise<{ seconds: number; largest?: number; tree?: number }> {
  // A fresh output dir each run, so every run stages (bundles) its assets the same way.
  fs.rmSync(CDK_OUT, { recursive: true, force: true });
  const run = await measureProcess(path.join(ROOT, 'node_modules', '.bin', 'cdk'), ['synth', '--quiet', '-o', CDK_OUT, ...context], {
    cwd: ROOT,
    env: childEnv({ CDK_DISABLE_VERSION_CHECK: '1' }),
  });
  if (run.status !== 0) throw new Error(`cdk synth ${context.join(' ')} failed (exit ${run.status}):\n${run.stderr}`);
  return { seconds: run.seconds, largest: run.largestProcessPeakMiB, tree: run.treePeakMiB };
}

const peaks = (samples: (number | undefined)[]) =>
  samples.every((n): n is number => n !== undefined) ? { median: median(samples), max: Math.max(...samples), samples } : undefined;

async function repeat(runs: number, context: string[]): Promise<SynthFigures> {
  const results = [];
  for (let i = 0; i < runs; i++) results.push(await synthOnce(context));
  const samplesS = results.map((r) => r.seconds);
  return {
    runs,
    medianS: median(samplesS),
    minS: min(samplesS),
    samplesS,
    largestProcessPeakMiB: peaks(results.map((r) => r.largest)),
    treePeakMiB: peaks(results.map((r) => r.tree)),
  };
}

export async function benchSynth(): Promise<SynthResults> {
  // Loaded here, not at the top of run.ts: aws-cdk-lib is big and should not sit in the heap
  // while the in-process handler benchmark runs.
  const { GROUNDS } = await import('../lib/grounds/ground-stack');
  const all = await repeat(3, []);
  // Up to three runs per ground, as many as fit the budget (at least one each), whatever GROUNDS holds.
  const runs = Math.max(1, Math.min(3, Math.floor(PER_GROUND_BUDGET_S / (all.medianS * GROUNDS.length))));
  const perGround = [];
  for (const g of GROUNDS) perGround.push({ ground: g.ground, stackId: g.stackId, ...(await repeat(runs, ['-c', `ground=${g.ground}`])) });
  return { all, perGround };
}
