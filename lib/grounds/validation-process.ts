import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import {
  CloudFormationValidatePlugin,
  type IPolicyValidationContext,
  type PolicyValidationPluginReport,
  type PolicyViolation,
  type Stack,
  type ISynthesisSession,
} from 'aws-cdk-lib';
import { z } from 'zod';
import { synthTiming } from './synth-timing';

/**
 * aws-cdk-lib's CloudFormation validation (`@aws-cdk/core:validateAgainstDefaultRules`), run in a
 * child Node.js process started with V8's `--liftoff-only` (and `--single-threaded`, see CHILD_FLAGS).
 *
 * Measured (bench/synth.ts; a busy 2-core machine): the validation's 9 MB WebAssembly engine, in
 * the app's process, took the app's peak from ~300 to ~730 MiB. Alone in a process it peaked at
 * ~460 MiB with V8's default tiering and ~270 MiB with Liftoff (V8's baseline wasm compiler) only,
 * using ~1.5 s less CPU for the same templates and diagnostics. In a child, that memory is not
 * added to the app's and is returned when the child exits. The flag cannot be set from inside a
 * running process (V8 freezes its flags), hence a process rather than a worker thread.
 *
 * The child works beside the app, on the other core: `start` has it load the engine (~0.25 s) and
 * build it (~0.85 s) while the app builds its stacks, and `validateOnWrite` hands it each template
 * as soon as its stack is written, so most templates are validated (~1.1 s in all) while the app
 * writes the others and runs cdk-nag. `validate` then sends the final list and waits for the rest:
 * a template it had already validated counts only if its content, account and region and the rules
 * are the ones `validate` has; anything else is validated again. Without `start`, `validate` does
 * it all, as the built-in plugin does.
 *
 * Same engine, same configuration, same options and the same report as the built-in plugin
 * (`aws-cdk-lib/core/lib/validation/cloudformation-validate-plugin.js`, mirrored in `validate`);
 * test/grounds/validation-process.test.ts compares the two reports. It takes the built-in plugin's
 * place (`installValidationProcess`) rather than being registered at the app: a registered plugin
 * is named in every template's CDK metadata, so the templates would change.
 */
export class ChildProcessCloudFormationValidatePlugin extends CloudFormationValidatePlugin {
  private engineVersion?: string;
  private child?: ValidationChild;

  public override get version(): string | undefined {
    return this.engineVersion ?? super.version;
  }

  public override get ruleIds(): string[] | undefined {
    return this.engineVersion ? [this.engineVersion] : super.ruleIds;
  }

  /** Starts the child, which loads and builds the engine with the rules every template gets. */
  public start(): void {
    this.child ??= new ValidationChild(builtinRegoRules(new Set()));
  }

  /** Has the child validate a written template, as it is now, ahead of `validate` (see the class). */
  public submit(job: ValidateJob): void {
    this.start();
    this.child!.send({ job, content: fs.readFileSync(job.templatePath, 'utf-8') });
  }

  /** Submits each stack's template as soon as the stack is written. */
  public validateOnWrite(stacks: Stack[]): void {
    for (const stack of stacks) {
      const synthesizer = stack.synthesizer;
      const synthesize = synthesizer.synthesize.bind(synthesizer);
      synthesizer.synthesize = (session: ISynthesisSession) => {
        synthesize(session);
        synthTiming(`written ${stack.artifactId}`);
        this.submit({ templatePath: path.join(session.outdir, stack.templateFile), ...knownEnvironment(stack.environment) });
      };
    }
  }

  public override validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    synthTiming('cloudformation validation');
    const stacks = context.stackTemplates;
    const templates = new Map(stacks.map((s) => [s.templatePath, fs.readFileSync(s.templatePath, 'utf-8')]));
    const regoRules = builtinRegoRules(resourceTypes(templates.values()));
    const child = this.child ?? new ValidationChild(regoRules);
    this.child = undefined;
    const result = child.finish({
      regoRules,
      jobs: stacks.map((s) => ({ templatePath: s.templatePath, accountId: s.accountId, region: s.region, sha1: sha1(templates.get(s.templatePath)!) })),
    });
    synthTiming(`cloudformation validation answered (${result.validatedAhead} of ${stacks.length} templates validated ahead)`);
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

  public override _dispose(): void {
    this.child?.stop();
    this.child = undefined;
    super._dispose();
  }
}

