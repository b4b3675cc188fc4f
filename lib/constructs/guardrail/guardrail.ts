import { createHash } from 'node:crypto';
import { Annotations, Arn, ArnFormat, Duration, Lazy, Names, Resource, Token } from 'aws-cdk-lib';
import * as bedrock from 'aws-cdk-lib/aws-bedrock';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';

/** Confidence at which a content filter acts. Harm filters accept only MEDIUM or HIGH here. */
export type GuardrailFilterStrength = 'NONE' | 'LOW' | 'MEDIUM' | 'HIGH';
/** BLOCK replaces the whole text with the blocked message; ANONYMIZE masks the match (`{EMAIL}`). */
export type SensitiveInformationAction = 'BLOCK' | 'ANONYMIZE';

/** The PII entity types Bedrock Guardrails detect (CloudFormation `PiiEntityConfig.Type`). */
import {
  DEFAULT_BLOCKED_INPUT_MESSAGE,
  DEFAULT_BLOCKED_OUTPUT_MESSAGE,
  DEFAULT_PII_ENTITIES,
  PII_ENTITY_TYPES,
  type PiiEntityType,
} from '../../config/guardrail-defaults';
import { checkRange } from '../shared/checks';

export { DEFAULT_BLOCKED_INPUT_MESSAGE, DEFAULT_BLOCKED_OUTPUT_MESSAGE, DEFAULT_PII_ENTITIES, PII_ENTITY_TYPES, type PiiEntityType };

export interface DeniedTopic {
  /** 1-100 letters, digits, spaces or `-_!?.`; unique within the guardrail. */
  readonly name: string;
  /** What the topic covers, in plain words (the classifier reads it). */
  readonly definition: string;
  /** Up to five sample prompts that belong to the topic. @default none */
  readonly examples?: readonly string[];
}

export interface PiiEntity {
  readonly type: PiiEntityType;
  readonly action: SensitiveInformationAction;
}

export interface GuardrailRegex {
  /** 1-100 letters, digits, spaces, `-` or `_`; unique within the guardrail. */
  readonly name: string;
  readonly pattern: string;
  readonly action: SensitiveInformationAction;
  /** @default no description */
  readonly description?: string;
}

export interface GuardrailProps {
  /** @default 'genai-blueprint: input and output control of the model call' */
  readonly description?: string;
  /** Returned instead of a blocked request, 1-500 characters. @default DEFAULT_BLOCKED_INPUT_MESSAGE */
  readonly blockedInputMessage?: string;
  /** Returned instead of a blocked answer, 1-500 characters. @default DEFAULT_BLOCKED_OUTPUT_MESSAGE */
  readonly blockedOutputMessage?: string;
  /** Strength of the sexual, violence, hate, insults and misconduct filters on requests (MEDIUM or HIGH). @default 'HIGH' */
  readonly harmInputStrength?: GuardrailFilterStrength;
  /** Strength of the same filters on answers (MEDIUM or HIGH). @default 'MEDIUM' */
  readonly harmOutputStrength?: GuardrailFilterStrength;
  /** Topics refused in requests and answers (at most 30). @default no denied topics */
  readonly deniedTopics?: readonly DeniedTopic[];
  /** Block the AWS-managed profanity word list. @default true */
  readonly profanityFilter?: boolean;
  /** Words or short phrases blocked in requests and answers (at most 100). @default none */
  readonly blockedWords?: readonly string[];
  /** PII entity types and what to do when one is found. An empty list is allowed, with a warning. @default DEFAULT_PII_ENTITIES */
  readonly pii?: readonly PiiEntity[];
  /** Custom patterns treated as sensitive information (at most 10). @default none */
  readonly regexes?: readonly GuardrailRegex[];
  /** Answers less grounded in the retrieved sources than this are withheld (0 to 0.99). @default 0.75 */
  readonly groundingThreshold?: number;
  /** Answers less relevant to the query than this are withheld (0 to 0.99). @default 0.5 */
  readonly relevanceThreshold?: number;
}

