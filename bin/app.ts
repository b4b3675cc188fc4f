#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { ConfigError } from '../lib/config/errors';
import { buildBlueprint } from '../lib/grounds/app';
import { synthTiming } from '../lib/grounds/synth-timing';

synthTiming('loaded');
process.on('exit', () => synthTiming('exit'));

try {
  // CloudFormation validation in a child process: less memory and CPU (lib/grounds/validation-process.ts).
  buildBlueprint(new App(), { validationProcess: true });
  synthTiming('built');
} catch (error) {
  // A wrong configuration is the user's to fix: its message names the key, the value and what is
  // allowed, and a stack trace would only bury it. Anything else is a bug and keeps its stack.
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  // exit() rather than exitCode: under the CDK CLI (CDK_OUTDIR set) the App synthesizes on
  // 'beforeExit', which would write a half-built assembly.
  process.exit(1);
}
