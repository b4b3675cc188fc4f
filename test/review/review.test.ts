import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { costSheet } from '../../review/cost';
import { DEFAULT_ASSUMPTIONS } from '../../review/assumptions';
import { loadReviewStacks, type ReviewStack } from '../../review/model';
import { buildReview, readAssumptions, REVIEW_DIR, REVIEW_VARIANTS, synthesize, synthesizeVariants, type VariantStacks } from '../../review/run';

/**
 * docs/review/ is what `npm run review` writes from one synth of this tree: a change to a block
 * that is not reviewed (the review not regenerated and committed) fails here, naming the files.
 */
let assembly: string;
let variantsDir: string;
let stacks: ReviewStack[];
let variants: VariantStacks[];
let regulated: readonly ReviewStack[];
let closed: readonly ReviewStack[];
let files: Map<string, string>;

beforeAll(async () => {
  assembly = fs.mkdtempSync(path.join(os.tmpdir(), 'review-'));
  variantsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'review-variants-'));
  synthesize(assembly);
  variants = synthesizeVariants(variantsDir);
  stacks = loadReviewStacks(assembly);
  const twins = (name: string) => variants.find((v) => v.variant.name === name)!.stacks;
  [regulated, closed] = [twins('regulated'), twins('private')];
  files = await buildReview(stacks, DEFAULT_ASSUMPTIONS, variants);
}, 240_000);

afterAll(() => {
  fs.rmSync(assembly, { recursive: true, force: true });
  fs.rmSync(variantsDir, { recursive: true, force: true });
});

function committed(): Map<string, string> {
  const found = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else found.set(path.relative(REVIEW_DIR, full), fs.readFileSync(full, 'utf8'));
    }
  };
  if (fs.existsSync(REVIEW_DIR)) walk(REVIEW_DIR);
  return found;
}

