/**
 * `npm run review`: for every stack of one synth (grounds 0-7 and PredictiveMl), what an architect
 * approves, written into docs/review/: the block diagram (SVG + Mermaid), the inventory, the cost
 * sheet and the diff from the ground below; beside each cost sheet, the cost sheets of the variants
 * (REVIEW_VARIANTS: the regulated profile and the closed network), so their price shows per stack.
 * Offline: no credentials, no browser, no network.
 *
 *   npm run review                         synthesize once, then write docs/review/
 *   npm run review -- --assembly cdk.out   reuse a cloud assembly instead of synthesizing (the variants
 *                                          are still synthesized, in this process)
 *   npm run review -- --out <dir>          write elsewhere (test/review/review.test.ts compares)
 *   npm run review -- --assumptions a.json your traffic (review/assumptions.ts: every key optional)
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { App } from 'aws-cdk-lib';
import * as z from 'zod';
import { buildBlueprint } from '../lib/grounds/app';
import { costAssumptionsSchema, type CostAssumptions, DEFAULT_ASSUMPTIONS } from './assumptions';
import { costSheet, costSheetMarkdown, type CostSheet, type CostSheetVariant, formatUsd } from './cost';
import { renderDiagram } from './diagram';
import { diffMarkdown, stackDiff } from './diff';
import { inventoryMarkdown } from './inventory';
import { loadReviewStacks, reviewStack, type ReviewStack } from './model';

const ROOT = path.join(__dirname, '..');
export const REVIEW_DIR = path.join(ROOT, 'docs', 'review');

/** A stack with no resources: what ground 0 and the PredictiveMl stack are compared with (a first deploy). */
const NOTHING = (id: string) => reviewStack(id, { Resources: {} });

/** The stack a stack upgrades from: the ground below, or nothing. */
function below(stack: ReviewStack, stacks: readonly ReviewStack[]): ReviewStack {
  const previous = stack.ground === undefined ? undefined : stacks.find((s) => s.ground === stack.ground! - 1);
  return previous ?? NOTHING(stack.id);
}

/** A configuration priced beside the default one: each stack gets `cost-<name>.md`, the index a column with its idle floor. */
export interface ReviewVariant extends CostSheetVariant {
  /** File name part and column key: `cost-<name>.md`. */
  readonly name: string;
  /** Context keys it is synthesized with (over cdk.json's). */
  readonly context: Readonly<Record<string, unknown>>;
}

export const REVIEW_VARIANTS: readonly ReviewVariant[] = [
  {
    name: 'regulated',
    title: 'regulated profile',
    flags: '-c compliance=regulated',
    context: { compliance: 'regulated' },
    doc: 'compliance.md',
    adds: 'customer managed keys, AWS Backup, a dead-letter queue and whatever else the profile adds',
  },
  {
    name: 'private',
    title: 'closed network',
    flags: '-c network=private',
    context: { network: 'private' },
    doc: 'network.md',
    adds: 'the isolated network with an interface endpoint for each AWS API the functions call and one for the private API (execute-api)',
  },
];

/** One variant's stacks, synthesized apart (synthesizeVariant). */
export interface VariantStacks {
  readonly variant: ReviewVariant;
  readonly stacks: readonly ReviewStack[];
}

/**
 * Every file of the review, by its path below docs/review/, from one cloud assembly's stacks; with
 * `variants` (the same stacks synthesized with each variant's context), each stack that has a twin
 * in a variant also gets `cost-<variant>.md`, and the index a column with its idle floor.
 */
