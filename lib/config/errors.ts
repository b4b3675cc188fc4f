/**
 * A wrong configuration (cdk.json context or `-c key=value`): the message names the key, the value
 * and what is allowed, and is all a user needs. `bin/app.ts` prints it alone and exits 1; any other
 * error is a bug and keeps its stack trace.
 */
export class ConfigError extends Error {
  public override readonly name = 'ConfigError';

  constructor(lines: readonly string[]) {
    super(`Invalid genai-blueprint configuration (cdk.json context or -c key=value):\n${lines.map((l) => `  - ${l}`).join('\n')}`);
  }
}
