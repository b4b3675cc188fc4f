#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { MyGenAiStack } from '../lib/my-genai-stack';

// A plain App: none of genai-blueprint's cdk.json context or feature flags.
const app = new App();
new MyGenAiStack(app, 'MyGenAi');
// Synth fails on any AwsSolutions finding that is not acknowledged.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
