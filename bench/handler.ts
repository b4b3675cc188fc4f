import { ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { apiEvent, lambdaContext } from '../test/support/api-event';
import { BedrockFake } from '../test/support/bedrock-fake';
import type { Handler } from '../test/support/prompt-handler';
import { bundleFile } from './bundles';
import { HANDLER_ENV, LAMBDA_ENV } from './env';
import { mean, msSince, percentile } from './stats';

export interface LatencyFigures {
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
}

export interface HandlerResults {
  readonly calls: number;
  readonly warmup: number;
  /** Whole handler call, including the loopback HTTP round trip to the fake. */
  readonly handlerMs: LatencyFigures;
  /** A bare Converse call with the same client set-up over the same fake. */
  readonly bareRoundTripMs: LatencyFigures;
  /** Handler minus bare round trip, percentile by percentile: what our code adds to the model call. */
  readonly overheadMs: { readonly p50: number; readonly p99: number };
  /**
   * Percentiles of the per-pair differences (each handler call minus the bare call right after
   * it). A difference of two p99s is mostly noise and can even go negative; this one is not.
   */
  readonly pairedOverheadMs: { readonly p50: number; readonly p99: number };
}

const WARMUP = 200;
const CALLS = 5_000;
const QUERY = 'What is retrieval-augmented generation?';

const figures = (samples: number[]): LatencyFigures => ({ p50: percentile(samples, 50), p99: percentile(samples, 99), mean: mean(samples) });

/**
 * The prompt handler as shipped (the SDK-external bundle from `benchBundles`) against a fake
 * Bedrock that answers at once, so the figures are our code plus one loopback round trip.
 */
export async function benchPromptHandler(): Promise<HandlerResults> {
  const fake = await BedrockFake.start();
  try {
    fake.exportEndpoints();
    // Before any require: the handler and Powertools read these at module load.
    Object.assign(process.env, LAMBDA_ENV, HANDLER_ENV.prompt);
    const { handler } = require(bundleFile('prompt', 'external')) as { handler: Handler };
    const { createBedrockRuntime } = await import('../lambda/shared/bedrock');
    const env = HANDLER_ENV.prompt;
    const client = createBedrockRuntime({ maxAttempts: Number(env.BEDROCK_MAX_ATTEMPTS), attemptTimeoutMs: Number(env.BEDROCK_ATTEMPT_TIMEOUT_MS) });
    const converse = () =>
      new ConverseCommand({
        modelId: env.MODEL_ID,
        messages: [{ role: 'user', content: [{ text: QUERY }] }],
        inferenceConfig: { maxTokens: Number(env.MAX_TOKENS), temperature: Number(env.TEMPERATURE) },
      });

    const callHandler = async (): Promise<number> => {
      const event = apiEvent('prompt', { query: QUERY });
      const context = lambdaContext();
      const start = process.hrtime.bigint();
      const result = await handler(event, context);
      const ms = msSince(start);
      if (result.statusCode !== 200) throw new Error(`prompt handler answered ${result.statusCode}: ${result.body}`);
      return ms;
    };
    const callBare = async (): Promise<number> => {
      const command = converse();
      const start = process.hrtime.bigint();
      const out = await client.send(command);
      const ms = msSince(start);
      if (!out.output?.message) throw new Error('bare Converse call returned no message');
      return ms;
    };

    // Warm-up fills JIT caches and opens the keep-alive connections of both clients.
    for (let i = 0; i < WARMUP; i++) {
      await callHandler();
      await callBare();
    }
    // Interleaved so drift (GC, CPU frequency, other load) hits both series alike.
    const handlerSamples: number[] = [];
    const bareSamples: number[] = [];
    for (let i = 0; i < CALLS; i++) {
      handlerSamples.push(await callHandler());
      bareSamples.push(await callBare());
    }
    const expected = 2 * (WARMUP + CALLS);
    if (fake.count('Converse') !== expected) throw new Error(`fake saw ${fake.count('Converse')} Converse calls, expected ${expected}`);

    const paired = handlerSamples.map((h, i) => h - bareSamples[i]);
    const handlerMs = figures(handlerSamples);
    const bareRoundTripMs = figures(bareSamples);
    return {
      calls: CALLS,
      warmup: WARMUP,
      handlerMs,
      bareRoundTripMs,
      overheadMs: { p50: handlerMs.p50 - bareRoundTripMs.p50, p99: handlerMs.p99 - bareRoundTripMs.p99 },
      pairedOverheadMs: { p50: percentile(paired, 50), p99: percentile(paired, 99) },
    };
  } finally {
    await fake.stop();
  }
}
