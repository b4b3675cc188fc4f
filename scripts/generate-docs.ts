/**
 * Writes docs/configuration.md from the one configuration schema (lib/config/schema.ts and its
 * sections), so the reference cannot drift from what synth accepts: every key with its type,
 * default, allowed values and the description given by `.describe()` in the schema.
 *
 *   npm run docs          (npx tsx scripts/generate-docs.ts)
 *
 * test/docs/docs.test.ts renders the page in memory and fails when the committed file differs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { MODEL_CATALOG } from '../lib/config/models';
import { configSchema } from '../lib/config/schema';

export const CONFIGURATION_DOC = path.join(__dirname, '..', 'docs', 'configuration.md');

/** A JSON Schema node as zod's `toJSONSchema` writes it (the parts this page reads). */
interface Node {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  anyOf?: Node[];
  oneOf?: Node[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  items?: Node;
  minItems?: number;
  maxItems?: number;
  properties?: Record<string, Node>;
  required?: string[];
  propertyNames?: Node;
  additionalProperties?: Node | boolean;
}

interface Row {
  key: string;
  type: string;
  default: string;
  allowed: string;
  description: string;
}

/** Defaults longer than this are shown in full under "Structured defaults", not in the table. */
const INLINE_DEFAULT_CHARS = 60;
/** z.int() without bounds reports the safe-integer range; that is no limit worth printing. */
const isSafeIntBound = (n: number | undefined) => n !== undefined && Math.abs(n) >= Number.MAX_SAFE_INTEGER;

const code = (value: string) => `\`${value}\``;
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const fmtNumber = (n: number) => (Number.isInteger(n) && Math.abs(n) >= 1_000 ? n.toLocaleString('en-US') : String(n));

function typeOf(node: Node): string {
  if (node.enum) return typeof node.enum[0] === 'number' ? 'number' : 'string';
  if (node.const !== undefined) return typeof node.const;
  const alternatives = node.anyOf ?? node.oneOf;
  if (alternatives) return [...new Set(alternatives.map(typeOf))].join(' or ');
  if (node.type === 'array') {
    const item = node.items ?? {};
    return item.properties ? 'array of objects' : `array of ${typeOf(item)}`;
  }
  if (node.type === 'object') {
    if (node.properties) return 'object';
    const value = typeof node.additionalProperties === 'object' ? typeOf(node.additionalProperties) : 'value';
    return `map of ${node.propertyNames ? typeOf(node.propertyNames) : 'string'} → ${value}`;
  }
  if (node.format === 'email') return 'string (email)';
  return Array.isArray(node.type) ? node.type.join(' or ') : (node.type ?? 'any');
}

function allowedOf(node: Node): string {
  const parts: string[] = [];
  const literal = (v: unknown) => (v === '' ? '`""` (empty)' : code(String(v)));
  if (node.enum) parts.push(node.enum.map(literal).join(', '));
  if (node.const !== undefined) parts.push(literal(node.const));
  const alternatives = node.anyOf ?? node.oneOf;
  if (alternatives) parts.push(alternatives.map(allowedOf).filter(Boolean).join(', '));
  const low = isSafeIntBound(node.minimum) ? undefined : node.minimum;
  const high = isSafeIntBound(node.maximum) ? undefined : node.maximum;
  if (low !== undefined && high !== undefined) parts.push(`${fmtNumber(low)} to ${fmtNumber(high)}`);
  else if (low !== undefined) parts.push(`≥ ${fmtNumber(low)}`);
  else if (high !== undefined) parts.push(`≤ ${fmtNumber(high)}`);
  if (node.exclusiveMinimum !== undefined) parts.push(`> ${fmtNumber(node.exclusiveMinimum)}`);
  if (node.exclusiveMaximum !== undefined) parts.push(`< ${fmtNumber(node.exclusiveMaximum)}`);
  if (node.pattern) parts.push(`matches ${code(node.pattern)}`);
  if (node.minLength !== undefined || node.maxLength !== undefined) {
    parts.push(`${node.minLength ?? 0} to ${node.maxLength !== undefined ? fmtNumber(node.maxLength) : '∞'} characters`);
  }
  if (node.type === 'array') {
    if (node.minItems !== undefined || node.maxItems !== undefined) parts.push(`${node.minItems ?? 0} to ${node.maxItems ?? '∞'} items`);
    if (node.items && !node.items.properties) {
      const each = allowedOf(node.items);
      if (each) parts.push(`each: ${each}`);
    }
  }
  if (node.type === 'object' && !node.properties) {
    if (node.propertyNames) parts.push(`keys: ${allowedOf(node.propertyNames)}`);
    if (typeof node.additionalProperties === 'object') parts.push(`values: ${allowedOf(node.additionalProperties)}`);
  }
  return parts.filter(Boolean).join('; ');
}

/** True when the default is "fill in every key's own default" rather than a value of its own. */
const isEmptyObject = (value: unknown) => typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;

function collect(node: Node, key: string, rows: Row[], structured: Map<string, unknown>, missing: string[], inherited?: string): void {
  const description = node.description ?? '';
  // Keys set on their own (not fields inside an array item or a value given whole) must say what they are.
  if (!description && !inherited) missing.push(key);
  const hasDefault = node.default !== undefined && !isEmptyObject(node.default);
  let shownDefault = inherited ?? (node.default === undefined ? 'unset' : '');
  if (hasDefault) {
    const json = JSON.stringify(node.default);
    if (json.length <= INLINE_DEFAULT_CHARS) shownDefault = code(json);
    else {
      structured.set(key, node.default);
      shownDefault = `[see below](#${anchor(key)})`;
    }
  }
  const nested = node.type === 'object' && node.properties;
  const itemFields = node.type === 'array' && node.items?.properties;
  if (nested && !hasDefault && !inherited) {
    // A section: each key has its own default and is set on its own (`-c section.key=value`).
    for (const [name, child] of Object.entries(node.properties!)) collect(child, `${key}.${name}`, rows, structured, missing);
    return;
  }
  rows.push({ key, type: typeOf(node), default: shownDefault, allowed: allowedOf(node), description });
  const fields = nested ? node.properties! : itemFields ? node.items!.properties! : undefined;
  if (!fields) return;
  const required = new Set((nested ? node.required : node.items!.required) ?? []);
  for (const [name, child] of Object.entries(fields)) {
    const fieldKey = `${key}${itemFields ? '[]' : ''}.${name}`;
    const optional = !required.has(name) && child.default === undefined;
    collect(child, fieldKey, rows, structured, missing, optional ? 'optional' : required.has(name) ? 'required' : undefined);
  }
}

const anchor = (key: string) => `default-${key.replace(/[^A-Za-z0-9]+/g, '-').toLowerCase()}`;

function table(rows: Row[]): string {
  const lines = ['| key | type | default | allowed | description |', '|---|---|---|---|---|'];
  for (const r of rows) lines.push(`| ${[code(r.key), cell(r.type), cell(r.default), cell(r.allowed), cell(r.description)].join(' | ')} |`);
  return lines.join('\n');
}

function catalogTable(): string {
  const lines = ['| alias | kind | model id | reached | max output tokens | USD per 1M input / output tokens |', '|---|---|---|---|---|---|'];
  for (const [alias, m] of Object.entries(MODEL_CATALOG)) {
    const reached = [m.inferenceProfile === 'required' ? undefined : 'in-region', ...m.profileGeos]
      .filter(Boolean)
      .map((r) => code(r!))
      .join(', ');
    const output = m.kind === 'text' ? fmtNumber(m.maxOutputTokens) : `embeddings: ${m.dimensions.join(', ')} dimensions`;
    const price = m.kind === 'text' ? `${m.price.inputPerMTok} / ${m.price.outputPerMTok}` : `${m.price.inputPerMTok} / -`;
    lines.push(`| ${code(alias)} | ${m.kind} | ${code(m.modelId)} | ${reached} | ${output} | ${price} |`);
  }
  return lines.join('\n');
}

/** The page, as `npm run docs` writes it. Throws when a key of the schema has no description. */
export function renderConfigurationDoc(): string {
  const root = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as Node;
  const structured = new Map<string, unknown>();
  const missing: string[] = [];
  const general: Row[] = [];
  const sections: { key: string; description: string; rows: Row[] }[] = [];
  for (const [key, node] of Object.entries(root.properties ?? {})) {
    const rows: Row[] = [];
    collect(node, key, rows, structured, missing);
    const isSection = (node.type === 'object' && node.properties) || (node.type === 'array' && node.items?.properties);
    if (isSection) sections.push({ key, description: node.description ?? '', rows });
    else general.push(...rows);
  }
  if (missing.length > 0) {
    throw new Error(`These configuration keys have no description; add .describe('…') to them in lib/config/: ${missing.join(', ')}`);
  }
  if (!root.properties?.ground) {
    // Ground selection is read by bin/app.ts before the configuration schema.
    general.unshift({
      key: 'ground',
      type: 'number or string',
      default: 'unset',
      allowed: '`0` to `7`, or `ml`',
      description: 'Which stacks to synthesize: one ground (0-7), or `ml` for the PredictiveMl stack alone. Unset: every ground and the PredictiveMl stack.',
    });
  }

  const out: string[] = [
    '<!-- Generated by scripts/generate-docs.ts from lib/config/schema.ts: do not edit by hand; run `npm run docs`. -->',
    '',
    '# Configuration',
    '',
    'One schema (`lib/config/schema.ts`, zod, with its sections in `lib/config/`) with defaults: every key',
    'below has one, and the blueprint deploys with none set. Override keys in `cdk.json` `context` or with',
    '`-c key=value` (dotted keys: `-c model.alias=claude-haiku-4-5`). Numbers and booleans given with `-c`',
    'are read as such; arrays and objects are given as JSON (`-c \'tenants=[{"name":"acme",…}]\'`). A wrong',
    'value fails synth with the key, the value and what is allowed, for example',
    '`model.maxTokens = 20000: must be at most 10000 for nova-lite`; an unknown key fails too, listing the',
    'allowed ones.',
    '',
    'The stacks are environment-agnostic (Region and account are resolved at deploy), so synth needs no',
    'credentials.',
    '',
    'This page is generated from the schema by `scripts/generate-docs.ts` (`npm run docs`); a test fails',
    'when it is out of date. Descriptions come from `.describe()` in the schema.',
    '',
    '## Contents',
    '',
    [
      '- [Stack and ground selection](#stack-and-ground-selection)',
      ...sections.map((s) => `- [\`${s.key}\`](#${s.key.toLowerCase()})`),
      '- [Structured defaults](#structured-defaults)',
      '- [Model catalog](#model-catalog)',
    ].join('\n'),
    '',
    '## Stack and ground selection',
    '',
    table(general),
    '',
  ];
  for (const s of sections) {
    const rows = s.rows.map((r) => (r.key === s.key ? { ...r, description: 'The whole value (see above); its fields:' } : r));
    out.push(`## \`${s.key}\``, '', s.description, '', table(rows), '');
  }
  out.push('## Structured defaults', '', 'Defaults too long for the tables above, as JSON.', '');
  for (const [key, value] of structured) {
    out.push(`<a id="${anchor(key)}"></a>`, '', `### \`${key}\``, '', '```json', JSON.stringify(value, null, 2), '```', '');
  }
  out.push(
    '## Model catalog',
    '',
    'Model ids live only in the catalog (`lib/config/models.ts`), with capabilities, token prices',
    "(USD, on-demand, us-east-1, list prices read in November 2026: check your Region's) and whether a",
    'cross-region inference profile is needed. `model.alias`, `router.*`, `agent.modelAlias` and',
    '`knowledgeBase.embeddingModel` name these aliases; "reached" lists the values of `model.inference`',
    'that can call each model.',
    '',
    catalogTable(),
    '',
  );
  return out.join('\n');
}

if (require.main === module) {
  fs.mkdirSync(path.dirname(CONFIGURATION_DOC), { recursive: true });
  fs.writeFileSync(CONFIGURATION_DOC, renderConfigurationDoc());
  process.stdout.write(`wrote ${path.relative(process.cwd(), CONFIGURATION_DOC)}\n`);
}
