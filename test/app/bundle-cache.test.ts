import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { bundle, bundleOptions, PACKAGE_ROOT, sdkBundled } from '../../lib/constructs/shared/bundling';

/**
 * The bundle cache (lib/constructs/shared/bundling.ts `bundle`) against real esbuild builds: a
 * cached bundle is what esbuild would build now, or it is rebuilt. The fixture function lives in
 * a temporary folder; its first build also builds every function under lambda/ into this test's
 * cache (one esbuild run per SDK mode), which the first test compares with one-by-one builds.
 *
 * Each edit changes the file's length: within one process, `bundle` re-reads a file only when its
 * inode, size or modification time changed, and two writes can share a modification time.
 */
describe('bundle cache', () => {
  let tmp: string;
  let cache: string;
  let fixture: string;
  const out = () => fs.mkdtempSync(path.join(tmp, 'out-'));
  // A bundle is cached only if nothing it read changed in the last seconds before its build
  // (an edit during the build): fixture files and folders get past, distinct modification times.
  let stamp = Date.now() / 1000 - 600;
  const write = (file: string, text: string) => {
    const full = path.join(fixture, file);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, text);
    stamp += 0.001;
    for (let p = full; p.startsWith(fixture); p = path.dirname(p)) fs.utimesSync(p, stamp, stamp);
  };
  /** Bundles the fixture; returns whether it came from the cache, and the bundle. */
  const run = (opts: { bundleSdk?: boolean } = {}) => {
    const dir = out();
    const source = bundle(path.join(fixture, 'handler.ts'), dir, opts, cache);
    return { source, code: fs.readFileSync(path.join(dir, 'index.js'), 'utf8') };
  };

  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-cache-'));
    cache = path.join(tmp, 'cache');
    fixture = path.join(tmp, 'fixture');
    write(
      'handler.ts',
      "import { dep } from './dep';\nimport { lib } from 'lib';\nimport { mapped } from '#mapped';\nexport const handler = () => [dep, lib, mapped];\n",
    );
    write('dep.ts', "export const dep = 'dep-one';\n");
    write('node_modules/lib/package.json', JSON.stringify({ name: 'lib', main: 'a.js' }));
    write('node_modules/lib/a.js', "exports.lib = 'lib-a';\n");
    write('node_modules/lib/b.js', "exports.lib = 'lib-b-longer';\n");
    write('tsconfig.json', JSON.stringify({ compilerOptions: { paths: { '#mapped': ['./mapped-a.ts'] } } }));
    write('mapped-a.ts', "export const mapped = 'mapped-a';\n");
    write('mapped-b.ts', "export const mapped = 'mapped-b-longer';\n");
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('the functions built together are byte for byte what each builds alone, and are then served from the cache', () => {
    const entries = ['prompt/handler.ts', 'prompt/handler-cached.ts', 'ingest/handler.ts'].map((e) => path.join(PACKAGE_ROOT, 'lambda', e));
    expect(sdkBundled('prompt')).not.toBe(sdkBundled('ingest'));
    entries.forEach((entry, i) => {
      const opts = { bundleSdk: sdkBundled(path.basename(path.dirname(entry))) };
      const dir = out();
      // The first builds every function (the others are then in the cache).
      expect(bundle(entry, dir, opts, cache)).toBe(i === 0 ? 'built' : 'cached');
      const alone = buildSync({ ...bundleOptions(entry, path.join(dir, 'alone.js'), opts), write: false }).outputFiles[0].contents;
      expect(fs.readFileSync(path.join(dir, 'index.js')).equals(Buffer.from(alone))).toBe(true);
    });
  });

  test('serves an unchanged bundle, and rebuilds when a source, a package, a tsconfig, a folder or the options change', () => {
    const first = run();
    expect(first.source).toBe('built');
    for (const text of ['dep-one', 'lib-a', 'mapped-a']) expect(first.code).toContain(text);
    expect(run()).toEqual({ source: 'cached', code: first.code });

    write('dep.ts', "export const dep = 'dep-two-longer';\n");
    expect(run()).toEqual({ source: 'built', code: expect.stringContaining('dep-two-longer') });
    expect(run().source).toBe('cached');

    write('node_modules/lib/package.json', JSON.stringify({ name: 'lib', main: 'b.js' }));
    expect(run()).toEqual({ source: 'built', code: expect.stringContaining('lib-b-longer') });

    write('tsconfig.json', JSON.stringify({ compilerOptions: { paths: { '#mapped': ['./mapped-b.ts'] } } }));
    expect(run()).toEqual({ source: 'built', code: expect.stringContaining('mapped-b-longer') });

    // A new file that `./dep` now resolves to (esbuild tries .tsx before .ts), no file read before changed.
    write('dep.tsx', "export const dep = 'dep-tsx';\n");
    expect(run()).toEqual({ source: 'built', code: expect.stringContaining('dep-tsx') });
    expect(run().source).toBe('cached');

    // Other options, another cache entry.
    expect(run({ bundleSdk: true }).source).toBe('built');
    expect(run({ bundleSdk: true }).source).toBe('cached');
    expect(run().source).toBe('cached');
  });

  test('a cached bundle that does not match its record is rebuilt', () => {
    const { code } = run();
    for (const file of fs.readdirSync(cache).filter((f) => f.endsWith('.js'))) {
      if (fs.readFileSync(path.join(cache, file), 'utf8') === code) fs.writeFileSync(path.join(cache, file), 'exports.handler = () => "tampered";');
    }
    expect(run()).toEqual({ source: 'built', code });
  });

  test('a file added beside a folder the build read from, which the import now resolves to, is built (not the cached folder index)', () => {
    write('dep.tsx', "export { dep } from './sub/dep';\n");
    write('sub/dep/index.ts', "export const dep = 'dep-index';\n");
    write('sub/other.ts', 'export const other = 1;\n');
    expect(run().code).toContain('dep-index');
    expect(run().source).toBe('cached');
    // sub/ was not a folder the build read a file from; sub/dep.ts shadows sub/dep/index.ts.
    write('sub/dep.ts', "export const dep = 'dep-file';\n");
    expect(run()).toEqual({ source: 'built', code: expect.stringContaining('dep-file') });
  });

  test('a file modified during (or just before) the build is not trusted: the bundle is not cached until it is older', () => {
    const full = path.join(fixture, 'dep.tsx');
    fs.writeFileSync(full, "export const dep = 'dep-fresh';\n");
    expect(run()).toEqual({ source: 'built', code: expect.stringContaining('dep-fresh') });
    expect(run().source).toBe('built');
    stamp += 0.001;
    fs.utimesSync(full, stamp, stamp);
    expect(run().source).toBe('built');
    expect(run().source).toBe('cached');
  });

  test('a build error fails the bundle, naming the file', () => {
    write('dep.tsx', 'export const dep = ;\n');
    expect(() => run()).toThrow(/dep\.tsx/);
  });
});
