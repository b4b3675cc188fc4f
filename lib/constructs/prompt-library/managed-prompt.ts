import { createHash } from 'node:crypto';
import { Arn, ArnFormat, Names, Token } from 'aws-cdk-lib';
import * as bedrock from 'aws-cdk-lib/aws-bedrock';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { type PromptDefinition, RESERVED_VARIABLES } from '../../config/prompts';
import type { BedrockModel } from '../shared/bedrock-model';

export interface ManagedPromptProps {
  readonly definition: PromptDefinition;
  /** The model the prompt is written for (recorded on the variant; the function still chooses). */
  readonly model: BedrockModel;
  /** @default 1024 */
  readonly maxTokens?: number;
  /** @default 0.5 */
  readonly temperature?: number;
}

/**
 * A pinned prompt version a function renders: created here (`ManagedPrompt`) or imported
 * (`ManagedPrompt.fromManagedPromptAttributes`). The model call reads it.
 */
export interface IManagedPrompt {
  readonly promptArn: string;
  readonly promptId: string;
  /** The pinned numeric version (never `DRAFT`). */
  readonly promptVersion: string;
  /** `<promptArn>:<promptVersion>`. */
  readonly promptVersionArn: string;
  /** Lets `grantee` read this prompt's pinned version only. */
  grantRead(grantee: iam.IGrantable): iam.Grant;
  /** Environment the prompt function reads to load the pinned version. */
  readonly environment: Record<string, string>;
}

export interface ManagedPromptAttributes {
  /** `arn:<partition>:bedrock:<region>:<account>:prompt/<id>`. */
  readonly promptArn: string;
  /** A numeric version of that prompt (`DRAFT` changes under the function's feet). */
  readonly promptVersion: string;
}

const PROMPT_ARN = /^arn:aws[a-z-]*:bedrock:[a-z0-9-]+:\d{12}:prompt\/[0-9A-Za-z]{10}$/;
// Bedrock's PromptSummary.version pattern without DRAFT: 1-5 digits, not all zeros.
const PROMPT_VERSION = /^(?!0+$)\d{1,5}$/;

abstract class ManagedPromptBase extends Construct implements IManagedPrompt {
  public abstract readonly promptArn: string;
  public abstract readonly promptId: string;
  public abstract readonly promptVersion: string;
  public abstract readonly promptVersionArn: string;

  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['bedrock:GetPrompt'], resourceArns: [this.promptArn, this.promptVersionArn] });
  }

  public get environment(): Record<string, string> {
    return { PROMPT_ID: this.promptId, PROMPT_VERSION: this.promptVersion };
  }
}

/** Text of the user turn: retrieved context and query, fenced so neither reads as instructions. */
export const USER_TEMPLATE = '<context>\n{{context}}\n</context>\n\n<query>\n{{query}}\n</query>';

/**
 * Ground 1: a prompt in Bedrock Prompt Management, built from the typed sections of a
 * definition, with a pinned version the function reads (and only that version).
 *
 * The static sections form the system prompt, followed by a cache point when the model supports
 * prompt caching and the prefix is long enough to be cached; the user turn carries the context
 * and the query.
 */
export class ManagedPrompt extends ManagedPromptBase {
  /** A prompt version created elsewhere (console, another stack), for the model call to render. */
  public static fromManagedPromptAttributes(scope: Construct, id: string, attrs: ManagedPromptAttributes): IManagedPrompt {
    if (!Token.isUnresolved(attrs.promptArn) && !PROMPT_ARN.test(attrs.promptArn)) {
      throw new Error(`promptArn must be arn:<partition>:bedrock:<region>:<account>:prompt/<10-character id>, got "${attrs.promptArn}"`);
    }
    if (!Token.isUnresolved(attrs.promptVersion) && !PROMPT_VERSION.test(attrs.promptVersion)) {
      throw new Error(`promptVersion must be a numeric version (1 to 99999, not DRAFT), got "${attrs.promptVersion}"`);
    }
    class Import extends ManagedPromptBase {
      public readonly promptArn = attrs.promptArn;
      public readonly promptId = Arn.split(attrs.promptArn, ArnFormat.SLASH_RESOURCE_NAME).resourceName!;
      public readonly promptVersion = attrs.promptVersion;
      public readonly promptVersionArn = `${attrs.promptArn}:${attrs.promptVersion}`;
    }
    return new Import(scope, id);
  }

