import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CloudFormationValidatePlugin, type IPolicyValidationContext, type PolicyValidationPluginReport, type PolicyViolation } from 'aws-cdk-lib';
import { z } from 'zod';

/**
 * aws-cdk-lib's CloudFormation validation (`@aws-cdk/core:validateAgainstDefaultRules`), run in a
 * child Node.js process started with V8's `--liftoff-only`.
 *
 * Measured (bench/synth.ts; a busy 2-core machine): the validation's 9 MB WebAssembly engine, in
 * the app's process, took the app's peak from ~300 to ~730 MiB. Alone in a process it peaked at
 * ~460 MiB with V8's default tiering and ~270 MiB with Liftoff (V8's baseline wasm compiler) only,
 * using ~1.5 s less CPU for the same templates and diagnostics. In a child, that memory is not
 * added to the app's and is returned when the child exits. The flag cannot be set from inside a
 * running process (V8 freezes its flags), hence a process rather than a worker thread.
 *
 * Same engine, same configuration, same options and the same report as the built-in plugin
 * (`aws-cdk-lib/core/lib/validation/cloudformation-validate-plugin.js`, mirrored in `validate`);
 * test/grounds/validation-process.test.ts compares the two reports. It takes the built-in plugin's
 * place (`installValidationProcess`) rather than being registered at the app: a registered plugin
 * is named in every template's CDK metadata, so the templates would change.
 */
export class ChildProcessCloudFormationValidatePlugin extends CloudFormationValidatePlugin {
  private engineVersion?: string;

  public override get version(): string | undefined {
    return this.engineVersion ?? super.version;
  }

  public override get ruleIds(): string[] | undefined {
    return this.engineVersion ? [this.engineVersion] : super.ruleIds;
  }

  public override validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const stacks = context.stackTemplates;
    const templates = new Map(stacks.map((s) => [s.templatePath, fs.readFileSync(s.templatePath, 'utf-8')]));
    const request: ValidateRequest = {
      engine: ENGINE,
      regoRules: builtinRegoRules(resourceTypes(templates.values())),
      jobs: stacks.map((s) => ({ templatePath: s.templatePath, accountId: s.accountId, region: s.region })),
    };
    const run = spawnSync(process.execPath, ['--liftoff-only', '-e', CHILD_SOURCE], {
      input: JSON.stringify(request),
      encoding: 'utf-8',
      maxBuffer: 256 * 1024 * 1024,
    });
    if (run.error) throw run.error;
    if (run.status !== 0) throw new Error(`CloudFormation validation process failed (exit ${run.status}):\n${run.stderr}`);
    const result = validateResult.parse(JSON.parse(run.stdout));
    this.engineVersion = result.version;
    const diagnostics = new Map(result.diagnostics);
    // From here on, aws-cdk-lib's CloudFormationValidatePlugin.validate, in the stacks' order.
    const violations: PolicyViolation[] = [];
    for (const { stackConstructPath, templatePath } of stacks) {
      for (const diagnostic of diagnostics.get(templatePath)!) {
        const severity = mapSeverity(diagnostic.severity);
        const resourceLogicalId = diagnostic.entity?.entityType === 'Resource' ? diagnostic.entity.logicalId : undefined;
        const violatingResource = {
          resourceLogicalId,
          constructPath: resourceLogicalId ? undefined : stackConstructPath,
          templatePath,
          locations: diagnostic.propertyPath ? [diagnostic.propertyPath] : [],
        };
        const description = `${diagnostic.propertyPath ? `${diagnostic.propertyPath.replace(/^Properties\./, '')}: ` : ''}${diagnostic.message}`;
        const existing = violations.find((v) => v.ruleName === diagnostic.ruleId && v.severity === severity && v.description === description);
        if (existing) {
          (existing.violatingResources as unknown[]).push(violatingResource);
        } else {
          violations.push({
            ruleName: diagnostic.ruleId,
            description,
            severity,
            fix: diagnostic.suggestedFix,
            violatingResources: [violatingResource],
            ruleMetadata: diagnostic.category ? { category: diagnostic.category } : undefined,
          } as PolicyViolation);
        }
      }
    }
    return { success: violations.every((v) => v.severity !== 'error' && v.severity !== 'fatal'), violations };
  }
}

/** The built-in plugin's singleton, which CDK runs on every app that registers no CloudFormationValidatePlugin. */
const Builtin = CloudFormationValidatePlugin as unknown as {
  _instance?: CloudFormationValidatePlugin;
  _singletonInstance(): CloudFormationValidatePlugin;
  _disposeSingleton(): void;
};

/**
 * Makes CDK's default CloudFormation validation, for every app synthesized in this process, run in
 * the child process. Throws if this aws-cdk-lib no longer takes it (its singleton is internal), so
 * an upgrade that breaks it fails loudly rather than quietly validating in this process.
 */
