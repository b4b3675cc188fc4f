import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BuildOptions } from 'esbuild';

/**
 * The folder holding package.json, `lambda/` and `contracts/`: the repository, or the installed
 * package. This file runs from `lib/constructs/shared/` in the repository and from
 * `dist/lib/constructs/shared/` in the package, so it is the nearest folder above with a package.json.
 */
export const PACKAGE_ROOT = packageRoot(__dirname);

function packageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}: genai-blueprint cannot find its lambda/ sources`);
  }
}

/**
 * The functions (folders under `lambda/`) whose bundle carries its own AWS SDK; the others use the
 * runtime's.
 *
 * The functions that serve a request, whose cold start a caller waits for: prompt (both builds),
 * chat-stream, openai, agent, agent-actions, sessions, feedback, predict. On Node.js 24, loading one
 * file instead of the runtime SDK's packages was faster for each (bench/bundles.ts, both builds
 * loaded in alternating pairs; predict's pairs the least clear), at ~3x the asset size (~150-310 KB
 * to ~450-820 KB) and with the SDK pinned at build time. The functions behind SQS, Step Functions
 * and custom resources keep the runtime's SDK: nobody waits for their cold start.
 */
export const SDK_BUNDLED: ReadonlySet<string> = new Set<string>([
  'prompt',
  'chat-stream',
  'openai',
  'agent',
  'agent-actions',
  'sessions',
  'feedback',
  'predict',
]);

/** Whether the function built from `lambda/<handlerDir>/` bundles the SDK (see SDK_BUNDLED). */
export function sdkBundled(handlerDir: string): boolean {
  return SDK_BUNDLED.has(handlerDir);
}

/**
 * The esbuild options of every function bundle (BlueprintFunction, and bench/bundles.ts, which
 * measures what ships): minified CommonJS for Node.js 24, the runtime's SDK v3 and the `@smithy/*`
 * packages it is built on left external unless `bundleSdk`.
 */
export function bundleOptions(entry: string, outfile: string, opts: { bundleSdk?: boolean } = {}): BuildOptions {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    minify: true,
    sourcemap: false,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    mainFields: ['module', 'main'],
    external: opts.bundleSdk ? [] : ['@aws-sdk/*', '@smithy/*'],
    // Only the X-Ray SDK's v2 patcher imports semver, and no function uses it (see the stub).
    alias: { semver: path.join(PACKAGE_ROOT, 'lambda', 'shared', 'semver-unused.ts') },
    logLevel: 'error',
    absWorkingDir: PACKAGE_ROOT,
  };
}
