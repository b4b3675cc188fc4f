import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { childEnv, OUT_DIR, ROOT } from './env';
import { median, min, msSince } from './stats';

export interface SynthFigures {
  readonly runs: number;
  readonly medianS: number;
  readonly minS: number;
  readonly samplesS: number[];
}

export interface SynthResults {
  readonly all: SynthFigures;
  readonly perGround: ({ ground: number; stackId: string } & SynthFigures)[];
}

const CDK_OUT = path.join(OUT_DIR, 'cdk.out');
/** Time allowed for the per-ground runs: the whole bench should stay under ~3 minutes. */
const PER_GROUND_BUDGET_S = 60;

/** One `cdk synth --quiet` as `npm run synth` runs it, into the bench's own output dir. */
function synthOnce(context: string[]): number {
  // A fresh output dir each run, so every run stages (bundles) its assets the same way.
  fs.rmSync(CDK_OUT, { recursive: true, force: true });
  const start = process.hrtime.bigint();
  const run = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'cdk'), ['synth', '--quiet', '-o', CDK_OUT, ...context], {
    cwd: ROOT,
    env: childEnv({ CDK_DISABLE_VERSION_CHECK: '1' }),
    encoding: 'utf8',
  });
  const seconds = msSince(start) / 1000;
  if (run.error) throw run.error;
  if (run.status !== 0) throw new Error(`cdk synth ${context.join(' ')} failed (exit ${run.status}):\n${run.stderr}`);
  return seconds;
}

function repeat(runs: number, context: string[]): SynthFigures {
  const samplesS = Array.from({ length: runs }, () => synthOnce(context));
  return { runs, medianS: median(samplesS), minS: min(samplesS), samplesS };
}

export async function benchSynth(): Promise<SynthResults> {
  // Loaded here, not at the top of run.ts: aws-cdk-lib is big and should not sit in the heap
  // while the in-process handler benchmark runs.
  const { GROUNDS } = await import('../lib/grounds/ground-stack');
  const all = repeat(3, []);
  // Up to three runs per ground, as many as fit the budget (at least one each), whatever GROUNDS holds.
  const runs = Math.max(1, Math.min(3, Math.floor(PER_GROUND_BUDGET_S / (all.medianS * GROUNDS.length))));
  const perGround = GROUNDS.map((g) => ({ ground: g.ground, stackId: g.stackId, ...repeat(runs, ['-c', `ground=${g.ground}`]) }));
  return { all, perGround };
}
