/** Guardrail defaults shared by the configuration schema and the Guardrail construct. */

/** PII entity types Bedrock Guardrails detect (sensitive information policy). */
export const PII_ENTITY_TYPES = [
  'ADDRESS',
  'AGE',
  'AWS_ACCESS_KEY',
  'AWS_SECRET_KEY',
  'CA_HEALTH_NUMBER',
  'CA_SOCIAL_INSURANCE_NUMBER',
  'CREDIT_DEBIT_CARD_CVV',
  'CREDIT_DEBIT_CARD_EXPIRY',
  'CREDIT_DEBIT_CARD_NUMBER',
  'DRIVER_ID',
  'EMAIL',
  'INTERNATIONAL_BANK_ACCOUNT_NUMBER',
  'IP_ADDRESS',
  'LICENSE_PLATE',
  'MAC_ADDRESS',
  'NAME',
  'PASSWORD',
  'PHONE',
  'PIN',
  'SWIFT_CODE',
  'UK_NATIONAL_HEALTH_SERVICE_NUMBER',
  'UK_NATIONAL_INSURANCE_NUMBER',
  'UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER',
  'URL',
  'USERNAME',
  'US_BANK_ACCOUNT_NUMBER',
  'US_BANK_ROUTING_NUMBER',
  'US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER',
  'US_PASSPORT_NUMBER',
  'US_SOCIAL_SECURITY_NUMBER',
  'VEHICLE_IDENTIFICATION_NUMBER',
] as const;
export type PiiEntityType = (typeof PII_ENTITY_TYPES)[number];

/** What the guardrail answers in place of a blocked request. */
export const DEFAULT_BLOCKED_INPUT_MESSAGE = 'Sorry, this request cannot be answered: it breaks the usage policy of this assistant.';
/** What the guardrail answers in place of a blocked model answer. */
export const DEFAULT_BLOCKED_OUTPUT_MESSAGE = 'Sorry, the answer was withheld: it broke the usage policy or was not supported by the sources.';

/** Secrets and identifiers no answer should carry, plus contact data masked rather than refused. */
export const DEFAULT_PII_ENTITIES: readonly { readonly type: PiiEntityType; readonly action: 'BLOCK' | 'ANONYMIZE' }[] = [
  { type: 'EMAIL', action: 'ANONYMIZE' },
  { type: 'PHONE', action: 'ANONYMIZE' },
  { type: 'NAME', action: 'ANONYMIZE' },
  { type: 'US_SOCIAL_SECURITY_NUMBER', action: 'BLOCK' },
  { type: 'CREDIT_DEBIT_CARD_NUMBER', action: 'BLOCK' },
  { type: 'AWS_ACCESS_KEY', action: 'BLOCK' },
  { type: 'AWS_SECRET_KEY', action: 'BLOCK' },
  { type: 'PASSWORD', action: 'BLOCK' },
];
