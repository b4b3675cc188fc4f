import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { build } from 'esbuild';
import { bundleOptions } from '../lib/constructs/shared/bundling';
import { childEnv, HANDLER_ENV, LAMBDA_ENV, OUT_DIR, ROOT } from './env';
import { median, percentile } from './stats';

/** `external`: the runtime's AWS SDK, what we ship. `bundled`: the SDK inside the bundle. */
export type BundleMode = 'external' | 'bundled';
export const MODES: readonly BundleMode[] = ['external', 'bundled'];

export interface BundleFigures {
  readonly handler: string;
  readonly mode: BundleMode;
  readonly file: string;
  readonly bytes: number;
  readonly kb: number;
  readonly coldLoadMs: { readonly runs: number; readonly median: number; readonly p90: number; readonly samples: number[] };
}

const COLD_LOAD_RUNS = 9;

/** Functions with a second build, by bench name: the prompt function of the cached grounds. */
const EXTRA_ENTRIES: Record<string, string> = { 'prompt-cached': path.join('prompt', 'handler-cached.ts') };

/** Handler names: every `lambda/<name>/handler.ts`, and the extra entries. */
export function handlerNames(): string[] {
  const dir = path.join(ROOT, 'lambda');
  const names = fs.readdirSync(dir).filter((name) => fs.existsSync(path.join(dir, name, 'handler.ts')));
  return [...names, ...Object.keys(EXTRA_ENTRIES)].sort();
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

export async function benchBundles(): Promise<BundleFigures[]> {
  const figures: BundleFigures[] = [];
  for (const handler of handlerNames()) {
    for (const mode of MODES) {
      const file = await bundle(handler, mode);
      const bytes = fs.statSync(file).size;
      const samples = Array.from({ length: COLD_LOAD_RUNS }, () => coldLoadOnce(handler, file));
      figures.push({
        handler,
        mode,
        file: path.relative(ROOT, file),
        bytes,
        kb: bytes / 1024,
        coldLoadMs: { runs: samples.length, median: median(samples), p90: percentile(samples, 90), samples },
      });
    }
  }
  return figures;
}