export async function buildReview(
  stacks: readonly ReviewStack[],
  assumptions = DEFAULT_ASSUMPTIONS,
  variants: readonly VariantStacks[] = [],
): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const sheets = new Map<string, CostSheet>(stacks.map((s) => [s.id, costSheet(s, assumptions)]));
  const variantSheets = variants.map(({ variant, stacks: twins }) => ({
    variant,
    sheets: new Map<string, CostSheet>(twins.map((s) => [s.id, costSheet(s, assumptions)])),
  }));
  const index: string[] = [];
  for (const stack of stacks) {
    const from = below(stack, stacks);
    const sheet = sheets.get(stack.id)!;
    const fromSheet = sheets.get(from.id === stack.id ? '' : from.id) ?? costSheet(from, assumptions);
    const diagram = await renderDiagram(stack);
    const diff = stackDiff(from, stack);
    files.set(`${stack.id}/diagram.svg`, diagram.svg);
    files.set(`${stack.id}/diagram.md`, `# ${stack.id}: block diagram\n\n\`\`\`mermaid\n${diagram.mermaid.trimEnd()}\n\`\`\`\n`);
    files.set(`${stack.id}/inventory.md`, inventoryMarkdown(stack));
    files.set(`${stack.id}/cost.md`, costSheetMarkdown(sheet));
    const twins = variantSheets.map(({ variant, sheets: byStack }) => ({ variant, sheet: byStack.get(stack.id) }));
    for (const { variant, sheet: twin } of twins) if (twin) files.set(`${stack.id}/cost-${variant.name}.md`, costSheetMarkdown(twin, { variant }));
    files.set(
      `${stack.id}/diff.md`,
      diffMarkdown(diff, {
        cost: { idleBelow: fromSheet.idleMonthlyUsd, idleAbove: sheet.idleMonthlyUsd, per1kBelow: fromSheet.per1kUsd, per1kAbove: sheet.per1kUsd },
      }),
    );
    const fromName = from.resources.length === 0 ? 'nothing (a first deploy)' : from.id;
    files.set(
      `${stack.id}/README.md`,
      [
        `# ${stack.id}`,
        '',
        stack.description,
        '',
        `![${stack.id}: blocks](diagram.svg)`,
        '',
        `- [Block diagram as Mermaid text](diagram.md)`,
        `- [Inventory](inventory.md): ${stack.resources.length} resources in ${stack.blocks.length} blocks; principals, entry points, stored data`,
        `- [Cost sheet](cost.md): idle floor ${usd(sheet.idleMonthlyUsd)} a month; ${usd(sheet.per1kUsd)} per 1,000 requests`,
        ...twins.flatMap(({ variant, sheet: twin }) =>
          twin
            ? [
                `- [Cost sheet, ${variant.title}](cost-${variant.name}.md): idle floor ${usd(twin.idleMonthlyUsd)} a month ` +
                  `(${signedUsd(twin.idleMonthlyUsd - sheet.idleMonthlyUsd)}); ${usd(twin.per1kUsd)} per 1,000 requests`,
              ]
            : [],
        ),
        `- [Diff from ${fromName}](diff.md)`,
        '',
      ].join('\n'),
    );
    const variantCells = twins.map(({ variant, sheet: twin }) => (twin ? `[${usd(twin.idleMonthlyUsd)}](${stack.id}/cost-${variant.name}.md)` : '–'));
    index.push(
      `| [${stack.id}](${stack.id}/README.md) | ${stack.resources.length} | ${stack.blocks.map((b) => b.name).join(', ')} | ` +
        `${usd(sheet.idleMonthlyUsd)} | ${variantCells.map((c) => `${c} | `).join('')}${usd(sheet.per1kUsd)} | [diff](${stack.id}/diff.md) |`,
    );
  }
  const columns = ['stack', 'resources', 'blocks', 'idle floor / month', ...variants.map(({ variant }) => `idle floor, ${variant.title}`)];
  columns.push('per 1,000 requests', 'from the ground below');
  files.set(
    'README.md',
    [
      '# Architect review',
      '',
      'Generated by `npm run review` from one `cdk synth` of the default configuration; CI regenerates it and fails on any difference.',
      'Cost assumptions (yours: `npm run review -- --assumptions file.json --out dir`) are in [review/assumptions.ts](../../review/assumptions.ts) ' +
        'and printed on each cost sheet; prices, with their sources, in [review/prices.ts](../../review/prices.ts).',
      '',
      ...variants.flatMap(({ variant }) => [
        `The column "idle floor, ${variant.title}" is the idle floor of the same stack synthesized with \`${variant.flags}\` ` +
          `([docs/${variant.doc}](../${variant.doc})): ${variant.adds}, each priced from the template.`,
        '',
      ]),
      `| ${columns.join(' | ')} |`,
      `| ${columns.map(() => '---').join(' | ')} |`,
      ...index,
      '',
    ].join('\n'),
  );
  return files;
}

