/**
 * The two paths to one classification, side by side: `POST /predict` (a small trained model on a
 * SageMaker endpoint) and a GenAI call that classifies the same customer.
 *
 *   npx tsx bench/predict.ts
 *
 * Measured: the /predict handler's overhead (validation, CSV, SDK call, mapping, response) over a
 * bare InvokeEndpoint round trip, against the loopback SageMaker fake, p50/p99. Computed: cost per
 * 1M requests from the model catalog (lib/config/models.ts) and SAGEMAKER_PRICES
 * (lib/config/predictive-ml.ts), with the request sizes stated below. Not measured (no AWS here):
 * the endpoint's and the model's own latency.
 */
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { MODEL_CATALOG } from '../lib/config/models';
import { SAGEMAKER_PRICES } from '../lib/config/predictive-ml';
import { CHURN_DATASET } from '../contracts/dataset';
import { apiEvent, lambdaContext } from '../test/support/api-event';
import { PREDICT_ENDPOINT, startPredictHandler } from '../test/support/sagemaker-fake';
import { LAMBDA_ENV } from './env';
import { msSince, percentile, round } from './stats';

Object.assign(process.env, LAMBDA_ENV);

const WARMUP = 300;
const RUNS = 3_000;
const FEATURES = { tenure_months: 2, monthly_charges: 110, support_calls: 6, contract_months: 1, fiber: true, late_payments: 4, data_usage_gb: 20, age: 30 };

/** Request sizes of the same classification on both paths (tokens ≈ characters / 4). */
const GENAI_PROMPT =
  'You classify telecom customers as "churn" or "stay". Answer with one word and a probability between 0 and 1, nothing else. ' +
  `Features: ${CHURN_DATASET.features.map((f) => `${f.name} (${f.description})`).join('; ')}. ` +
  `Customer: ${JSON.stringify(FEATURES)}`;
const GENAI_INPUT_TOKENS = Math.ceil(GENAI_PROMPT.length / 4);
const GENAI_OUTPUT_TOKENS = 6;
/** Assumed billed compute of one XGBoost prediction on a warm serverless endpoint (ms) [U]: re-measure on a deployed endpoint. */
const SERVERLESS_BILLED_MS = 20;
const SERVERLESS_MEMORY_GB = 2;

async function overhead() {
  const { fake, handler } = await startPredictHandler();
  fake.endpoints.set(PREDICT_ENDPOINT, { name: PREDICT_ENDPOINT, configName: 'bench', status: 'InService' });
  const bare = new SageMakerRuntimeClient({ maxAttempts: 1 });
  const row = '2,110,6,1,1,4,20,30';
  const event = apiEvent('predict', { features: FEATURES });
  const handlerMs: number[] = [];
  const bareMs: number[] = [];
  for (let i = 0; i < WARMUP + RUNS; i++) {
    let start = process.hrtime.bigint();
    const res = await handler(event, lambdaContext());
    const h = msSince(start);
    if (res.statusCode !== 200) throw new Error(`handler answered ${res.statusCode}: ${res.body}`);
    start = process.hrtime.bigint();
    await bare.send(new InvokeEndpointCommand({ EndpointName: PREDICT_ENDPOINT, ContentType: 'text/csv', Body: row }));
    const b = msSince(start);
    if (i >= WARMUP) {
      handlerMs.push(h);
      bareMs.push(b);
    }
  }
  await fake.stop();
  const paired = handlerMs.map((h, i) => h - bareMs[i]);
  return {
    handler: { p50: percentile(handlerMs, 50), p99: percentile(handlerMs, 99) },
    bare: { p50: percentile(bareMs, 50), p99: percentile(bareMs, 99) },
    overhead: { p50: percentile(paired, 50), p99: percentile(paired, 99) },
  };
}

function costs() {
  const csvBytes = '2,110,6,1,1,4,20,30'.length + '0.981234\n'.length;
  const serverless =
    SERVERLESS_MEMORY_GB * (SERVERLESS_BILLED_MS / 1000) * SAGEMAKER_PRICES.serverlessPerGbSecond +
    (csvBytes / 1e9) * SAGEMAKER_PRICES.serverlessPerGbProcessed;
  const hours = 730;
  const rows: [string, number, string][] = [
    [`SageMaker Serverless, ${SERVERLESS_MEMORY_GB} GB, ${SERVERLESS_BILLED_MS} ms billed per request`, serverless * 1e6, 'per 1M requests; nothing when idle'],
    [
      'SageMaker real-time, 1 x ml.m5.large, at 1M requests/month',
      SAGEMAKER_PRICES.instancePerHour['ml.m5.large'] * hours,
      `fixed ${round(SAGEMAKER_PRICES.instancePerHour['ml.m5.large'] * hours)} USD/month whatever the volume`,
    ],
    [
      'SageMaker real-time, 1 x ml.m5.large, at 100M requests/month',
      (SAGEMAKER_PRICES.instancePerHour['ml.m5.large'] * hours) / 100,
      'same instance, 100x the volume (~38 req/s)',
    ],
  ];
  for (const alias of ['nova-micro', 'nova-lite', 'claude-haiku-4-5'] as const) {
    const p = MODEL_CATALOG[alias].price;
    rows.push([
      `${MODEL_CATALOG[alias].displayName} (${GENAI_INPUT_TOKENS} in / ${GENAI_OUTPUT_TOKENS} out tokens)`,
      ((GENAI_INPUT_TOKENS * p.inputPerMTok + GENAI_OUTPUT_TOKENS * p.outputPerMTok) / 1e6) * 1e6,
      'per 1M requests, on-demand',
    ]);
  }
  return rows;
}

async function main() {
  const o = await overhead();
  console.log(`/predict handler against the loopback SageMaker fake (${RUNS} requests after ${WARMUP} warm-up):`);
  console.log(`  handler end to end   p50 ${round(o.handler.p50, 3)} ms  p99 ${round(o.handler.p99, 3)} ms`);
  console.log(`  bare InvokeEndpoint  p50 ${round(o.bare.p50, 3)} ms  p99 ${round(o.bare.p99, 3)} ms`);
  console.log(`  overhead (paired)    p50 ${round(o.overhead.p50, 3)} ms  p99 ${round(o.overhead.p99, 3)} ms`);
  const c = costs();
  console.log(
    `\nCost per 1M classifications (model/endpoint only; API Gateway, WAF and Lambda are the same on both paths), prices as of ${SAGEMAKER_PRICES.asOf}:`,
  );
  for (const [label, usd, note] of c) console.log(`  ${label.padEnd(72)} ${`$${round(usd, 2)}`.padStart(9)}  ${note}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
