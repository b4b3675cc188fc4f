import * as fs from 'node:fs';
import * as path from 'node:path';
import { BUNDLE_CACHE } from '../lib/constructs/shared/bundling';
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
  /**
   * Median time of each phase of the app's run, in seconds since its process started
   * (BLUEPRINT_SYNTH_TIMING, lib/grounds/synth-timing.ts), in the order they happen.
   */
  readonly phasesS: { readonly phase: string; readonly medianS: number }[];
}

export interface SynthResults {
  /** All grounds from a clean bundle cache (node_modules/.cache/genai-blueprint/bundles removed): a fresh clone, as CI synthesizes. */
  readonly all: SynthFigures;
  /** All grounds with the bundle cache the previous run left: a developer's repeated synth. Runs alternate with `all`'s. */
  readonly allWarm: SynthFigures;
  /** Each ground alone, warm cache. */
  readonly perGround: ({ ground: number; stackId: string } & SynthFigures)[];
}

const CDK_OUT = path.join(OUT_DIR, 'cdk.out');
/** Time allowed for the per-ground runs: the whole bench should stay under ~3 minutes. */
const PER_GROUND_BUDGET_S = 60;

interface Run {
  readonly seconds: number;
  readonly largest?: number;
  readonly tree?: number;
  readonly phases: Map<string, number>;
}

/** One `cdk synth --quiet` as `npm run synth` runs it, into the bench's own output dir, with its memory and phases. */
async function synthOnce(context: string[], opts: { cleanCache?: boolean } = {}): Promise<Run> {
  // A fresh output dir each run, as `npm run synth` has.
  fs.rmSync(CDK_OUT, { recursive: true, force: true });
  if (opts.cleanCache) fs.rmSync(BUNDLE_CACHE, { recursive: true, force: true });
  const run = await measureProcess(path.join(ROOT, 'node_modules', '.bin', 'cdk'), ['synth', '--quiet', '-o', CDK_OUT, ...context], {
    cwd: ROOT,
    env: childEnv({ CDK_DISABLE_VERSION_CHECK: '1', BLUEPRINT_SYNTH_TIMING: '1' }),
  });
  if (run.status !== 0) throw new Error(`cdk synth ${context.join(' ')} failed (exit ${run.status}):\n${run.stderr}`);
  return { seconds: run.seconds, largest: run.largestProcessPeakMiB, tree: run.treePeakMiB, phases: phasesOf(run.stderr) };
}

/** The app's `synth-timing <label> <ms>` lines; the templates' as the first and the last written. */
function phasesOf(stderr: string): Map<string, number> {
  const phases = new Map<string, number>();
  for (const [, label, ms] of stderr.matchAll(/^synth-timing (.+) (\d+)$/gm)) {
    const phase = label.startsWith('written ') ? (phases.has('first template written') ? 'last template written' : 'first template written') : label;
    phases.set(phase.replace(/ \(.*\)$/, ''), Number(ms) / 1000);
  }
  return phases;
}

const peaks = (samples: (number | undefined)[]) =>
  samples.every((n): n is number => n !== undefined) ? { median: median(samples), max: Math.max(...samples), samples } : undefined;

function figures(results: Run[]): SynthFigures {
  const samplesS = results.map((r) => r.seconds);
  const phases = [...new Set(results.flatMap((r) => [...r.phases.keys()]))];
  return {
    runs: results.length,
    medianS: median(samplesS),
    minS: min(samplesS),
    samplesS,
    largestProcessPeakMiB: peaks(results.map((r) => r.largest)),
    treePeakMiB: peaks(results.map((r) => r.tree)),
    phasesS: phases.map((phase) => ({ phase, medianS: median(results.flatMap((r) => r.phases.get(phase) ?? [])) })).sort((a, b) => a.medianS - b.medianS),
  };
}

export async function benchSynth(): Promise<SynthResults> {
  // Loaded here, not at the top of run.ts: aws-cdk-lib is big and should not sit in the heap
  // while the in-process handler benchmark runs.
  const { GROUNDS } = await import('../lib/grounds/ground-stack');
  // Clean and warm runs alternate, so a busy machine disturbs both alike.
  const clean: Run[] = [];
  const warm: Run[] = [];
  for (let i = 0; i < 3; i++) {
    clean.push(await synthOnce([], { cleanCache: true }));
    warm.push(await synthOnce([]));
  }
  const allWarm = figures(warm);
  // Up to three runs per ground, as many as fit the budget (at least one each), whatever GROUNDS holds.
  const runs = Math.max(1, Math.min(3, Math.floor(PER_GROUND_BUDGET_S / (allWarm.medianS * GROUNDS.length))));
  const perGround = [];
  for (const g of GROUNDS) {
    const results = [];
    for (let i = 0; i < runs; i++) results.push(await synthOnce(['-c', `ground=${g.ground}`]));
    perGround.push({ ground: g.ground, stackId: g.stackId, ...figures(results) });
  }
  return { all: figures(clean), allWarm, perGround };
}