/**
 * The child process, driven from a worker thread: the app's own thread is busy building and
 * synthesizing, and must block in `validate` (a plugin answers synchronously), so it could not
 * feed the child or read its answer. The worker does both; the app's thread posts each message
 * and, in `finish`, waits on a shared flag, then takes the answer with `receiveMessageOnPort`.
 */
class ValidationChild {
  private readonly worker: Worker;
  private readonly answered = new Int32Array(new SharedArrayBuffer(4));
  private readonly answer: MessagePort;

  constructor(regoRules: RegoRule[]) {
    const { port1, port2 } = new MessageChannel();
    this.answer = port1;
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      // Not the app's `--import tsx`: the worker runs plain JavaScript.
      execArgv: [],
      workerData: { execPath: process.execPath, args: [...CHILD_FLAGS, '-e', CHILD_SOURCE], answered: this.answered, answer: port2 },
      transferList: [port2],
    });
    // Never what keeps the app alive: the CDK App synthesizes on the process's 'beforeExit'.
    this.worker.unref();
    this.send({ engine: ENGINE, regoRules });
  }

  public send(message: ChildMessage): void {
    this.worker.postMessage(JSON.stringify(message));
  }

  /** Sends the final request, waits for the child to answer and exit, and returns its answer. */
  public finish(request: { regoRules: RegoRule[]; jobs: (ValidateJob & { sha1: string })[] }): z.infer<typeof validateResult> {
    this.send({ finish: request });
    if (Atomics.wait(this.answered, 0, 0, FINISH_TIMEOUT_MS) === 'timed-out') {
      this.stop();
      throw new Error(`CloudFormation validation process did not answer in ${FINISH_TIMEOUT_MS / 1000} s`);
    }
    const run = childRun.parse(receiveMessageOnPort(this.answer)?.message);
    void this.worker.terminate();
    if (run.error) throw new Error(`CloudFormation validation process could not run: ${run.error}`);
    if (run.status !== 0) throw new Error(`CloudFormation validation process failed (exit ${run.status ?? run.signal}):\n${run.stderr}`);
    return validateResult.parse(JSON.parse(run.stdout));
  }

  /** Ends the child, unanswered. */
  public stop(): void {
    this.worker.postMessage(null);
  }
}

const FINISH_TIMEOUT_MS = 600_000;

/**
 * V8's Liftoff only (see the class), and no V8 helper threads (`--single-threaded`: the garbage
 * collector and compilers work on the child's one thread): beside the app, the helper threads only
 * contended for the same two cores. Measured on a busy 2-core machine, the child alone on the nine
 * templates of all grounds: ~2.4 s of CPU and ~2.4 s wall, against ~3.7 s of CPU and ~3.0 s wall
 * with them (building the engine ~0.85 s against ~1.4 s); the same memory (~270 MiB).
 */
const CHILD_FLAGS = ['--liftoff-only', '--single-threaded'];

