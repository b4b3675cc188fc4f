// Every temporary folder of a test run (the cdk.out* of each synthesized app, the servers' data
// folders) goes under one folder, removed by global-teardown.js. Jest runs this in its parent
// process before the workers start, so they inherit TMPDIR.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

module.exports = () => {
  process.env.GENAI_BLUEPRINT_TEST_TMPDIR = fs.mkdtempSync(path.join(os.tmpdir(), 'genai-blueprint-tests-'));
  process.env.TMPDIR = process.env.GENAI_BLUEPRINT_TEST_TMPDIR;
};
