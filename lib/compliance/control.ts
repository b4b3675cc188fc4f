import type { IConstruct } from 'constructs';

/**
 * One class of control of the regulated profile: visits every construct of a stack once and
 * changes or adds what the control asks for (a key, a dead-letter queue, a backup plan ...).
 */
export interface IRegulatedControl {
  /** The cdk-nag rules (NIST 800-53 Rev. 5 / HIPAA Security rule names) this control satisfies or acknowledges. */
  readonly rules: readonly string[];
  /** Rule ids of other packs whose acknowledgements (true in the standard profile) this control makes unnecessary. */
  readonly supersedes?: readonly string[];
  visit(node: IConstruct): void;
}

/** The NIST 800-53 Rev. 5 and HIPAA Security rule ids of one cdk-nag rule name. */
export const packRules = (name: string): readonly string[] => [`NIST.800.53.R5-${name}`, `HIPAA.Security-${name}`];