/** A guardrail version another block can apply: created here or imported. */
export interface IGuardrail {
  readonly guardrailId: string;
  readonly guardrailArn: string;
  /** The pinned numeric version (never `DRAFT`). */
  readonly guardrailVersion: string;
  /** Lets `grantee` apply this guardrail (ApplyGuardrail, or Converse with `guardrailConfig`). */
  grantApply(grantee: iam.IGrantable): iam.Grant;
  /** Requests or answers this guardrail version intervened on. */
  metricInterventions(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
}

export interface GuardrailAttributes {
  readonly guardrailArn: string;
  /** A numeric version. */
  readonly guardrailVersion: string;
}

abstract class GuardrailBase extends Resource implements IGuardrail {
  public abstract readonly guardrailId: string;
  public abstract readonly guardrailArn: string;
  public abstract readonly guardrailVersion: string;

  public grantApply(grantee: iam.IGrantable): iam.Grant {
    // The IAM resource is the guardrail; versions are not part of its ARN.
    return iam.Grant.addToPrincipal({ grantee, actions: ['bedrock:ApplyGuardrail'], resourceArns: [this.guardrailArn] });
  }

  public metricInterventions(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    // The dimensions the aws-bedrock-alpha Guardrail L2 uses; the user guide also lists
    // Operation, GuardrailContentSource and GuardrailPolicyType for this metric.
    return new cloudwatch.Metric({
      namespace: 'AWS/Bedrock/Guardrails',
      metricName: 'InvocationsIntervened',
      dimensionsMap: { GuardrailArn: this.guardrailArn, GuardrailVersion: this.guardrailVersion },
      statistic: cloudwatch.Stats.SUM,
      period: Duration.minutes(5),
      ...props,
    });
  }
}

const HARM_CATEGORIES = ['SEXUAL', 'VIOLENCE', 'HATE', 'INSULTS', 'MISCONDUCT'] as const;
const HARM_STRENGTHS: readonly string[] = ['MEDIUM', 'HIGH'];
const SENSITIVE_ACTIONS: readonly string[] = ['BLOCK', 'ANONYMIZE'];
/** Evaluate on both sides and block: spelled out so a reader of the template sees the behaviour. */
const BLOCK_BOTH_WAYS = { inputAction: 'BLOCK', inputEnabled: true, outputAction: 'BLOCK', outputEnabled: true } as const;

/**
 * Ground 3: a Bedrock guardrail for input and output control, with a pinned version.
 *
 * Prompt attacks are blocked at HIGH on input; the five harm categories at MEDIUM or more both
 * ways; denied topics, words, PII and custom patterns both ways; contextual grounding withholds
 * RAG answers not supported by the sources or not relevant to the query.
 */
export class Guardrail extends GuardrailBase {
  /** Imports a guardrail version made elsewhere. */
  public static fromGuardrailAttributes(scope: Construct, id: string, attrs: GuardrailAttributes): IGuardrail {
    class Import extends GuardrailBase {
      public readonly guardrailArn = attrs.guardrailArn;
      public readonly guardrailId = Arn.split(attrs.guardrailArn, ArnFormat.SLASH_RESOURCE_NAME).resourceName!;
      public readonly guardrailVersion = attrs.guardrailVersion;
    }
    return new Import(scope, id);
  }

  public readonly guardrailId: string;
  public readonly guardrailArn: string;
  public readonly guardrailVersion: string;
  /** The message Bedrock returns for a blocked request (pass it to the handler to recognise it). */
  public readonly blockedInputMessage: string;
  /** The message Bedrock returns for a blocked answer. */
  public readonly blockedOutputMessage: string;
  public readonly cfnGuardrail: bedrock.CfnGuardrail;
  public readonly cfnGuardrailVersion: bedrock.CfnGuardrailVersion;

