import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type BuildOptions, buildSync, type Metafile, version as esbuildVersion } from 'esbuild';
import { z } from 'zod';

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

/** The file every function bundle is written to (the functions' handler is `index.handler`). */
const BUNDLE_FILE = 'index.js';

/**
 * Where function bundles are kept between synths: the CDK CLI stages every asset afresh in each
 * synth, and bundling was a third of `npm run synth`. Delete the folder for a clean build.
 */
export const BUNDLE_CACHE = path.join(PACKAGE_ROOT, 'node_modules', '.cache', 'genai-blueprint', 'bundles');

/** One function bundle: its entry file and whether it carries the SDK. */
interface FunctionBundle {
  readonly entry: string;
  readonly bundleSdk: boolean;
}

/**
 * Writes the bundle of `entry` (what `bundleOptions` builds) to `<outputDir>/index.js`, from
 * `cacheDir` when nothing it was built from has changed: its esbuild options and esbuild's version
 * (the cache key), the content of every file the build read, the package.json of each package it
 * read from, the package.json and tsconfig.json of each source folder it read from and of the
 * folders above up to the package root, and the names in those source folders (a new file there
 * can change what an import resolves to). Not watched: folders holding nothing the build read (a
 * node_modules created between the sources and the package root would go unseen).
 *
 * On a miss, every function under `lambda/` whose cached bundle is missing or stale is built, one
 * esbuild run per set of options: the functions share most of what they read (the SDK), parsed
 * once per run. Measured on a busy 2-core machine: 13 bundles in ~1.7-2.2 s rather than
 * ~3.6-4.5 s one by one, byte for byte the same (test/app/bundle-cache.test.ts). So a one-ground
 * synth on a cold cache builds every function, once.
 */
export function bundle(entry: string, outputDir: string, opts: { bundleSdk?: boolean } = {}, cacheDir = BUNDLE_CACHE): 'cached' | 'built' {
  const wanted: FunctionBundle = { entry, bundleSdk: opts.bundleSdk ?? false };
  let code = fromCache(wanted, cacheDir);
  const source = code ? 'cached' : 'built';
  if (!code) {
    const stale = functionEntries().filter((f) => (f.entry !== entry || f.bundleSdk !== wanted.bundleSdk) && !fromCache(f, cacheDir));
    let built: Map<FunctionBundle, Buffer>;
    try {
      built = buildAndCache([wanted, ...stale], cacheDir);
    } catch (error) {
      // Another function that does not build: build this one alone, which fails only on its own error.
      if (stale.length === 0) throw error;
      built = buildAndCache([wanted], cacheDir);
    }
    code = built.get(wanted)!;
  }
  fs.writeFileSync(path.join(outputDir, BUNDLE_FILE), code);
  return source;
}

/** The bundles BlueprintFunction builds: `lambda/<handlerDir>/<entry>`, its entry files named `handler*.ts`. */
function functionEntries(): FunctionBundle[] {
  const lambdaDir = path.join(PACKAGE_ROOT, 'lambda');
  return fs
    .readdirSync(lambdaDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) =>
      fs
        .readdirSync(path.join(lambdaDir, d.name))
        .filter((f) => /^handler.*\.ts$/.test(f))
        .map((f) => ({ entry: path.join(lambdaDir, d.name, f), bundleSdk: sdkBundled(d.name) })),
    );
}

/** Builds `bundles` (one esbuild run per set of options) and stores each in `cacheDir`. */
function buildAndCache(bundles: FunctionBundle[], cacheDir: string): Map<FunctionBundle, Buffer> {
  const groups = new Map<string, { options: BuildOptions; group: FunctionBundle[] }>();
  for (const b of bundles) {
    const { entryPoints: _entry, outfile: _outfile, ...options } = bundleOptions(b.entry, BUNDLE_FILE, b);
    const key = JSON.stringify(options);
    groups.set(key, { options, group: [...(groups.get(key)?.group ?? []), b] });
  }
  const built = new Map<FunctionBundle, Buffer>();
  for (const { options, group } of groups.values()) {
    const outdir = path.join(cacheDir, 'out');
    const started = Date.now();
    const result = buildSync({
      ...options,
      // `<n>/index`: each output keeps the file name it would have built alone.
      entryPoints: group.map((b, i) => ({ in: b.entry, out: `${i}/${path.parse(BUNDLE_FILE).name}` })),
      outdir,
      write: false,
      metafile: true,
    });
    group.forEach((b, i) => {
      const outputPath = path.join(outdir, String(i), BUNDLE_FILE);
      const code = Buffer.from(result.outputFiles.find((f) => f.path === outputPath)!.contents);
      // esbuild's metafile keys use '/' on every platform.
      const output = result.metafile.outputs[path.relative(options.absWorkingDir!, outputPath).split(path.sep).join('/')];
      store(b, code, readBy(result.metafile, output.entryPoint!, options.absWorkingDir!), cacheDir, started);
      built.set(b, code);
    });
  }
  return built;
}