  public readonly promptArn: string;
  public readonly promptId: string;
  public readonly promptVersion: string;
  public readonly promptVersionArn: string;
  public readonly prompt: bedrock.CfnPrompt;
  public readonly version: bedrock.CfnPromptVersion;
  /** The system prompt as stored (variables still as `{{name}}`). */
  public readonly systemText: string;
  /** Whether the stored template asks Bedrock to cache the system prefix. */
  public readonly cachesSystemPrefix: boolean;

  constructor(scope: Construct, id: string, props: ManagedPromptProps) {
    super(scope, id);
    const def = props.definition;
    const names = def.variables.map((v) => v.name);
    for (const name of names) {
      if ((RESERVED_VARIABLES as readonly string[]).includes(name))
        throw new Error(`prompt variable ${name} is reserved (${RESERVED_VARIABLES.join(', ')}), rename it`);
    }

    this.systemText = renderSystem(def);
    const model = props.model.model;
    // Checkpoints below the model's minimum are ignored by Bedrock; ~4 characters per token.
    this.cachesSystemPrefix = model.kind === 'text' && model.capabilities.promptCaching && this.systemText.length / 4 >= (model.minCacheTokens ?? Infinity);

    const variant: bedrock.CfnPrompt.PromptVariantProperty = {
      name: 'default',
      templateType: 'CHAT',
      modelId: props.model.invocationId,
      inferenceConfiguration: { text: { maxTokens: props.maxTokens ?? 1024, temperature: props.temperature ?? 0.5 } },
      templateConfiguration: {
        chat: {
          system: [{ text: this.systemText }, ...(this.cachesSystemPrefix ? [{ cachePoint: { type: 'default' } }] : [])],
          messages: [{ role: 'user', content: [{ text: USER_TEMPLATE }] }],
          inputVariables: [...RESERVED_VARIABLES, ...names].map((name) => ({ name })),
        },
      },
      // Defaults travel with the version, so the function needs nothing but the version to render.
      metadata: def.variables.filter((v) => v.default !== undefined).map((v) => ({ key: `default.${v.name}`, value: v.default! })),
    };
    this.prompt = new bedrock.CfnPrompt(this, 'Prompt', {
      name: `${Names.uniqueResourceName(this, { maxLength: 40 })}-${def.name}`.slice(0, 100),
      description: def.description,
      defaultVariant: 'default',
      variants: [variant],
    });
    // A PromptVersion is an immutable snapshot and its Description change replaces it: hashing
    // the variant into the description makes a new version exactly when the prompt changes.
    const hash = createHash('sha256').update(JSON.stringify(variant)).digest('hex').slice(0, 12);
    this.version = new bedrock.CfnPromptVersion(this, 'Version', { promptArn: this.prompt.attrArn, description: `${def.name} ${hash}` });
    this.promptArn = this.prompt.attrArn;
    this.promptId = this.prompt.attrId;
    this.promptVersion = this.version.attrVersion;
    this.promptVersionArn = this.version.attrArn;
  }
}

function renderSystem(def: PromptDefinition): string {
  const sections: [string, string][] = [
    ['Persona', def.persona],
    ['Objective', def.objective],
    ['Instructions', def.instructions],
    ['Constraints', def.constraints.map((c) => `- ${c}`).join('\n')],
    ['Tone', def.tone],
    ['Examples', def.examples.map((e) => `Input: ${e.input}\nOutput: ${e.output}`).join('\n\n')],
  ];
  return sections
    .filter(([, body]) => body.trim().length > 0)
    .map(([title, body]) => `## ${title}\n${body}`)
    .join('\n\n');
}
