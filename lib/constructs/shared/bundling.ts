import * as path from 'node:path';
import type { BuildOptions } from 'esbuild';

const PROJECT_ROOT = path.join(__dirname, '..', '..', '..');

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
    alias: { semver: path.join(PROJECT_ROOT, 'lambda', 'shared', 'semver-unused.ts') },
    logLevel: 'error',
    absWorkingDir: PROJECT_ROOT,
  };
}
