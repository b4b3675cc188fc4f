/**
 * Writes the CloudFormation execution policies, per deployment profile, of each ground, of the
 * PredictiveMl stack and of every stack together (`all`) to
 * docs/deploy-policy/<profile>/<name>-<n>.json: one managed policy document per file, a stack's
 * policy split where one document would pass IAM's size limit. Built from the templates
 * synthesized offline; docs/deploy-policy.md says how to bootstrap an account with them.
 *
 *   npm run deploy-policy                                   (npx tsx scripts/deploy-policy.ts)
 *   npm run deploy-policy -- -c stackName=Acme --out /tmp/acme-policy [--partition aws-cn]
 *   npm run deploy-policy -- --schemas <unzipped CloudformationSchema.zip>   (compare RESOURCE_ACTIONS with AWS's schemas)
 *
 * test/deploy-policy/ renders the files in memory and fails when the committed ones differ.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { type CfnTemplate, deployPolicy, type PolicyDocument } from '../lib/deploy-policy/deploy-policy';
import { RESOURCE_ACTIONS, SCHEMA_PERMISSIONS_NOT_IN_IAM } from '../lib/deploy-policy/resource-actions';
import { GROUNDS } from '../lib/grounds/ground-stack';
import { buildApp } from '../test/support/synth';

export const DEPLOY_POLICY_DIR = path.join(__dirname, '..', 'docs', 'deploy-policy');

/** A SAML identity provider, so ground 7's policy covers corporate sign-in's resource types (docs/sign-in.md). */
const SAML_SIGN_IN = {
  'auth.identityProviders': JSON.stringify([
    { type: 'saml', name: 'CorpSaml', tenantClaim: 'groups', metadataUrl: 'https://idp.example.com/saml/metadata.xml' },
  ]),
};

/**
 * The deployment profiles, each with the configurations whose resource types its policies cover
 * (joined per stack). `standard` must not be allowed what only the others create: the closed
 * network's VPC and endpoints below ground 5 (`standard-private`), the regulated profile's keys,
 * backups, web ACL and VPC at every ground (`regulated`, either network). Corporate sign-in adds a
 * type at ground 7 only, so it is synthesized there alone. A configuration that adds resource types
 * belongs in the profiles that can be deployed with it.
 */
export const POLICY_PROFILES: Readonly<Record<string, readonly Record<string, unknown>[]>> = {
  standard: [{}, { ground: 7, ...SAML_SIGN_IN }],
  'standard-private': [{ network: 'private' }, { ground: 7, network: 'private', ...SAML_SIGN_IN }],
  regulated: [{ compliance: 'regulated' }, { compliance: 'regulated', network: 'private' }, { ground: 7, compliance: 'regulated', ...SAML_SIGN_IN }],
};

export interface SynthesizedStack {
  /** A key of POLICY_PROFILES. */
  readonly profile: string;
  /** `ground-<n>` or `predictive-ml`. */
  readonly name: string;
  readonly stackName: string;
  readonly template: CfnTemplate;
}

/** Every stack of every configuration of every profile, synthesized offline (only resource types, trust policies and service tokens are read). */
export function synthesizeStacks(context: Record<string, unknown> = {}): SynthesizedStack[] {
  const names = new Map<string, string>([...GROUNDS.map((g) => [g.stackId, `ground-${g.ground}`] as const), ['PredictiveMl', 'predictive-ml']]);
  return Object.entries(POLICY_PROFILES).flatMap(([profile, configurations]) =>
    configurations.flatMap((configuration) =>
      buildApp({ ...configuration, ...context })
        .app.synth()
        .stacks.map((artifact) => {
          // Another stack (a pipeline's, say) is named after its construct id: `Delivery` → `delivery`.
          const name = names.get(artifact.id) ?? artifact.id.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
          return { profile, name, stackName: artifact.stackName, template: artifact.template as CfnTemplate };
        }),
    ),
  );
}

/**
 * The policies by `<profile>/<name>` (`standard/ground-0` ... `regulated/all`), from `stacks`
 * (default: synthesized here).
 */
export function deployPolicies(
  opts: { stacks?: SynthesizedStack[]; context?: Record<string, unknown>; partition?: string } = {},
): Map<string, PolicyDocument[]> {
  const stacks = opts.stacks ?? synthesizeStacks(opts.context);
  const policy = (of: SynthesizedStack[]) =>
    deployPolicy(
      of.map((s) => s.template),
      { stackNames: of.map((s) => s.stackName), partition: opts.partition },
    );
  const result = new Map<string, PolicyDocument[]>();
  for (const profile of Object.keys(POLICY_PROFILES)) {
    const ofProfile = stacks.filter((s) => s.profile === profile);
    for (const name of [...new Set(ofProfile.map((s) => s.name))]) result.set(`${profile}/${name}`, policy(ofProfile.filter((s) => s.name === name)));
    result.set(`${profile}/all`, policy(ofProfile));
  }
  return result;
}

