import { Aspects, type IAspect, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { DATA_CONTROLS } from './data';
import { FUNCTION_CONTROLS } from './functions';

/**
 * One class of control of the regulated profile: visits every construct of a stack once and
 * changes or adds what the control asks for (a key, a dead-letter queue, a backup plan ...).
 */
export interface IRegulatedControl {
  /** The cdk-nag rules (NIST 800-53 Rev. 5 / HIPAA Security rule names) this control satisfies. */
  readonly rules: readonly string[];
  visit(node: IConstruct): void;
}

/**
 * The regulated profile (`-c compliance=regulated`, or `RegulatedProfile.applyTo(stack)` in your own
 * app): the controls NIST 800-53 Rev. 5 and HIPAA Security ask of the blocks, applied as an aspect
 * so each block stays as lean as it is in the standard profile. docs/compliance.md lists the
 * controls, and what is acknowledged instead, with each rule's control ids.
 */
export class RegulatedProfile implements IAspect {
  /** Applies the profile to every construct in `stack`. */
  public static applyTo(stack: Stack, controls: readonly IRegulatedControl[] = REGULATED_CONTROLS): RegulatedProfile {
    const profile = new RegulatedProfile(controls);
    Aspects.of(stack).add(profile);
    return profile;
  }

  private constructor(private readonly controls: readonly IRegulatedControl[]) {}

  public visit(node: IConstruct): void {
    for (const control of this.controls) control.visit(node);
  }
}

/** The controls the profile applies, in order. */
export const REGULATED_CONTROLS: readonly IRegulatedControl[] = [...FUNCTION_CONTROLS, ...DATA_CONTROLS];
