#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { buildBlueprint } from '../lib/grounds/app';

buildBlueprint(new App());