  constructor(scope: Construct, id: string, props: GuardrailProps = {}) {
    super(scope, id);
    const blockedInputMessage = props.blockedInputMessage ?? DEFAULT_BLOCKED_INPUT_MESSAGE;
    const blockedOutputMessage = props.blockedOutputMessage ?? DEFAULT_BLOCKED_OUTPUT_MESSAGE;
    const harmInputStrength = props.harmInputStrength ?? 'HIGH';
    const harmOutputStrength = props.harmOutputStrength ?? 'MEDIUM';
    const deniedTopics = props.deniedTopics ?? [];
    const profanityFilter = props.profanityFilter ?? true;
    const blockedWords = props.blockedWords ?? [];
    const pii = props.pii ?? DEFAULT_PII_ENTITIES;
    const regexes = props.regexes ?? [];
    const groundingThreshold = props.groundingThreshold ?? 0.75;
    const relevanceThreshold = props.relevanceThreshold ?? 0.5;

    checkLength('blockedInputMessage', blockedInputMessage, 500);
    checkLength('blockedOutputMessage', blockedOutputMessage, 500);
    checkOneOf('harmInputStrength', harmInputStrength, HARM_STRENGTHS);
    checkOneOf('harmOutputStrength', harmOutputStrength, HARM_STRENGTHS);
    checkCount('deniedTopics', deniedTopics, 30);
    checkUnique(
      'deniedTopics',
      'name',
      deniedTopics.map((t) => t.name),
    );
    deniedTopics.forEach((t, i) => {
      checkPattern(`deniedTopics[${i}].name`, t.name, /^[0-9A-Za-z-_ !?.]{1,100}$/, '1-100 letters, digits, spaces or -_!?.');
      checkLength(`deniedTopics[${i}].definition`, t.definition, 1_000);
      checkCount(`deniedTopics[${i}].examples`, t.examples ?? [], 5);
      (t.examples ?? []).forEach((e, j) => checkLength(`deniedTopics[${i}].examples[${j}]`, e, 100));
    });
    checkCount('blockedWords', blockedWords, 100);
    blockedWords.forEach((w, i) => checkLength(`blockedWords[${i}]`, w, 100));
    checkUnique(
      'pii',
      'type',
      pii.map((p) => p.type),
    );
    pii.forEach((p, i) => {
      checkOneOf(`pii[${i}].type`, p.type, PII_ENTITY_TYPES);
      checkOneOf(`pii[${i}].action`, p.action, SENSITIVE_ACTIONS);
    });
    checkCount('regexes', regexes, 10);
    checkUnique(
      'regexes',
      'name',
      regexes.map((r) => r.name),
    );
    regexes.forEach((r, i) => {
      checkPattern(`regexes[${i}].name`, r.name, /^[0-9A-Za-z-_ ]{1,100}$/, '1-100 letters, digits, spaces, - or _');
      checkLength(`regexes[${i}].pattern`, r.pattern, 500);
      checkRegex(`regexes[${i}].pattern`, r.pattern);
      checkOneOf(`regexes[${i}].action`, r.action, SENSITIVE_ACTIONS);
    });
    checkRange('groundingThreshold', groundingThreshold, 0, 0.99);
    checkRange('relevanceThreshold', relevanceThreshold, 0, 0.99);

    if (pii.length === 0) {
      Annotations.of(this).addWarningV2(
        'genai-blueprint:guardrail-no-pii',
        'The guardrail detects no PII: personal data and secrets in requests and answers pass through unchanged (and may be cached or logged downstream).',
      );
    }

    // Everything that decides what the guardrail lets through; hashed below to pin the version.
    const policy = {
      blockedInputMessaging: blockedInputMessage,
      blockedOutputsMessaging: blockedOutputMessage,
      contentPolicyConfig: {
        filtersConfig: [
          // Prompt attacks are a property of the request; Bedrock takes this filter with OutputStrength NONE.
          { type: 'PROMPT_ATTACK', inputStrength: 'HIGH', inputAction: 'BLOCK', inputEnabled: true, outputStrength: 'NONE' },
          ...HARM_CATEGORIES.map((type) => ({ type, inputStrength: harmInputStrength, outputStrength: harmOutputStrength, ...BLOCK_BOTH_WAYS })),
        ],
      },
      // The CloudFormation schema requires at least one entry per list: a policy without entries is left out.
      topicPolicyConfig: deniedTopics.length
        ? {
            topicsConfig: deniedTopics.map((t) => ({
              name: t.name,
              definition: t.definition,
              examples: t.examples?.length ? [...t.examples] : undefined,
              type: 'DENY',
              ...BLOCK_BOTH_WAYS,
            })),
          }
        : undefined,
      wordPolicyConfig:
        profanityFilter || blockedWords.length
          ? {
              managedWordListsConfig: profanityFilter ? [{ type: 'PROFANITY', ...BLOCK_BOTH_WAYS }] : undefined,
              wordsConfig: blockedWords.length ? blockedWords.map((text) => ({ text, ...BLOCK_BOTH_WAYS })) : undefined,
            }
          : undefined,
      sensitiveInformationPolicyConfig:
        pii.length || regexes.length
          ? {
              piiEntitiesConfig: pii.length ? pii.map((p) => ({ type: p.type, ...sensitiveActions(p.action) })) : undefined,
              regexesConfig: regexes.length
                ? regexes.map((r) => ({ name: r.name, pattern: r.pattern, description: r.description, ...sensitiveActions(r.action) }))
                : undefined,
            }
          : undefined,
      // Only evaluated when the caller marks grounding source and query (RAG answers).
      contextualGroundingPolicyConfig: {
        filtersConfig: [
          { type: 'GROUNDING', threshold: groundingThreshold, action: 'BLOCK', enabled: true },
          { type: 'RELEVANCE', threshold: relevanceThreshold, action: 'BLOCK', enabled: true },
        ],
      },
    } satisfies Omit<bedrock.CfnGuardrailProps, 'name'>;

    this.cfnGuardrail = new bedrock.CfnGuardrail(this, 'Resource', {
      // Generated from the stack name and construct path: two stacks never collide on the
      // account-wide name, and the name stays the same when the ground goes up.
      name: Names.uniqueResourceName(this, { maxLength: 50, separator: '-' }),
      description: props.description ?? 'genai-blueprint: input and output control of the model call',
      ...policy,
    });

    // A GuardrailVersion is an immutable snapshot of the guardrail's DRAFT taken when the version
    // is created, and CloudFormation replaces it when its Description changes. Putting a hash of
    // the policy into the Description therefore creates a new version exactly when the policy
    // changes (after the guardrail update, since the version references the guardrail), keeps the
    // logical id stable, and lets CloudFormation delete the old version once the stack is updated.
    // The hash is taken of the resolved policy, so a CfnParameter counts by reference: a new
    // parameter value alone does not create a new version.
    this.cfnGuardrailVersion = new bedrock.CfnGuardrailVersion(this, 'Version', {
      guardrailIdentifier: this.cfnGuardrail.attrGuardrailId,
      description: Lazy.uncachedString({
        produce: (context) =>
          `genai-blueprint policy ${createHash('sha256')
            .update(JSON.stringify(context.resolve(policy)))
            .digest('hex')
            .slice(0, 16)}`,
      }),
    });

    this.guardrailId = this.cfnGuardrail.attrGuardrailId;
    this.guardrailArn = this.cfnGuardrail.attrGuardrailArn;
    this.guardrailVersion = this.cfnGuardrailVersion.attrVersion;
    this.blockedInputMessage = blockedInputMessage;
    this.blockedOutputMessage = blockedOutputMessage;
  }
}

/** The same action on requests and answers: a secret is as unwelcome in a prompt as in an answer. */
function sensitiveActions(action: SensitiveInformationAction) {
  return { action, inputAction: action, inputEnabled: true, outputAction: action, outputEnabled: true };
}

function checkOneOf(key: string, value: string, allowed: readonly string[]): void {
  if (Token.isUnresolved(value)) return;
  if (!allowed.includes(value)) throw new Error(`${key} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
}

function checkLength(key: string, value: string, max: number): void {
  if (Token.isUnresolved(value)) return;
  if (value.length < 1 || value.length > max) throw new Error(`${key} must be 1-${max} characters, got ${value.length}`);
}

function checkPattern(key: string, value: string, pattern: RegExp, expected: string): void {
  if (Token.isUnresolved(value)) return;
  if (!pattern.test(value)) throw new Error(`${key} must be ${expected}, got ${JSON.stringify(value)}`);
}

function checkCount(key: string, values: readonly unknown[], max: number): void {
  if (values.length > max) throw new Error(`${key} may hold at most ${max} entries, got ${values.length}`);
}

function checkUnique(key: string, field: string, values: readonly string[]): void {
  const seen = new Set<string>();
  for (const value of values) {
    if (Token.isUnresolved(value)) continue;
    if (seen.has(value)) throw new Error(`${key} must have unique ${field}s, got ${JSON.stringify(value)} twice`);
    seen.add(value);
  }
}

/** Catches typos at synth; Bedrock's regex dialect may still reject a pattern JavaScript accepts. */
function checkRegex(key: string, pattern: string): void {
  if (Token.isUnresolved(pattern)) return;
  try {
    new RegExp(pattern);
  } catch (err) {
    throw new Error(`${key} must be a valid regular expression, got ${JSON.stringify(pattern)} (${(err as Error).message})`, { cause: err });
  }
}
