import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { blockOrder, labelOf, modelTargets, principalBlock, principalsOf, refsIn, textOf } from './iam';
import { serviceOf, STATEFUL_TYPES, type ReviewResource, type ReviewStack } from './model';

/**
 * The block view of one stack: each architecture block of the template as a node, the request path
 * from the client to the models left to right, the blocks beside it and the operations below, edges
 * read from the template (API routes, IAM grants across blocks) and, inside each block, the services
 * it uses, its data stores and what it refers to in other blocks (Ref/Fn::GetAtt). Nothing comes from
 * a list per ground: a block, a model or an edge is there because the template says so.
 */

type Lane = 'client' | 'request' | 'beside' | 'operations' | 'models';

interface Node {
  readonly id: string;
  readonly title: string;
  readonly lines: readonly string[];
  readonly lane: Lane;
}

interface Edge {
  readonly from: string;
  readonly to: string;
  /** `path`: the request path (and API routes); `grant`: an IAM grant of one block on another's resources. */
  readonly kind: 'path' | 'grant';
  readonly labels: Set<string>;
}

export interface BlockView {
  readonly nodes: readonly Node[];
  readonly edges: readonly Edge[];
  /** The nodes drawn inside the isolated network's boundary (the network itself included). */
  readonly inNetwork: ReadonlySet<string>;
}

/** The order of the request path; a node is on it when the template has it. */
const REQUEST_PATH = ['client', 'Auth', 'Waf', 'Api', 'Gateway', 'ModelCall', 'Cache', 'Guardrail', 'Prompt', 'KnowledgeBase', 'Models'];

/** WAF resources belong to the gateway block but sit in front of the API on the path: drawn there. */
const isWaf = (r: ReviewResource) => r.type.startsWith('AWS::WAFv2::');

