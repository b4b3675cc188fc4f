import { parseArgs } from 'node:util';
import { z } from 'zod';
import { predictiveMlSchema } from '../lib/config/predictive-ml';
import { CHURN_DATASET } from '../contracts/dataset';
import { PRICING_REGIONS } from './prices';
import { DECK_DOCUMENT_ASSUMPTIONS, documentCost, formatUsd, predictionOptions, type PredictionAssumptions } from './cost';

/**
 * `npm run cost`: the seed deck's two cost questions, with every assumption printed.
 *   1. Document processing: Textract against catalog models, for --pages pages of --words-per-page words.
 *   2. Predictive ML: a SageMaker model against foundation models, for --predictions predictions a month.
 * Defaults reproduce the deck's table (docs/cost.md says which assumptions do).
 */

const number = z.coerce.number().min(0);
const argsSchema = z.object({
  pages: number.default(DECK_DOCUMENT_ASSUMPTIONS.pages),
  'words-per-page': number.default(DECK_DOCUMENT_ASSUMPTIONS.wordsPerPage),
  'tokens-per-word': number.default(DECK_DOCUMENT_ASSUMPTIONS.tokensPerWord),
  input: z.enum(['text', 'image']).default(DECK_DOCUMENT_ASSUMPTIONS.input),
  'image-tokens': number.default(DECK_DOCUMENT_ASSUMPTIONS.imageTokensPerPage),
  'prompt-tokens': number.default(DECK_DOCUMENT_ASSUMPTIONS.promptOverheadTokens),
  'output-ratio': number.default(DECK_DOCUMENT_ASSUMPTIONS.outputRatio),
  textract: z.enum(['detect-text', 'tables', 'forms']).default(DECK_DOCUMENT_ASSUMPTIONS.textractApi),
  models: z.string().default('textract,nova-pro,claude-sonnet-4-5'),
  predictions: number.default(1_000_000),
  'fm-models': z.string().default('nova-micro,nova-lite,claude-sonnet-4-5'),
  region: z.enum(PRICING_REGIONS).default('us-east-1'),
});

/** The flags with their defaults, for `npm run cost -- --help`. */
export function costUsage(): string {
  const defaults = argsSchema.parse({});
  const flags = Object.entries(defaults).map(([k, v]) => `  --${k.padEnd(16)} default ${String(v)}`);
  return ['npm run cost -- [flags]   (all optional; the defaults reproduce the deck, see docs/cost.md)', '', ...flags].join('\n');
}

export function costReport(argv: readonly string[]): string {
  const options = Object.fromEntries(
    [...Object.keys(argsSchema.shape), 'help'].map((k) => [k, { type: k === 'help' ? ('boolean' as const) : ('string' as const) }]),
  );
  const { help, ...values } = parseArgs({ args: [...argv], options, strict: true }).values;
  if (help) return costUsage();
  const parsed = argsSchema.safeParse(values);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = String(issue.path[0]);
    throw new Error(`--${key} ${JSON.stringify(values[key])}: ${issue.message} (npm run cost -- --help lists the flags)`);
  }
  const a = parsed.data;
  const doc = {
    pages: a.pages,
    wordsPerPage: a['words-per-page'],
    tokensPerWord: a['tokens-per-word'],
    input: a.input,
    imageTokensPerPage: a['image-tokens'],
    promptOverheadTokens: a['prompt-tokens'],
    outputRatio: a['output-ratio'],
    textractApi: a.textract,
    region: a.region,
  };
  const out: string[] = ['Document processing (USD a month, on-demand list prices)', ''];
  out.push(`Assumptions: ${JSON.stringify(doc)}`);
  out.push('  input text: the page text is sent (image: --image-tokens per page); output: --output-ratio × the page text tokens; no batch discount.', '');
  const rows = a.models.split(',').map((m) => documentCost(m.trim(), doc));
  const base = rows[0].usd;
  for (const r of rows) out.push(`  ${r.label.padEnd(34)} ${formatUsd(r.usd).padStart(10)}  ${(r.usd / base).toFixed(1)}x  ${r.detail}`);

  const ml = predictiveMlSchema.parse({});
  const pred: PredictionAssumptions = {
    predictionsPerMonth: a.predictions,
    trainingRunsPerMonth: 4,
    trainingMinutes: ml.maxTrainingMinutes,
    trainingInstanceType: ml.trainingInstanceType,
    endpointInstanceType: ml.instanceType,
    endpointInstanceCount: ml.instanceCount,
    serverlessMemoryMb: ml.serverlessMemoryMb,
    endpointMs: 100,
    bytesPerPrediction: 2_000,
    promptOverheadTokens: 200,
    tokensPerFeature: 15,
    features: CHURN_DATASET.features.length,
    outputTokens: 5,
    region: a.region,
  };
  out.push('', `Predictive ML: churn prediction (${CHURN_DATASET.features.length} features), USD a month`, '');
  out.push(`Assumptions: ${JSON.stringify(pred)}`);
  out.push(
    '  training billed for its whole time limit (predictiveMl.maxTrainingMinutes), weekly; API Gateway and Lambda in front are the same for all and left out.',
    '',
  );
  for (const o of predictionOptions(
    a['fm-models'].split(',').map((m) => m.trim()),
    pred,
  )) {
    out.push(`  ${o.label.padEnd(52)} ${formatUsd(o.usd).padStart(10)}  ${o.detail}`);
  }
  out.push('', 'Prices: review/prices.ts (each with its source; most are marked assumed). Notes: docs/cost.md.');
  return out.join('\n');
}

if (process.argv[1]?.endsWith('cost-cli.ts')) {
  try {
    process.stdout.write(`${costReport(process.argv.slice(2))}\n`);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