export function installValidationProcess(): ChildProcessCloudFormationValidatePlugin {
  const plugin = new ChildProcessCloudFormationValidatePlugin();
  Builtin._disposeSingleton();
  Builtin._instance = plugin;
  if (Builtin._singletonInstance() !== plugin) {
    plugin._dispose();
    throw new Error('this aws-cdk-lib does not take a CloudFormation validation plugin in place of its own: build the blueprint without validationProcess');
  }
  return plugin;
}

const diagnostic = z.object({
  severity: z.string(),
  ruleId: z.string(),
  message: z.string(),
  propertyPath: z.string().optional(),
  suggestedFix: z.string().optional(),
  category: z.string().optional(),
  entity: z.object({ entityType: z.string(), logicalId: z.string().optional() }).optional(),
});
/** What the child writes: the engine's version and each template's diagnostics. */
const validateResult = z.object({ version: z.string(), diagnostics: z.array(z.tuple([z.string(), z.array(diagnostic)])) });
const rulesIndex = z.object({ rules: z.array(z.object({ file: z.string(), types: z.array(z.string()).nullable() })) });
const templateResources = z.object({ Resources: z.record(z.string(), z.object({ Type: z.unknown() }).nullable()).optional() });

interface ValidateJob {
  readonly templatePath: string;
  readonly accountId?: string;
  readonly region?: string;
}

interface ValidateRequest {
  readonly engine: string;
  readonly regoRules: { name: string; content: string }[];
  readonly jobs: ValidateJob[];
}

function mapSeverity(severity: string): string {
  switch (severity) {
    case 'FATAL':
    case 'ERROR':
      return 'error';
    case 'WARN':
      return 'warning';
    case 'INFO':
      return 'informational';
    case 'DEBUG':
      return 'debug';
    default:
      return 'warning';
  }
}

/** Where aws-cdk-lib keeps the plugin, its rules and its engine package. */
const CDK_LIB = path.dirname(require.resolve('aws-cdk-lib'));
const RULES_DIRECTORY = path.join(CDK_LIB, 'core', 'lib', 'validation', 'rules');
const ENGINE = require.resolve('@aws/cloudformation-validate', { paths: [CDK_LIB] });

/** The rules the built-in plugin loads: those of no type, or of a type the templates hold (`loadBuiltinRegoRules`). */
function builtinRegoRules(types: Set<string>): { name: string; content: string }[] {
  const index = rulesIndex.parse(JSON.parse(fs.readFileSync(path.join(RULES_DIRECTORY, 'index.generated.json'), 'utf-8')));
  return index.rules
    .filter((r) => r.types === null || r.types.some((t) => types.has(t)))
    .sort((a, b) => a.file.localeCompare(b.file))
    .map((r) => ({ name: r.file, content: fs.readFileSync(path.join(RULES_DIRECTORY, r.file), 'utf-8') }));
}

function resourceTypes(templates: Iterable<string>): Set<string> {
  const types = new Set<string>();
  for (const template of templates) {
    try {
      const parsed = templateResources.safeParse(JSON.parse(template));
      for (const r of Object.values(parsed.data?.Resources ?? {})) if (typeof r?.Type === 'string') types.add(r.Type);
    } catch {
      // As the built-in plugin: a template that does not parse contributes no type.
    }
  }
  return types;
}

/**
 * The child: the request on stdin, the diagnostics of every template on stdout, in the built-in
 * plugin's engine configuration and options (STANDARD detail, WARN and above, its ignored rules).
 */
const CHILD_SOURCE = `
const fs = require('node:fs');
const { engine: enginePath, regoRules, jobs } = JSON.parse(fs.readFileSync(0, 'utf-8'));
const cv = require(enginePath);
const IGNORE_RULES = ['W3005', 'W1020', 'I4010', 'W4011', 'W4012', 'W9002', 'W9013', 'W1103'];
const engine = new cv.CompositeEngine(regoRules.length > 0 ? { regoRules } : {});
const diagnostics = jobs.map(({ templatePath, accountId, region }) => {
  const template = new cv.TemplateContent(fs.readFileSync(templatePath, 'utf-8'), templatePath);
  const report = engine.validateTemplate(template, {
    detailLevel: 'STANDARD',
    pseudoParameterOverrides: { accountId, region },
    exclude: { ids: IGNORE_RULES, services: [{ ruleId: 'W3697', service: 'AWS::AutoScaling' }] },
    severityLevel: 'WARN',
  });
  return [templatePath, report.diagnostics.map((d) => ({
    severity: d.severity, ruleId: d.ruleId, message: d.message, propertyPath: d.propertyPath,
    suggestedFix: d.suggestedFix, category: d.category,
    entity: d.entity ? { entityType: d.entity.entityType, logicalId: d.entity.logicalId } : undefined,
  }))];
});
engine.free();
fs.writeFileSync(1, JSON.stringify({ version: cv.version(), diagnostics }));
`;