export function blockView(stack: ReviewStack): BlockView {
  const byId = new Map(stack.resources.map((r) => [r.logicalId, r]));
  const nodeOf = (r: ReviewResource) => (isWaf(r) ? 'Waf' : r.block);
  const subnets = new Set(stack.resources.filter((r) => r.type === 'AWS::EC2::Subnet').map((r) => r.logicalId));
  const runsInVpc = (r: ReviewResource) => !r.type.startsWith('AWS::EC2::') && [...refsIn(r.properties)].some((id) => subnets.has(id));

  const nodes: Node[] = [{ id: 'client', title: 'Client', lines: [], lane: 'client' }];
  // The CDK's own deployment helpers are not architecture: left out of the picture.
  for (const block of stack.blocks) {
    if (block.lane === 'shared') continue;
    const own = block.resources.filter((r) => !isWaf(r));
    if (own.length > 0) nodes.push({ id: block.id, title: block.name, lines: contentLines(own, runsInVpc), lane: block.lane });
    const waf = block.resources.filter(isWaf);
    if (waf.length > 0) nodes.push({ id: 'Waf', title: `WAF (${block.name} block)`, lines: contentLines(waf, runsInVpc), lane: 'request' });
  }

  const principals = principalsOf(stack).filter((p) => principalBlock(p) !== 'Shared');
  const models = [...new Set(principals.flatMap((p) => [...modelTargets(p, stack).viaProfile, ...modelTargets(p, stack).direct]))].sort();
  if (models.length > 0) nodes.push({ id: 'Models', title: 'Amazon Bedrock models', lines: models, lane: 'models' });
  const present = new Set(nodes.map((n) => n.id));

  const order = (id: string) => (REQUEST_PATH.includes(id) ? REQUEST_PATH.indexOf(id) : 100 + blockOrder(id));
  const edges = new Map<string, Edge>();
  const edge = (from: string, to: string, kind: Edge['kind'], label?: string) => {
    const key = `${from}->${to}`;
    const found = edges.get(key) ?? { from, to, kind, labels: new Set<string>() };
    if (label) found.labels.add(label);
    edges.set(key, found);
  };
  const has = (from: string, to: string) => edges.has(`${from}->${to}`) || edges.has(`${to}->${from}`);

  const path = REQUEST_PATH.filter((id) => present.has(id));
  path.slice(1).forEach((to, i) => edge(path[i], to, 'path'));

  // API routes: a method whose integration calls a function of another block.
  for (const method of stack.resources.filter((r) => r.type === 'AWS::ApiGateway::Method')) {
    const integration = method.properties.Integration;
    const target = [...refsIn(integration)].map((id) => byId.get(id)).find((r) => r?.type === 'AWS::Lambda::Function');
    if (!target || target.block === method.block || !present.has(target.block)) continue;
    const into = [...edges.values()].find((e) => e.kind === 'path' && e.to === target.block);
    edge(into?.from ?? method.block, target.block, 'path', `${textOf(method.properties.HttpMethod)} ${apiPath(method, byId)}`);
  }

  // IAM: what a block's principals may do to another block's resources, and to the models.
  for (const p of principals) {
    const from = principalBlock(p);
    if (!present.has(from)) continue;
    const invoked = modelTargets(p, stack).actions;
    if (invoked.length > 0 && present.has('Models'))
      edge(from, 'Models', edges.has(`${from}->Models`) ? edges.get(`${from}->Models`)!.kind : 'grant', shortActions(invoked));
    for (const s of p.statements.filter((st) => st.effect === 'Allow')) {
      const targets = new Set([...refsIn(s.resources)].map((id) => byId.get(id)).flatMap((r) => (r ? [nodeOf(r)] : [])));
      for (const to of [...targets].filter((t) => t !== from && present.has(t))) {
        edge(from, to, edges.get(`${from}->${to}`)?.kind ?? 'grant', shortActions(s.actions));
      }
    }
  }

  // References across blocks not already drawn; the network's own are shown by its boundary.
  const refs = new Map<string, { from: string; to: string; sources: Set<string>; targets: Set<string> }>();
  for (const r of stack.resources.filter((x) => !/^AWS::(IAM::|Lambda::Permission|ApiGateway::Method)/.test(x.type))) {
    for (const t of [...refsIn(r.properties)].map((id) => byId.get(id)).filter((x): x is ReviewResource => x !== undefined)) {
      const [from, to] = [nodeOf(r), nodeOf(t)];
      if (from === to || !present.has(from) || !present.has(to) || to === 'Network' || has(from, to)) continue;
      const ref = refs.get(`${from}->${to}`) ?? { from, to, sources: new Set<string>(), targets: new Set<string>() };
      ref.sources.add(typeName(r.type));
      ref.targets.add(typeName(t.type));
      refs.set(`${from}->${to}`, ref);
    }
  }
  // References are many (alarms and dashboards on every block, function settings naming the auth
  // client or an API key): each is said in the node that makes it, as a line, not drawn as an edge.
  const referred = new Map<string, string[]>();
  for (const ref of [...refs.values()].sort((a, b) => order(a.to) - order(b.to))) {
    referred.set(ref.from, [
      ...(referred.get(ref.from) ?? []),
      `${nodeTitle(nodes, ref.to)} (${[...ref.sources].sort().join(', ')} → ${[...ref.targets].sort().join(', ')})`,
    ]);
  }
  const withRefs = nodes.map((n) => (referred.has(n.id) ? { ...n, lines: [...n.lines, ...referred.get(n.id)!.map((r) => `refers to ${r}`)] } : n));
  const vpcBlocks = stack.resources.filter(runsInVpc).map(nodeOf);
  const inNetwork = present.has('Network') ? new Set(['Network', ...vpcBlocks]) : new Set<string>();
  return {
    nodes: withRefs.sort((a, b) => order(a.id) - order(b.id)),
    edges: [...edges.values()].sort((a, b) => order(a.from) - order(b.from) || order(a.to) - order(b.to)),
    inNetwork,
  };
}

