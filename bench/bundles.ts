import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { build } from 'esbuild';
import { bundleOptions, sdkBundled } from '../lib/constructs/shared/bundling';
import { childEnv, HANDLER_ENV, LAMBDA_ENV, OUT_DIR, ROOT } from './env';
import { median, percentile } from './stats';

/** `external`: the runtime's AWS SDK. `bundled`: the SDK inside the bundle. Which one ships is per function (`sdkBundled`). */
export type BundleMode = 'external' | 'bundled';
export const MODES: readonly BundleMode[] = ['external', 'bundled'];

export interface BundleFigures {
  readonly handler: string;
  readonly mode: BundleMode;
  /** This build is the one BlueprintFunction deploys (lib/constructs/shared/bundling.ts, `SDK_BUNDLED`). */
  readonly shipped: boolean;
  readonly file: string;
  readonly bytes: number;
  readonly kb: number;
  readonly coldLoadMs: { readonly runs: number; readonly median: number; readonly p10: number; readonly p90: number; readonly samples: number[] };
}

/** Per handler: the two builds loaded in alternation, and the per-pair difference. */
export interface ColdLoadPair {
  readonly handler: string;
  readonly pairs: number;
  /** bundled minus external, pair by pair (a negative median: the bundled build loads faster). */
  readonly bundledMinusExternalMs: { readonly median: number; readonly p10: number; readonly p90: number };
}

/**
 * Pairs per handler. Each pair loads both builds back to back, in alternating order, so a busy
 * machine disturbs both builds alike; medians of 15 samples each.
 */
const COLD_LOAD_PAIRS = 15;

/** Functions with a second build, by bench name: the prompt function of the cached grounds. */
const EXTRA_ENTRIES: Record<string, string> = { 'prompt-cached': path.join('prompt', 'handler-cached.ts') };

/** Handler names: every `lambda/<name>/handler.ts`, and the extra entries. */
export function handlerNames(): string[] {
  const dir = path.join(ROOT, 'lambda');
  const names = fs.readdirSync(dir).filter((name) => fs.existsSync(path.join(dir, name, 'handler.ts')));
  return [...names, ...Object.keys(EXTRA_ENTRIES)].sort();
}

/** The `lambda/` folder a bench name builds from (`prompt-cached` is a second entry of `prompt`). */
export function handlerDirOf(handler: string): string {
  return path.dirname(EXTRA_ENTRIES[handler] ?? path.join(handler, 'handler.ts'));
}

/** The build BlueprintFunction deploys for this bench name. */
export function shippedMode(handler: string): BundleMode {
  return sdkBundled(handlerDirOf(handler)) ? 'bundled' : 'external';
}

function entryOf(handler: string): string {
  return path.join(ROOT, 'lambda', EXTRA_ENTRIES[handler] ?? path.join(handler, 'handler.ts'));
}

export function bundleFile(handler: string, mode: BundleMode): string {
  return path.join(OUT_DIR, 'bundles', handler, mode, 'index.js');
}

/** The options of `BlueprintFunction` (lib/constructs/shared/bundling.ts), SDK in or out. */
async function bundle(handler: string, mode: BundleMode): Promise<string> {
  const outfile = bundleFile(handler, mode);
  await build(bundleOptions(entryOf(handler), outfile, { bundleSdk: mode === 'bundled' }));
  return outfile;
}

/**
 * Module load in a fresh node process, timed inside it: node's own start-up is not counted, only
 * the `require` (parse, compile, module-scope init) a Lambda cold start pays for the handler.
 */
const LOAD_SCRIPT = `
// The Lambda runtime's global for streaming handlers (their module calls it at load).
globalThis.awslambda = { streamifyResponse: (f) => f, HttpResponseStream: { from: (s) => s } };
const start = process.hrtime.bigint();
require(process.env.BENCH_BUNDLE);
process.stdout.write(String(Number(process.hrtime.bigint() - start) / 1e6));
`;

function coldLoadOnce(handler: string, file: string): number {
  const run = spawnSync(process.execPath, ['-e', LOAD_SCRIPT], {
    // NODE_PATH stands in for the runtime's own SDK: the external @aws-sdk/* and @smithy/* must resolve.
    env: childEnv({ ...LAMBDA_ENV, ...HANDLER_ENV[handler], NODE_PATH: path.join(ROOT, 'node_modules'), BENCH_BUNDLE: file }),
    encoding: 'utf8',
  });
  if (run.error) throw run.error;
  const ms = Number(run.stdout);
  if (run.status !== 0 || !Number.isFinite(ms)) throw new Error(`loading ${file} failed (exit ${run.status}):\n${tail(run.stderr)}`);
  return ms;
}

/** The end of a child's stderr, long lines cut: a minified bundle's source line would drown the error. */
function tail(stderr: string, lines = 15, width = 300): string {
  return stderr
    .trimEnd()
    .split('\n')
    .slice(-lines)
    .map((l) => (l.length > width ? `${l.slice(0, width)}…` : l))
    .join('\n');
}

export async function benchBundles(): Promise<{ figures: BundleFigures[]; pairs: ColdLoadPair[] }> {
  const figures: BundleFigures[] = [];
  const pairs: ColdLoadPair[] = [];
  for (const handler of handlerNames()) {
    const files = { external: await bundle(handler, 'external'), bundled: await bundle(handler, 'bundled') };
    const samples: Record<BundleMode, number[]> = { external: [], bundled: [] };
    const diffs: number[] = [];
    for (let i = 0; i < COLD_LOAD_PAIRS; i++) {
      // Alternate which build goes first: neither always gets the warmer page cache.
      const order: BundleMode[] = i % 2 === 0 ? ['external', 'bundled'] : ['bundled', 'external'];
      const ms = {} as Record<BundleMode, number>;
      for (const mode of order) ms[mode] = coldLoadOnce(handler, files[mode]);
      for (const mode of MODES) samples[mode].push(ms[mode]);
      diffs.push(ms.bundled - ms.external);
    }
    for (const mode of MODES) {
      const bytes = fs.statSync(files[mode]).size;
      const s = samples[mode];
      figures.push({
        handler,
        mode,
        shipped: sdkBundled(handlerDirOf(handler)) === (mode === 'bundled'),
        file: path.relative(ROOT, files[mode]),
        bytes,
        kb: bytes / 1024,
        coldLoadMs: { runs: s.length, median: median(s), p10: percentile(s, 10), p90: percentile(s, 90), samples: s },
      });
    }
    pairs.push({ handler, pairs: diffs.length, bundledMinusExternalMs: { median: median(diffs), p10: percentile(diffs, 10), p90: percentile(diffs, 90) } });
  }
  return { figures, pairs };
}
