import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadReviewStacks, type ReviewStack } from '../../review/model';
import { buildReview, readAssumptions, REVIEW_DIR, synthesize } from '../../review/run';

/**
 * docs/review/ is what `npm run review` writes from one synth of this tree: a change to a block
 * that is not reviewed (the review not regenerated and committed) fails here, naming the files.
 */
let assembly: string;
let stacks: ReviewStack[];
let files: Map<string, string>;

beforeAll(async () => {
  assembly = fs.mkdtempSync(path.join(os.tmpdir(), 'review-'));
  synthesize(assembly);
  stacks = loadReviewStacks(assembly);
  files = await buildReview(stacks);
}, 240_000);

afterAll(() => fs.rmSync(assembly, { recursive: true, force: true }));

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