/** The services a block uses with counts, then its data stores. */
function contentLines(resources: readonly ReviewResource[], runsInVpc: (r: ReviewResource) => boolean): string[] {
  const services = new Map<string, { count: number; inVpc: number }>();
  for (const r of resources) {
    // An API's permissions to call functions are not functions: named apart so `Lambda × n` counts functions and layers.
    const name = r.type === 'AWS::Lambda::Permission' ? 'Lambda permission' : serviceOf(r.type);
    const s = services.get(name) ?? { count: 0, inVpc: 0 };
    services.set(name, { count: s.count + 1, inVpc: s.inVpc + (runsInVpc(r) ? 1 : 0) });
  }
  const serviceLines = [...services]
    .sort(([a, x], [b, y]) => y.count - x.count || (a < b ? -1 : 1))
    .map(([name, s]) => `${name} × ${s.count}${s.inVpc > 0 ? ` (${s.inVpc} in the VPC)` : ''}`);
  const stores = resources.filter((r) => STATEFUL_TYPES.has(r.type) && r.type !== 'AWS::KMS::Key' && r.type !== 'AWS::Logs::LogGroup');
  const storeLines = stores
    .map((r) => {
      const name = labelOf(r).split('/').slice(1).join('/');
      return name ? `${storeName(r)}: ${name}` : storeName(r);
    })
    .sort();
  const logs = resources.filter((r) => r.type === 'AWS::Logs::LogGroup');
  const retention = [
    ...new Set(logs.map((r) => (r.properties.RetentionInDays === undefined ? 'retention not set' : `${textOf(r.properties.RetentionInDays)} days`))),
  ].sort();
  const logLine = logs.length > 0 ? [`${logs.length} log group${logs.length === 1 ? '' : 's'} (${retention.join(', ')})`] : [];
  const endpoints = resources
    .filter((r) => r.type === 'AWS::EC2::VPCEndpoint')
    .map((r) => textOf(r.properties.ServiceName).split('.').pop() ?? '')
    .sort();
  const endpointLine = endpoints.length > 0 ? [`endpoints: ${endpoints.join(', ')}`] : [];
  return [...serviceLines, ...endpointLine, ...storeLines, ...logLine];
}

function nodeTitle(nodes: readonly Node[], id: string): string {
  return nodes.find((n) => n.id === id)?.title ?? id;
}

function storeName(r: ReviewResource): string {
  if (r.type === 'AWS::ElastiCache::ServerlessCache') return `ElastiCache serverless ${textOf(r.properties.Engine)}`;
  if (r.type === 'AWS::Bedrock::KnowledgeBase') {
    const storage = r.properties.StorageConfiguration;
    return `knowledge base on ${typeof storage === 'object' && storage !== null && 'Type' in storage ? textOf(storage.Type) : 'storage not set'}`;
  }
  return `${serviceOf(r.type)} ${typeName(r.type)
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()}`;
}

function typeName(type: string): string {
  return type.startsWith('Custom::') ? type : (type.split('::')[2] ?? type);
}

function shortActions(actions: readonly string[]): string {
  const names = [...new Set(actions.map((a) => a.split(':').pop() ?? a))].sort();
  return names.length > 3 ? `${names.slice(0, 3).join(', ')} +${names.length - 3}` : names.join(', ');
}

function apiPath(method: ReviewResource, byId: Map<string, ReviewResource>): string {
  const segments: string[] = [];
  let id = [...refsIn(method.properties.ResourceId)][0];
  for (let r = byId.get(id); r?.type === 'AWS::ApiGateway::Resource'; r = byId.get(id)) {
    segments.unshift(textOf(r.properties.PathPart));
    id = [...refsIn(r.properties.ParentId)][0];
  }
  return `/${segments.join('/')}`;
}

const FILL: Record<Lane, string> = { client: '#eeeeee', request: '#e3eefb', beside: '#e6f4e1', operations: '#f3f3f3', models: '#fff1d6' };

