#!/usr/bin/env node
'use strict';
// The CDK app (cdk.json "app"): bin/app.ts and the sources it imports, compiled by esbuild into one
// CommonJS module in memory and run from there. Measured on a busy 2-core machine: loading the app
// this way took ~1.0 s of CPU against ~1.8 s through tsx (`node --import tsx bin/app.ts`, whose
// module hooks also sit on every require aws-cdk-lib makes while the stacks are built); the build
// itself takes ~0.2 s. Nothing is kept between synths, so nothing can be stale.
//
// The esbuild options are tsx's (its target, tsconfig.json, names kept); the module is named
// bin/app.ts, so `require` of a package resolves as it does under tsx, and its inline source map
// points stack traces (the assembly's metadata) at the TypeScript sources. Unlike tsx, `__dirname`
// is bin/ in every bundled source: the one reader (PACKAGE_ROOT in lib/constructs/shared/bundling.ts)
// walks up to the nearest package.json, which is the root from bin/ as from lib/constructs/shared/.
const path = require('node:path');
const Module = require('node:module');
const { buildSync } = require('esbuild');

const entry = path.join(__dirname, 'app.ts');
const { outputFiles } = buildSync({
  entryPoints: [entry],
  // Not written (write: false): only names the folder the source map's paths are relative to.
  outfile: path.join(__dirname, 'app.js'),
  write: false,
  bundle: true,
  packages: 'external',
  platform: 'node',
  format: 'cjs',
  target: `node${process.versions.node}`,
  keepNames: true,
  sourcemap: 'inline',
  logLevel: 'error',
});
process.setSourceMapsEnabled(true);
const app = new Module(entry, module);
app.filename = entry;
app.paths = Module._nodeModulePaths(__dirname);
app._compile(outputFiles[0].text, entry);
