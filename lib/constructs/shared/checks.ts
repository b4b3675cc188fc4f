import { Token } from 'aws-cdk-lib';

/** Throws unless `value` is within [min, max]; unresolved tokens (CfnParameters) are not judged. */
export function checkRange(key: string, value: number, min: number, max: number): void {
  if (Token.isUnresolved(value)) return;
  if (!(value >= min && value <= max)) throw new Error(`${key} must be between ${min} and ${max}, got ${value}`);
}

/** Throws unless `value` is an integer within [min, max]; unresolved tokens are not judged. */
export function checkInteger(key: string, value: number, min: number, max: number): void {
  if (Token.isUnresolved(value)) return;
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${key} must be an integer between ${min} and ${max}, got ${value}`);
}
