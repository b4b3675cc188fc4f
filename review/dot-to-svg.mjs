// DOT on standard input, SVG on standard output, by Graphviz compiled to WebAssembly (no native
// binary, no network). A separate process because the package is an ES module only, which the
// CommonJS test runner cannot load in-process.
import { Graphviz } from '@hpcc-js/wasm-graphviz';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const graphviz = await Graphviz.load();
process.stdout.write(graphviz.dot(Buffer.concat(chunks).toString('utf8'), 'svg'));
