import { Aspects, type IAspect, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { ALARM_ACTIONS } from './alarms';
import { ACCESS_LOG_CALLER, API_STAGE, API_TLS } from './api';
import type { IRegulatedControl } from './control';
import { DATA_CONTROLS } from './data';
import { FUNCTION_CONTROLS } from './functions';
import { SERVICE_LOG_GROUPS } from './logs';
import { MESSAGE_ENCRYPTION } from './messaging';
import { NETWORK_CONTROLS } from './network';

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
export const REGULATED_CONTROLS: readonly IRegulatedControl[] = [
  ...FUNCTION_CONTROLS,
  ...NETWORK_CONTROLS,
  SERVICE_LOG_GROUPS,
  ...DATA_CONTROLS,
  MESSAGE_ENCRYPTION,
  API_STAGE,
  API_TLS,
  ACCESS_LOG_CALLER,
  ALARM_ACTIONS,
];

export type { IRegulatedControl } from './control';