/** Graphviz DOT of the block view: a cluster per block, the network as a dashed boundary. */
export function toDot(stack: ReviewStack, view: BlockView): string {
  const html = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  const quote = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  const nodeLines = (n: Node) => {
    const label = n.lines.length > 0 ? `<${n.lines.map((l) => `${html(l)}<BR ALIGN="LEFT"/>`).join('')}>` : quote(n.title);
    const shape = n.lane === 'client' ? 'shape=oval, ' : '';
    const group = REQUEST_PATH.includes(n.id) ? 'group=path, ' : '';
    const node = `${n.id} [${shape}${group}label=${label}, fillcolor="${FILL[n.lane]}"];`;
    return n.lane === 'client' ? [node] : [`subgraph cluster_${n.id} {`, `  label=<<B>${html(n.title)}</B>>;`, `  ${node}`, '}'];
  };
  const indent = (lines: string[]) => lines.map((l) => `  ${l}`);
  const inside = view.nodes.filter((n) => view.inNetwork.has(n.id));
  const ops = view.nodes.filter((n) => n.lane === 'operations' && !view.inNetwork.has(n.id));
  const rest = view.nodes.filter((n) => !view.inNetwork.has(n.id) && !ops.includes(n));
  const network =
    inside.length > 0
      ? ['subgraph cluster_IsolatedNetwork {', '  label=<<B>Isolated network boundary</B>>;', '  style=dashed;', ...indent(inside.flatMap(nodeLines)), '}']
      : [];
  // The network's own node stands beside the first block that runs in it.
  const firstInside = inside.find((n) => n.id !== 'Network');
  const networkRank = firstInside && inside.some((n) => n.id === 'Network') ? [`{ rank=same; Network; ${firstInside.id}; }`] : [];
  // Operations in one row below the path, in block order (invisible edges only place them).
  const operations =
    ops.length > 0
      ? [
          'subgraph cluster_Operations {',
          '  label=<<B>Operations</B>>;',
          '  style=dotted;',
          ...indent(ops.flatMap(nodeLines)),
          '}',
          ...ops.slice(1).map((n, i) => `${ops[i].id} -> ${n.id} [style=invis];`),
        ]
      : [];
  const style: Record<Edge['kind'], string> = {
    path: 'penwidth=1.6',
    grant: 'style=dashed, color="#3b6fb6", fontcolor="#3b6fb6"',
  };
  const onPath = (e: Edge) => e.kind === 'path' && REQUEST_PATH.includes(e.from) && REQUEST_PATH.includes(e.to);
  const edgeLines = view.edges.map((e) => {
    const label = e.labels.size > 0 ? `label=${quote([...e.labels].sort().join('\n'))}, ` : '';
    return `${e.from} -> ${e.to} [${label}${style[e.kind]}${onPath(e) ? ', weight=8' : ''}];`;
  });
  return [
    `digraph ${quote(stack.id)} {`,
    ...indent([
      `graph [rankdir=LR, newrank=true, fontname="Helvetica", fontsize=12, nodesep=0.35, ranksep=0.6, labelloc=t,`,
      `  label=${quote(`${stack.id}: blocks and request path`)}];`,
      'node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10, color="#555555"];',
      'edge [fontname="Helvetica", fontsize=9, color="#333333"];',
      ...rest.flatMap(nodeLines),
      ...network,
      ...networkRank,
      ...operations,
      ...edgeLines,
    ]),
    '}',
    '',
  ].join('\n');
}

/** The same view as a Mermaid `flowchart LR`, which GitHub renders from the Markdown itself. */
export function toMermaid(view: BlockView): string {
  const text = (s: string) => s.replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;');
  const node = (n: Node) => {
    const label = [`<b>${text(n.title)}</b>`, ...n.lines.map(text)].join('<br/>');
    return n.lane === 'client' ? `${n.id}(["${label}"])` : `${n.id}["${label}"]`;
  };
  const inside = view.nodes.filter((n) => view.inNetwork.has(n.id));
  const arrow: Record<Edge['kind'], string> = { path: '==>', grant: '-.->' };
  return [
    'flowchart LR',
    ...view.nodes.filter((n) => !view.inNetwork.has(n.id)).map((n) => `  ${node(n)}`),
    ...(inside.length > 0 ? ['  subgraph IsolatedNetwork["Isolated network boundary"]', ...inside.map((n) => `    ${node(n)}`), '  end'] : []),
    ...view.edges.map((e) => `  ${e.from} ${arrow[e.kind]}${e.labels.size > 0 ? `|"${text([...e.labels].sort().join(', '))}"|` : ''} ${e.to}`),
    ...(['request', 'beside', 'operations', 'models'] as const).map((lane) => `  classDef ${lane} fill:${FILL[lane]},stroke:#555555`),
    ...(['request', 'beside', 'operations', 'models'] as const).flatMap((lane) => {
      const ids = view.nodes.filter((n) => n.lane === lane).map((n) => n.id);
      return ids.length > 0 ? [`  class ${ids.join(',')} ${lane}`] : [];
    }),
    '',
  ].join('\n');
}

/** The block view of a stack as DOT, SVG (rendered offline by Graphviz in WebAssembly) and Mermaid. */
export async function renderDiagram(stack: ReviewStack): Promise<{ dot: string; svg: string; mermaid: string }> {
  const view = blockView(stack);
  const dot = toDot(stack, view);
  return { dot, svg: await dotToSvg(dot), mermaid: toMermaid(view) };
}

/** Graphviz in a child process (review/dot-to-svg.mjs): the package is an ES module only. */
export function dotToSvg(dot: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, 'dot-to-svg.mjs')], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(Buffer.concat(out).toString('utf8'))
        : reject(new Error(`Graphviz failed (exit ${code}): ${Buffer.concat(err).toString('utf8').trim()}`)),
    );
    child.stdin.end(dot);
  });
}
