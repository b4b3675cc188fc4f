/**
 * The integration tests, one file each (`integ/integ.<name>.ts`, the form `integ-runner` lists).
 * `npm run integ` runs them from this table; test/integ/integ.test.ts checks that integ-runner
 * lists exactly these files and that each synthesizes what its row says.
 */
export interface IntegTestSpec {
  /** What `npm run integ -- <name>` selects. */
  readonly name: string;
  /** The file under integ/ (integ-runner's pattern: `^integ\..*\.ts$`). */
  readonly file: string;
  /** The ground deployed (`ml`: the PredictiveMl stack alone), as `-c ground` selects it. */
  readonly ground: 0 | 3 | 5 | 7 | 'ml';
  /**
   * The configuration's `stackName` for this test: never `GenAiBlueprint` (a user's deployment),
   * one per test, so tests may run side by side in one account and Region.
   */
  readonly stackName: string;
  /** What a pass proves, in one line (printed by `npm run integ -- --list`). */
  readonly proves: string;
}

export const INTEG_TESTS: readonly IntegTestSpec[] = [
  {
    name: 'ground0',
    file: 'integ.ground0.ts',
    ground: 0,
    stackName: 'GenAiBlueprintInteg0',
    proves: 'a SigV4-signed /prompt gets an answer with usage; an unsigned one is refused (403)',
  },
  {
    name: 'ground3',
    file: 'integ.ground3.ts',
    ground: 3,
    stackName: 'GenAiBlueprintInteg3',
    proves: 'a prompt attack is blocked (422) without a model call; PII is masked; after ingestion, answers cite the shipped corpus',
  },
  {
    name: 'ground5',
    file: 'integ.ground5.ts',
    ground: 5,
    stackName: 'GenAiBlueprintInteg5',
    proves: 'the second identical question is an exact cache hit at no model cost, from a function in the isolated VPC logging in to Valkey with IAM',
  },
  {
    name: 'ground7',
    file: 'integ.ground7.ts',
    ground: 7,
    stackName: 'GenAiBlueprintInteg7',
    proves:
      "a machine token calls /prompt (Bearer or bare), another tenant's key and no token are refused; history is used; feedback recorded once; " +
      'invocation logs arrive; an alarm reaches the topic; the agent alias has a version',
  },
  {
    name: 'predictive-ml',
    file: 'integ.predictive-ml.ts',
    ground: 'ml',
    stackName: 'GenAiBlueprintIntegMl',
    proves: 'the training pipeline passes its quality gate and deploys the endpoint; /predict answers from it',
  },
];

/** The row of `name`, or an error naming the value and what is allowed. */
export function integTest(name: string): IntegTestSpec {
  const spec = INTEG_TESTS.find((t) => t.name === name);
  if (!spec) throw new Error(`unknown integration test ${JSON.stringify(name)}; allowed: ${INTEG_TESTS.map((t) => t.name).join(', ')} or all`);
  return spec;
}
