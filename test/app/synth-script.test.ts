import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const SYNTH = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts.synth as string;

/**
 * The CDK CLI never cleans its output folder (aws/aws-cdk-cli#786): after `npm run synth` and then
 * `npm run synth -- -c ground=0`, cdk.out would still hold every other ground's template and
 * assets. `npm run synth` removes cdk.out first. This runs the real script through npm in a
 * scratch package whose `cdk` is a stub that writes a one-stack assembly, so it stays quick.
 */
describe('npm run synth', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synth-script-'));
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'synth-script-test', private: true, scripts: { synth: SYNTH } }));
    const bin = path.join(dir, 'node_modules', '.bin');
    fs.mkdirSync(bin, { recursive: true });
    fs.writeFileSync(
      path.join(bin, 'cdk'),
      [
        '#!/bin/sh',
        'echo "$CDK_DISABLE_VERSION_CHECK $*" > cdk-args.txt',
        'mkdir -p cdk.out',
        `echo '${JSON.stringify({
          artifacts: { 'Ground0-ModelCall': { type: 'aws:cloudformation:stack', properties: { templateFile: 'Ground0-ModelCall.template.json' } } },
        })}' > cdk.out/manifest.json`,
        `echo '{}' > cdk.out/Ground0-ModelCall.template.json`,
      ].join('\n'),
      { mode: 0o755 },
    );
    // What an earlier all-grounds synth left behind.
    fs.mkdirSync(path.join(dir, 'cdk.out', 'asset.0123abcd'), { recursive: true });
    for (const file of ['Ground3-Guardrails.template.json', 'Ground3-Guardrails.assets.json', 'manifest.json', 'asset.0123abcd/index.js']) {
      fs.writeFileSync(path.join(dir, 'cdk.out', file), '{}');
    }
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('a one-ground synth leaves only what its manifest lists in cdk.out, and passes -c through', () => {
    const run = spawnSync('npm', ['run', '--silent', 'synth', '--', '-c', 'ground=0'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, npm_config_update_notifier: 'false' },
      timeout: 30_000,
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'cdk-args.txt'), 'utf8').trim()).toBe('1 synth --quiet -c ground=0');
    expect(fs.readdirSync(path.join(dir, 'cdk.out')).sort()).toEqual(['Ground0-ModelCall.template.json', 'manifest.json']);
  });
});
