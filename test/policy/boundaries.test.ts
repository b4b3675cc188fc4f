import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as z from 'zod/mini';
import { parseJson } from '../support/json';

/**
 * The import boundaries of DESIGN "Direction of imports" (bin → lib/grounds → lib/constructs →
 * lib/config, contracts; lambda → contracts), checked by dependency-cruiser with the rules of
 * .dependency-cruiser.cjs: on the tree, and on a fixture tree that breaks each rule once, so a
 * rule that stopped matching (a renamed folder, a bad regex) fails here too.
 */

const ROOT = path.resolve(__dirname, '../..');
const CONFIG = path.join(ROOT, '.dependency-cruiser.cjs');
const CLI = path.join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

interface Violation {
  readonly rule: string;
  readonly from: string;
  readonly to: string;
}

function cruise(cwd: string, folders: readonly string[]): { modules: number; violations: Violation[] } {
  const run = spawnSync(process.execPath, [CLI, ...folders, '--config', CONFIG, '--output-type', 'json', '--no-cache'], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (run.error) throw run.error;
  if (!run.stdout.trim()) throw new Error(`dependency-cruiser printed nothing (exit ${run.status}): ${run.stderr}`);
  const result = parseJson(
    z.object({
      summary: z.object({
        totalCruised: z.number(),
        violations: z.array(z.object({ rule: z.object({ name: z.string() }), from: z.string(), to: z.string() })),
      }),
    }),
    run.stdout,
  );
  return {
    modules: result.summary.totalCruised,
    violations: result.summary.violations.map((v) => ({ rule: v.rule.name, from: v.from, to: v.to })),
  };
}

describe('import boundaries (dependency-cruiser)', () => {
  test('the tree breaks none', () => {
    const { modules, violations } = cruise(ROOT, ['bin', 'lib', 'lambda', 'contracts']);
    expect(violations).toEqual([]);
    // It did cruise the tree (a wrong folder or config would find nothing to break).
    expect(modules).toBeGreaterThan(100);
  });

  describe('a fixture tree with one wrong import per rule', () => {
    let dir: string;
    const files: Record<string, string> = {
      'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'commonjs', moduleResolution: 'node', strict: true } }),
      // Allowed: contracts → contracts and zod/mini; constructs → config, contracts; functions → shared, contracts.
      'contracts/ids.ts': "import * as z from 'zod/mini';\nimport { TIERS } from './tiers';\nexport const ID = z.string();\nexport const T = TIERS;\n",
      'contracts/tiers.ts': 'export const TIERS = [1];\n',
      'lib/config/schema.ts': "import { ID } from '../../contracts/ids';\nexport const SCHEMA = ID;\n",
      'lib/constructs/block/block.ts':
        "import { SCHEMA } from '../../config/schema';\nimport { ID } from '../../../contracts/ids';\nexport const BLOCK = [SCHEMA, ID];\n",
      'lib/grounds/ground.ts': "import { BLOCK } from '../constructs/block/block';\nexport const GROUND = BLOCK;\n",
      'bin/app.ts': "import { GROUND } from '../lib/grounds/ground';\nexport const APP = GROUND;\n",
      'lambda/shared/http.ts': "import { ID } from '../../contracts/ids';\nexport const HTTP = ID;\n",
      'lambda/fn/core.ts': "import { HTTP } from '../shared/http';\nexport const CORE = HTTP;\n",
      // Wrong, one per rule.
      'lambda/fn/handler.ts': "import { BLOCK } from '../../lib/constructs/block/block';\nexport const H = BLOCK;\n",
      'lib/constructs/block/uses-function.ts': "import { CORE } from '../../../lambda/fn/core';\nexport const U = CORE;\n",
      'contracts/with-node.ts': "import { readFileSync } from 'node:fs';\nexport const R = readFileSync;\n",
      'contracts/with-zod.ts': "import { z } from 'zod';\nexport const Z = z.string();\n",
      'lambda/shared/uses-function.ts': "import { CORE } from '../fn/core';\nexport const S = CORE;\n",
      'lambda/other/handler.ts': "import { CORE } from '../fn/core';\nexport const O = CORE;\n",
      'lib/config/uses-ground.ts': "import { GROUND } from '../grounds/ground';\nexport const C = GROUND;\n",
      'lib/constructs/block/uses-ground.ts': "import { GROUND } from '../../grounds/ground';\nexport const G = GROUND;\n",
      'lambda/fn/a.ts': "import { B } from './b';\nexport const A = 1 + B;\n",
      'lambda/fn/b.ts': "import { A } from './a';\nexport const B = 1 + A;\n",
    };

    beforeAll(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'boundaries-'));
      for (const [file, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        fs.writeFileSync(path.join(dir, file), text);
      }
      // Packages resolve as in the project (zod/mini allowed in contracts, zod not).
      fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    });

    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    test('each rule reports its wrong import by name, and nothing else', () => {
      const { violations } = cruise(dir, ['bin', 'lib', 'lambda', 'contracts']);
      const sort = (list: Violation[]) => [...list].sort((a, b) => `${a.rule} ${a.from} ${a.to}`.localeCompare(`${b.rule} ${b.from} ${b.to}`));
      expect(sort(violations)).toEqual(
        sort([
          { rule: 'lambda-not-to-lib', from: 'lambda/fn/handler.ts', to: 'lib/constructs/block/block.ts' },
          { rule: 'constructs-not-to-lambda', from: 'lib/constructs/block/uses-function.ts', to: 'lambda/fn/core.ts' },
          { rule: 'contracts-dependency-free', from: 'contracts/with-node.ts', to: 'fs' },
          { rule: 'contracts-dependency-free', from: 'contracts/with-zod.ts', to: 'node_modules/zod/index.d.cts' },
          { rule: 'shared-not-to-function', from: 'lambda/shared/uses-function.ts', to: 'lambda/fn/core.ts' },
          { rule: 'function-not-to-function', from: 'lambda/other/handler.ts', to: 'lambda/fn/core.ts' },
          { rule: 'config-not-to-constructs-or-grounds', from: 'lib/config/uses-ground.ts', to: 'lib/grounds/ground.ts' },
          { rule: 'constructs-not-to-grounds', from: 'lib/constructs/block/uses-ground.ts', to: 'lib/grounds/ground.ts' },
          // A cycle is reported once, at the import that closes it.
          { rule: 'no-circular', from: 'lambda/fn/a.ts', to: 'lambda/fn/b.ts' },
        ]),
      );
    });
  });
});