/** The worker: starts the child, feeds it each message as a line, and hands back how it ended. */
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const { spawn } = require('node:child_process');
const { execPath, args, answered, answer } = workerData;
const child = spawn(execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
const stdout = [], stderr = [];
child.stdout.on('data', (d) => stdout.push(d));
child.stderr.on('data', (d) => stderr.push(d));
child.stdin.on('error', () => {}); // the child ended early: 'close' says how
let ended = false;
const end = (run) => {
  if (ended) return;
  ended = true;
  answer.postMessage({ ...run, stdout: Buffer.concat(stdout).toString(), stderr: Buffer.concat(stderr).toString() });
  Atomics.store(answered, 0, 1);
  Atomics.notify(answered, 0);
  parentPort.close();
};
child.on('error', (error) => end({ status: null, signal: null, error: error.message }));
child.on('close', (status, signal) => end({ status, signal }));
parentPort.on('message', (line) => {
  if (line === null) {
    child.kill();
    return parentPort.close();
  }
  // An error here would end this thread while the app waits for the flag: answer with it instead.
  try {
    child.stdin.write(line + '\\n');
    if (JSON.parse(line).finish) child.stdin.end();
  } catch (error) {
    child.kill();
    end({ status: null, signal: null, error: 'validation worker: ' + (error && error.message) });
  }
});
`;

const childRun = z.object({
  status: z.number().nullable(),
  signal: z.string().nullable(),
  error: z.string().optional(),
  stdout: z.string(),
  stderr: z.string(),
});

/** `aws://<account>/<region>` as the stack's artifact gives it to `validate`: unknown ones left out. */
function knownEnvironment(environment: string): { accountId?: string; region?: string } {
  const [, account, region] = /^aws:\/\/([^/]*)\/(.*)$/.exec(environment) ?? [];
  return { accountId: account === 'unknown-account' ? undefined : account, region: region === 'unknown-region' ? undefined : region };
}

function sha1(content: string): string {
  return createHash('sha1').update(content).digest('hex');
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
const validateResult = z.object({
  version: z.string(),
  diagnostics: z.array(z.tuple([z.string(), z.array(diagnostic)])),
  validatedAhead: z.number(),
});
const rulesIndex = z.object({ rules: z.array(z.object({ file: z.string(), types: z.array(z.string()).nullable() })) });
const templateResources = z.object({ Resources: z.record(z.string(), z.object({ Type: z.unknown() }).nullable()).optional() });

export interface ValidateJob {
  readonly templatePath: string;
  readonly accountId?: string;
  readonly region?: string;
}

interface RegoRule {
  readonly name: string;
  readonly content: string;
}

/** The lines the child reads: the engine and the rules first, then templates, then the final request. */
type ChildMessage =
  | { readonly engine: string; readonly regoRules: RegoRule[] }
  | { readonly job: ValidateJob; readonly content: string }
  | { readonly finish: { readonly regoRules: RegoRule[]; readonly jobs: (ValidateJob & { readonly sha1: string })[] } };

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
function builtinRegoRules(types: Set<string>): RegoRule[] {
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
 * The child, reading one JSON message a line on stdin: the engine's module and the rules, which it
 * loads and builds at once; then written templates (path and content), each validated as it comes;
 * then the final request, answered on stdout with the engine's version and each template's
 * diagnostics. A template already validated with the same content, account and region, by an
 * engine of the same rules, is not validated again. The built-in plugin's engine configuration and
 * options (STANDARD detail, WARN and above, its ignored rules).
 */
const CHILD_SOURCE = `
const fs = require('node:fs');
const { createHash } = require('node:crypto');
const IGNORE_RULES = ['W3005', 'W1020', 'I4010', 'W4011', 'W4012', 'W9002', 'W9013', 'W1103'];
let cv, engine, rules;
const validated = new Map();
const keyOf = (job) => JSON.stringify([job.templatePath, job.accountId ?? null, job.region ?? null]);
const sha1 = (content) => createHash('sha1').update(content).digest('hex');
function useRules(regoRules) {
  if (JSON.stringify(regoRules) === rules) return;
  engine?.free();
  engine = new cv.CompositeEngine(regoRules.length > 0 ? { regoRules } : {});
  rules = JSON.stringify(regoRules);
  validated.clear();
}
function validate(job, content) {
  const report = engine.validateTemplate(new cv.TemplateContent(content, job.templatePath), {
    detailLevel: 'STANDARD',
    pseudoParameterOverrides: { accountId: job.accountId, region: job.region },
    exclude: { ids: IGNORE_RULES, services: [{ ruleId: 'W3697', service: 'AWS::AutoScaling' }] },
    severityLevel: 'WARN',
  });
  return report.diagnostics.map((d) => ({
    severity: d.severity, ruleId: d.ruleId, message: d.message, propertyPath: d.propertyPath,
    suggestedFix: d.suggestedFix, category: d.category,
    entity: d.entity ? { entityType: d.entity.entityType, logicalId: d.entity.logicalId } : undefined,
  }));
}
require('node:readline').createInterface({ input: process.stdin }).on('line', (line) => {
  const message = JSON.parse(line);
  if (message.engine) {
    cv = require(message.engine);
    useRules(message.regoRules);
  } else if (message.job) {
    try {
      validated.set(keyOf(message.job), { sha1: sha1(message.content), diagnostics: validate(message.job, message.content) });
    } catch {
      // validated again at the end, where the error is reported
    }
  } else if (message.finish) {
    useRules(message.finish.regoRules);
    let validatedAhead = 0;
    const diagnostics = message.finish.jobs.map((job) => {
      const done = validated.get(keyOf(job));
      if (done && done.sha1 === job.sha1) {
        validatedAhead++;
        return [job.templatePath, done.diagnostics];
      }
      return [job.templatePath, validate(job, fs.readFileSync(job.templatePath, 'utf-8'))];
    });
    engine.free();
    fs.writeFileSync(1, JSON.stringify({ version: cv.version(), diagnostics, validatedAhead }));
  }
});
`;