const usd = (n: number) => `${formatUsd(n)} USD`;
const signedUsd = (n: number) => (n === 0 ? '±0 USD' : `${n > 0 ? '+' : '−'}${usd(Math.abs(n))}`);

const ROOT_CONTEXT = z.looseObject({ context: z.record(z.string(), z.unknown()) });

/**
 * A variant's templates (its context over cdk.json's) into `outdir`, synthesized in this process: the
 * review prices templates, so the cdk-nag packs (whose findings test/compliance and test/network keep)
 * are not run, nor is function code bundled (a cost sheet reads no code).
 */
export function synthesizeVariant(outdir: string, variant: ReviewVariant): void {
  const { context } = ROOT_CONTEXT.parse(JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')));
  const app = new App({
    outdir,
    context: { ...context, ...variant.context, 'aws:cdk:enable-path-metadata': true, 'aws:cdk:bundling-stacks': [] },
    analyticsReporting: false,
    builtinCloudFormationValidation: false,
  });
  buildBlueprint(app, { nag: false });
  app.synth();
}

/** Every variant synthesized into a folder of its own under `dir`, and read back. */
export function synthesizeVariants(dir: string, variants: readonly ReviewVariant[] = REVIEW_VARIANTS): VariantStacks[] {
  return variants.map((variant) => {
    const outdir = path.join(dir, variant.name);
    synthesizeVariant(outdir, variant);
    return { variant, stacks: loadReviewStacks(outdir) };
  });
}

/** `cdk synth` of every stack into `outdir`, as `npm run synth` does. */
export function synthesize(outdir: string): void {
  const cdk = path.join(ROOT, 'node_modules', '.bin', 'cdk');
  const run = spawnSync(cdk, ['synth', '--quiet', '-o', outdir], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1' },
  });
  if (run.status !== 0) throw new Error(`cdk synth failed (exit ${run.status}):\n${run.stderr}`);
}

/** Writes `files` under `dir`, removing any file there that the review no longer produces. */
export function writeReview(dir: string, files: ReadonlyMap<string, string>): void {
  fs.rmSync(dir, { recursive: true, force: true });
  for (const [name, text] of files) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
}

/** A JSON file of cost assumptions; a wrong key or value fails with the key, the value and what is allowed. */
export function readAssumptions(file: string): CostAssumptions {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`--assumptions ${file}: not a readable JSON file (${error instanceof Error ? error.message : String(error)})`, { cause: error });
  }
  const parsed = costAssumptionsSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const key = issue.path.join('.');
  const value = issue.path.reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined), json);
  throw new Error(`--assumptions ${file}: ${key || '(top level)'} = ${JSON.stringify(value)}: ${issue.message}`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { assembly: { type: 'string' }, out: { type: 'string' }, assumptions: { type: 'string' } } });
  const assumptions = values.assumptions ? readAssumptions(values.assumptions) : DEFAULT_ASSUMPTIONS;
  const started = performance.now();
  let assembly = values.assembly;
  let temp: string | undefined;
  if (!assembly) {
    temp = fs.mkdtempSync(path.join(os.tmpdir(), 'review-'));
    assembly = temp;
    synthesize(assembly);
  }
  const synthesizedStandard = performance.now();
  const variantsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'review-variants-'));
  try {
    const variants = synthesizeVariants(variantsDir);
    const synthesized = performance.now();
    const stacks = loadReviewStacks(assembly);
    const files = await buildReview(stacks, assumptions, variants);
    const out = path.resolve(values.out ?? REVIEW_DIR);
    writeReview(out, files);
    const done = performance.now();
    const seconds = (ms: number) => (ms / 1000).toFixed(1);
    console.log(
      `review: ${stacks.length} stacks, ${files.size} files in ${path.relative(process.cwd(), out) || '.'} ` +
        `(${temp ? `synth ${seconds(synthesizedStandard - started)} s, ` : ''}variants synth ${seconds(synthesized - synthesizedStandard)} s, ` +
        `review ${seconds(done - synthesized)} s)`,
    );
  } finally {
    if (temp) fs.rmSync(temp, { recursive: true, force: true });
    fs.rmSync(variantsDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
