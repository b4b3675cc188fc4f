import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { bundleOptions, SDK_BUNDLED, sdkBundled } from '../../lib/constructs/shared/bundling';

const ROOT = path.join(__dirname, '..', '..');
const ENTRIES = [
  ...fs
    .readdirSync(path.join(ROOT, 'lambda'))
    .filter((d) => fs.existsSync(path.join(ROOT, 'lambda', d, 'handler.ts')))
    .map((d) => path.join('lambda', d, 'handler.ts')),
  path.join('lambda', 'prompt', 'handler-cached.ts'),
];

describe('function bundles', () => {
  test('leave the runtime SDK out, and stub semver, whose only importer in the bundles is the X-Ray SDK v2 patcher', () => {
    const options = bundleOptions('lambda/prompt/handler.ts', '/tmp/out.js');
    expect(options).toMatchObject({ bundle: true, minify: true, platform: 'node', target: 'node24', format: 'cjs', external: ['@aws-sdk/*', '@smithy/*'] });
    expect(bundleOptions('x.ts', 'y.js', { bundleSdk: true }).external).toEqual([]);
    // If a dependency upgrade imports semver from anywhere else, the stub would break it: fail here first.
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'genai-bundles-'));
    const importers = new Set<string>();
    for (const entry of ENTRIES) {
      const { metafile } = buildSync({ ...bundleOptions(path.join(ROOT, entry), path.join(out, 'index.js')), alias: {}, metafile: true, minify: false });
      for (const [file, input] of Object.entries(metafile!.inputs)) {
        if (!file.startsWith('node_modules/semver/') && input.imports.some((i) => /node_modules[\\/]semver[\\/]/.test(i.path))) importers.add(file);
      }
    }
    fs.rmSync(out, { recursive: true, force: true });
    expect(ENTRIES.length).toBeGreaterThan(10);
    expect([...importers]).toEqual(['node_modules/aws-xray-sdk-core/dist/lib/patchers/aws_p.js']);
  });

  test('SDK_BUNDLED names function folders only', () => {
    for (const dir of SDK_BUNDLED) expect(fs.existsSync(path.join(ROOT, 'lambda', dir, 'handler.ts'))).toBe(true);
    expect(sdkBundled('no-such-function')).toBe(false);
  });

  test('the semver stand-in fails loudly if it is ever called', () => {
    const stub = (bundleOptions('x.ts', 'y.js').alias as Record<string, string>).semver;
    const { gte } = require(stub) as { gte: () => never };
    expect(() => gte()).toThrow(/semver is not bundled: the X-Ray SDK v2 patcher \(captureAWS\) is not used/);
  });
});