/** Path under docs/deploy-policy/ → the policy document it holds. */
export function deployPolicyFiles(policies: Map<string, PolicyDocument[]>): Map<string, PolicyDocument> {
  const files = new Map<string, PolicyDocument>();
  for (const [name, documents] of policies) for (const [i, doc] of documents.entries()) files.set(`${name}-${i + 1}.json`, doc);
  return files;
}

/**
 * The file's text, formatted as the repository's Prettier settings do (`npm test` checks the
 * format; the drift test compares the parsed documents).
 */
async function renderPolicy(doc: PolicyDocument): Promise<string> {
  // Loaded here, not at the top: Prettier's CommonJS entry imports ESM as it loads, which Jest (the
  // drift test imports this module) refuses without --experimental-vm-modules.
  const prettier = await import('prettier');
  const options = await prettier.resolveConfig(path.join(DEPLOY_POLICY_DIR, 'policy.json'));
  return prettier.format(JSON.stringify(doc), { ...options, parser: 'json' });
}

/** The .json files under `dir`, as paths relative to it. */
export function policyFilesIn(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.split(path.sep).join('/'))
    .sort();
}

/** The part of a resource provider schema read here. */
const providerSchema = z.object({
  typeName: z.string(),
  handlers: z.record(z.string(), z.object({ permissions: z.array(z.string()).optional() })).optional(),
});

/**
 * How RESOURCE_ACTIONS differs from the resource provider schemas in `dir` (the unzipped
 * https://schema.cloudformation.<region>.amazonaws.com/CloudformationSchema.zip, one
 * `aws-<service>-<resource>.json` per type): per type, the handler permissions the mapping lacks
 * and the actions it has that no handler lists. Names are compared ignoring case, as IAM does;
 * permissions in SCHEMA_PERMISSIONS_NOT_IN_IAM are expected to be missing.
 */
export function compareWithSchemas(dir: string): string[] {
  const differences: string[] = [];
  for (const [type, actions] of Object.entries(RESOURCE_ACTIONS)) {
    if (!type.startsWith('AWS::') || type === 'AWS::CDK::Metadata') continue;
    const file = path.join(dir, `${type.toLowerCase().replace(/::/g, '-')}.json`);
    if (!fs.existsSync(file)) {
      differences.push(`${type}: no schema ${path.basename(file)} in ${dir}`);
      continue;
    }
    const schema = providerSchema.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
    if (schema.typeName !== type) throw new Error(`${file} holds ${schema.typeName}, expected ${type}`);
    const lower = (list: readonly string[]) => new Set(list.map((a) => a.toLowerCase()));
    const permissions = [...new Set(Object.values(schema.handlers ?? {}).flatMap((h) => h.permissions ?? []))];
    const listed = lower(permissions);
    const ignored = lower(SCHEMA_PERMISSIONS_NOT_IN_IAM[type] ?? []);
    const have = lower(actions);
    const lacks = permissions.filter((a) => !have.has(a.toLowerCase()) && !ignored.has(a.toLowerCase())).sort();
    const extra = actions.filter((a) => !listed.has(a.toLowerCase()));
    if (lacks.length > 0) differences.push(`${type}: the schema's handlers also list ${lacks.join(', ')}`);
    if (extra.length > 0) differences.push(`${type}: no handler lists ${extra.join(', ')}`);
  }
  return differences;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      context: { type: 'string', short: 'c', multiple: true },
      out: { type: 'string' },
      partition: { type: 'string' },
      schemas: { type: 'string' },
    },
  });
  if (values.schemas !== undefined) {
    const differences = compareWithSchemas(values.schemas);
    process.stdout.write(differences.length === 0 ? 'RESOURCE_ACTIONS matches the schemas\n' : `${differences.join('\n')}\n`);
    process.exitCode = differences.length === 0 ? 0 : 1;
    return;
  }
  const context: Record<string, unknown> = {};
  for (const pair of values.context ?? []) {
    const at = pair.indexOf('=');
    if (at < 1) throw new Error(`-c takes key=value, got ${JSON.stringify(pair)}`);
    context[pair.slice(0, at)] = pair.slice(at + 1);
  }
  const out = path.resolve(values.out ?? DEPLOY_POLICY_DIR);
  const files = deployPolicyFiles(deployPolicies({ context, partition: values.partition }));
  for (const stale of policyFilesIn(out).filter((f) => !files.has(f))) fs.rmSync(path.join(out, stale));
  for (const [file, doc] of files) {
    fs.mkdirSync(path.dirname(path.join(out, file)), { recursive: true });
    fs.writeFileSync(path.join(out, file), await renderPolicy(doc));
  }
  process.stdout.write(`${files.size} policy documents written to ${path.relative(process.cwd(), out) || '.'}\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