/** The files (absolute paths) the build read for the output of `entryPoint`: its imports, transitively. */
function readBy(metafile: Metafile, entryPoint: string, workingDir: string): string[] {
  const seen = new Set<string>([entryPoint]);
  for (const input of seen) for (const i of metafile.inputs[input]?.imports ?? []) if (!i.external) seen.add(i.path);
  return [...seen].map((input) => path.resolve(workingDir, input));
}

const cacheRecord = z.object({ output: z.string(), files: z.record(z.string(), z.string().nullable()), folders: z.record(z.string(), z.string()) });
type CacheRecord = z.infer<typeof cacheRecord>;

function cacheKey(b: FunctionBundle): string {
  return sha1(JSON.stringify({ esbuild: esbuildVersion, options: bundleOptions(b.entry, BUNDLE_FILE, b) }));
}

/** Margin for file systems whose modification times are coarse (FAT: 2 s). */
const MTIME_SLACK_MS = 2000;

/**
 * Records what the build of `b` read. Not stored if any of it changed since `started` (less the
 * slack): esbuild may have read it before that change, so the record's hash would describe content
 * the bundle was not built from, and the stale bundle would be reused until the file changed again.
 */
function store(b: FunctionBundle, code: Buffer, inputs: string[], cacheDir: string, started: number): void {
  const files = new Set(inputs);
  const folders = new Set<string>();
  for (const input of inputs) {
    const pkg = /^(.*[/\\]node_modules[/\\](?:@[^/\\]+[/\\])?[^/\\]+)[/\\]/.exec(input);
    if (pkg) {
      files.add(path.join(pkg[1], 'package.json'));
      continue;
    }
    for (let dir = path.dirname(input); ; dir = path.dirname(dir)) {
      files.add(path.join(dir, 'package.json')).add(path.join(dir, 'tsconfig.json'));
      if (dir === PACKAGE_ROOT || path.dirname(dir) === dir) break;
    }
    for (const dir of lookupFolders(input, b.entry)) folders.add(dir);
  }
  const changedSince = (p: string) => (fs.statSync(p, { throwIfNoEntry: false })?.mtimeMs ?? 0) >= started - MTIME_SLACK_MS;
  if ([...files, ...folders].some(changedSince)) return;
  const record: CacheRecord = {
    output: sha1(code),
    files: Object.fromEntries([...files].map((f) => [f, fileHash(f)])),
    folders: Object.fromEntries([...folders].map((d) => [d, folderHash(d)])),
  };
  // The cache only saves time: a folder that cannot be written leaves every synth building.
  try {
    fs.mkdirSync(cacheDir, { recursive: true });
    const key = cacheKey(b);
    // Each file whole or not at all (rename); a bundle that does not match its record is not used.
    for (const [name, content] of [[`${key}.js`, code] as const, [`${key}.json`, JSON.stringify(record)] as const]) {
      const temp = path.join(cacheDir, `${name}.${process.pid}`);
      fs.writeFileSync(temp, content);
      fs.renameSync(temp, path.join(cacheDir, name));
    }
  } catch {
    // not cached
  }
}

/**
 * The folders whose listings decide what an import of `input` resolves to: its own, and each one
 * above it up to the one it shares with the entry, below the package root (whose listing changes
 * with every cdk.out). A file added beside a folder can shadow it: `./sub/dep` resolves to
 * sub/dep.ts before sub/dep/index.ts.
 */
function lookupFolders(input: string, entry: string): string[] {
  const entryDir = path.dirname(entry);
  const folders: string[] = [];
  for (let dir = path.dirname(input); dir !== PACKAGE_ROOT && path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    folders.push(dir);
    if (entryDir === dir || entryDir.startsWith(dir + path.sep)) break;
  }
  return folders;
}

function fromCache(b: FunctionBundle, cacheDir: string): Buffer | undefined {
  const key = cacheKey(b);
  let record: CacheRecord;
  let code: Buffer;
  try {
    record = cacheRecord.parse(JSON.parse(fs.readFileSync(path.join(cacheDir, `${key}.json`), 'utf8')));
    code = fs.readFileSync(path.join(cacheDir, `${key}.js`));
  } catch {
    return undefined;
  }
  const current =
    sha1(code) === record.output &&
    Object.entries(record.files).every(([f, hash]) => fileHash(f) === hash) &&
    Object.entries(record.folders).every(([d, hash]) => folderHash(d) === hash);
  return current ? code : undefined;
}

function sha1(content: string | Buffer): string {
  return createHash('sha1').update(content).digest('hex');
}

/** Content hashes by path, reused while the file's inode, size and modification time stay the same. */
const hashes = new Map<string, { stamp: string; hash: string }>();

function fileHash(file: string): string | null {
  const stat = fs.statSync(file, { bigint: true, throwIfNoEntry: false });
  if (!stat?.isFile()) return null;
  const stamp = `${stat.ino}:${stat.size}:${stat.mtimeNs}`;
  const known = hashes.get(file);
  if (known?.stamp === stamp) return known.hash;
  const hash = sha1(fs.readFileSync(file));
  hashes.set(file, { stamp, hash });
  return hash;
}

function folderHash(dir: string): string {
  try {
    return sha1(fs.readdirSync(dir).sort().join('\n'));
  } catch {
    return '';
  }
}