describe('npm run review', () => {
  test('covers the 8 grounds and the PredictiveMl stack, each with a diagram, inventory, cost sheet and diff', () => {
    expect(stacks.map((s) => s.id)).toEqual([
      'Ground0-ModelCall',
      'Ground1-PromptManagement',
      'Ground2-KnowledgeBase',
      'Ground3-Guardrails',
      'Ground4-Gateway',
      'Ground5-Caches',
      'Ground6-Agents',
      'Ground7-FullSystem',
      'PredictiveMl',
    ]);
    for (const stack of stacks) {
      for (const name of ['README.md', 'diagram.svg', 'diagram.md', 'inventory.md', 'cost.md', 'diff.md']) {
        expect(files.get(`${stack.id}/${name}`)?.length ?? 0).toBeGreaterThan(0);
      }
    }
  });

  test.each(REVIEW_VARIANTS.map((v) => [v.name, v.title] as const))(
    'each stack also has the cost sheet of the %s variant, linked from its README and the index',
    (name, title) => {
      expect(variants.find((v) => v.variant.name === name)!.stacks.map((s) => s.id)).toEqual(stacks.map((s) => s.id));
      for (const stack of stacks) {
        expect(files.get(`${stack.id}/cost-${name}.md`)).toMatch(new RegExp(`^# Cost: ${stack.id}, ${title}\n`));
        expect(files.get(`${stack.id}/README.md`)).toContain(`[Cost sheet, ${title}](cost-${name}.md)`);
        expect(files.get('README.md')).toContain(`](${stack.id}/cost-${name}.md) |`);
      }
    },
  );

  test('the index has a column per variant, in order', () => {
    expect(files.get('README.md')).toContain('| idle floor / month | idle floor, regulated profile | idle floor, closed network | per 1,000 requests |');
  });

  test('the closed network costs its interface endpoints: at least one more than the standard stack has, at every ground', () => {
    const endpoints = (s: ReviewStack) => s.resources.filter((r) => r.type === 'AWS::EC2::VPCEndpoint').length;
    for (const [i, stack] of stacks.entries()) {
      const [open, shut] = [costSheet(stack, DEFAULT_ASSUMPTIONS), costSheet(closed[i], DEFAULT_ASSUMPTIONS)];
      expect({ stack: stack.id, more: endpoints(closed[i]) > endpoints(stack) }).toEqual({ stack: stack.id, more: true });
      expect(shut.idleMonthlyUsd).toBeGreaterThan(open.idleMonthlyUsd);
    }
  });

  test("the regulated idle floor of each stack is the standard one plus at least its extra keys' $1 a month each", () => {
    const keys = (s: ReviewStack) => s.resources.filter((r) => r.type === 'AWS::KMS::Key').length;
    for (const [i, stack] of stacks.entries()) {
      const [lean, strict] = [costSheet(stack, DEFAULT_ASSUMPTIONS), costSheet(regulated[i], DEFAULT_ASSUMPTIONS)];
      const extraKeys = keys(regulated[i]) - keys(stack);
      expect({ stack: stack.id, extraKeys: extraKeys > 0 }).toEqual({ stack: stack.id, extraKeys: true });
      expect(strict.idleMonthlyUsd - lean.idleMonthlyUsd).toBeGreaterThanOrEqual(extraKeys);
    }
    // The tables and buckets in the backup plan are priced per GB, at 0 GB assumed for a new deployment.
    expect(files.get('Ground7-FullSystem/cost-regulated.md')).toMatch(
      /\| AWS Backup storage, tables \(0 GB assumed at rest\) \| 3 tables in the daily backup plan \|/,
    );
  });

  test('each SVG diagram names every block of its stack, and no block the stack does not have', () => {
    for (const stack of stacks) {
      const svg = files.get(`${stack.id}/diagram.svg`)!;
      expect(svg.startsWith('<?xml') || svg.startsWith('<svg')).toBe(true);
      for (const block of stack.blocks.filter((b) => b.id !== 'Shared'))
        expect({ stack: stack.id, named: svg.includes(block.name) }).toEqual({ stack: stack.id, named: true });
    }
    const ground0 = files.get('Ground0-ModelCall/diagram.svg')!;
    expect(ground0).not.toContain('Knowledge base');
    expect(ground0).not.toContain('Guardrail');
  });

  test('docs/review/ is what the review writes from this tree (run `npm run review` and commit it)', () => {
    const onDisk = committed();
    const drift = [
      ...[...files.keys()].filter((f) => !onDisk.has(f)).map((f) => `missing: ${f}`),
      ...[...onDisk.keys()].filter((f) => !files.has(f)).map((f) => `not produced any more: ${f}`),
      ...[...files].filter(([f, text]) => onDisk.has(f) && onDisk.get(f) !== text).map(([f]) => `out of date: ${f}`),
    ];
    expect(drift).toEqual([]);
  });
});

describe('npm run review -- --assumptions <file>', () => {
  const write = (json: string) => {
    const file = path.join(assembly, 'assumptions.json');
    fs.writeFileSync(file, json);
    return file;
  };

  test('a file of assumptions changes the cost sheets; keys left out keep their defaults', async () => {
    const assumptions = readAssumptions(
      write(JSON.stringify({ model: 'claude-sonnet-4-5', routes: { model: { monthlyRequests: 1_000_000, lambdaMs: 3000 } } })),
    );
    expect(assumptions.model).toBe('claude-sonnet-4-5');
    expect(assumptions.outputTokens).toBe(300);
    const ground0 = stacks.filter((s) => s.id === 'Ground0-ModelCall');
    const [mine, ours] = [await buildReview(ground0, assumptions), await buildReview(ground0)];
    expect(mine.get('Ground0-ModelCall/cost.md')).toContain('"model": "claude-sonnet-4-5"');
    expect(mine.get('Ground0-ModelCall/cost.md')).not.toEqual(ours.get('Ground0-ModelCall/cost.md'));
  });

  test('a wrong key or value fails naming the key, the value and what is allowed', () => {
    expect(() => readAssumptions(write('{"cacheHitRate": -1}'))).toThrow(/cacheHitRate = -1: Too small: expected number to be >=0/);
    expect(() => readAssumptions(write('{"model": "gpt-9"}'))).toThrow(/model = "gpt-9": Invalid option: expected one of "nova-micro"/);
    expect(() => readAssumptions(write('{"tokens": 3}'))).toThrow(/Unrecognized key: "tokens"/);
    expect(() => readAssumptions(write('{'))).toThrow(/not a readable JSON file/);
  });
});
