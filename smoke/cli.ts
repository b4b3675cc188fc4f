import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import * as z from 'zod/mini';
import { TENANT_NAME_PATTERN } from '../contracts/ids';
import { resolveTarget } from './aws';
import { exitCode, formatResult, formatSummary, planProbes, runProbes, SmokeError } from './core';

/**
 * `npm run smoke -- [--stack <name>] [--region <region>] [--tenant <name>]`: after
 * `npx cdk deploy -c ground=N`, calls every route of the deployed API once, as a client would,
 * and prints one line per route. Exit 0: every route passed; 1: a route failed; 2: the check could
 * not start (no stack, credentials, output, or a wrong flag). docs/smoke.md.
 */

const USAGE = [
  'npm run smoke -- [--stack <name>] [--region <region>] [--tenant <name>]',
  '  --stack   the deployed stack (default: stackName of the configuration, GenAiBlueprint unless cdk.json sets it;',
  '            the PredictiveMl stack alone is <stackName>-PredictiveMl)',
  "  --region  the stack's region (default: the AWS SDK's, e.g. AWS_REGION or the profile's)",
  '  --tenant  whose API key and machine client to use (default: the first tenant in the outputs)',
].join('\n');

const FLAGS = {
  stack: { type: 'string', pattern: /^[A-Za-z][A-Za-z0-9-]{0,127}$/, allowed: 'a CloudFormation stack name: a letter, then letters, digits or -' },
  region: { type: 'string', pattern: /^[a-z]{2}(-[a-z]+)+-\d+$/, allowed: 'an AWS region such as us-east-1' },
  tenant: { type: 'string', pattern: TENANT_NAME_PATTERN, allowed: '1-64 letters, digits or -' },
} as const;

export interface Io {
  out(line: string): void;
  err(line: string): void;
}

const processIo: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** Runs the check; resolves to the exit code. Never throws: every problem is one line on `err`. */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  let values: { stack?: string; region?: string; tenant?: string; help?: boolean };
  try {
    values = parseArgs({
      args: [...argv],
      options: { stack: { type: 'string' }, region: { type: 'string' }, tenant: { type: 'string' }, help: { type: 'boolean' } },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    // Node's message names the flag ("Unknown option '--stak'"); its advice about '--' does not apply here.
    io.err(`smoke: ${(error as Error).message.split('. ')[0]}; allowed flags: --stack, --region, --tenant, --help`);
    return 2;
  }
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  for (const [flag, spec] of Object.entries(FLAGS)) {
    const value = values[flag as keyof typeof FLAGS];
    if (value !== undefined && !spec.pattern.test(value)) {
      io.err(`smoke: --${flag} ${JSON.stringify(value)}: expected ${spec.allowed}`);
      return 2;
    }
  }
  try {
    const stack = values.stack ?? (await configuredStackName());
    const target = await resolveTarget({ stack, ...(values.region ? { region: values.region } : {}), ...(values.tenant ? { tenant: values.tenant } : {}) });
    const who = target.tenant ? `, tenant ${target.tenant}` : '';
    const routes = `${target.routes.length} route${target.routes.length === 1 ? '' : 's'}`;
    io.out(`Smoke check of stack ${target.stack} (${target.stackStatus}, ${target.region}): ${routes} at ${target.baseUrl}${who}`);
    const results = await runProbes(planProbes(target.routes), target.send, (result) => io.out(formatResult(result)));
    io.out(formatSummary(results));
    return exitCode(results);
  } catch (error) {
    io.err(`smoke: ${error instanceof SmokeError ? error.message : `unexpected error: ${(error as Error)?.message ?? String(error)}`}`);
    return 2;
  }
}

const cdkJson = z.object({ context: z.optional(z.record(z.string(), z.unknown())) });

/** The stack name `cdk deploy` used: the configuration's stackName, from cdk.json's context and the schema's default. */
async function configuredStackName(): Promise<string> {
  // Loaded only here: lib/config uses the full zod, which sets its English messages globally.
  const { loadConfig } = await import('../lib/config/schema');
  const file = path.join(__dirname, '..', 'cdk.json');
  const context = cdkJson.parse(JSON.parse(fs.readFileSync(file, 'utf8'))).context ?? {};
  try {
    return loadConfig(context).stackName;
  } catch (error) {
    throw new SmokeError(`cdk.json: ${(error as Error).message}`);
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
