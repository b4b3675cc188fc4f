/**
 * Bedrock's metadata filter semantics, for the fakes' Retrieve (bedrock-fake.ts) and in-memory
 * knowledge ports: which passages a RetrievalFilter lets through, and which filters the service
 * refuses. From the API reference of RetrievalFilter
 * (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent-runtime_RetrievalFilter.html):
 * a UNION (exactly one member per object); andAll and orAll take at least 2 filters; every
 * comparison needs the attribute present, except notEquals (and notIn), which also match a
 * document without the key; in/notIn take a list; a list-valued attribute equals a value it holds
 * (as S3 Vectors' $eq does, https://docs.aws.amazon.com/AmazonS3/latest/userguide/s3-vectors-metadata-filtering.html).
 */

export type Metadata = Readonly<Record<string, unknown>>;

const COMPARISONS = [
  'equals',
  'notEquals',
  'greaterThan',
  'greaterThanOrEquals',
  'lessThan',
  'lessThanOrEquals',
  'in',
  'notIn',
  'startsWith',
  'listContains',
  'stringContains',
] as const;
const MEMBERS: readonly string[] = [...COMPARISONS, 'andAll', 'orAll'];

/** Why the service would refuse `filter` (a ValidationException), or undefined when it is well formed. */
export function filterProblem(filter: unknown, path = 'filter'): string | undefined {
  if (typeof filter !== 'object' || filter === null || Array.isArray(filter)) return `${path} must be an object`;
  const keys = Object.keys(filter);
  if (keys.length !== 1 || !MEMBERS.includes(keys[0])) return `${path} must have exactly one of ${MEMBERS.join(', ')}, got ${keys.join(', ') || 'none'}`;
  const [member] = keys;
  const body = (filter as Record<string, unknown>)[member];
  if (member === 'andAll' || member === 'orAll') {
    if (!Array.isArray(body) || body.length < 2) return `${path}.${member} must hold at least 2 filters`;
    for (const [i, f] of body.entries()) {
      const problem = filterProblem(f, `${path}.${member}[${i}]`);
      if (problem) return problem;
    }
    return undefined;
  }
  const attr = body as { key?: unknown; value?: unknown } | null;
  if (typeof attr !== 'object' || attr === null || typeof attr.key !== 'string' || attr.key.length < 1 || attr.key.length > 100) {
    return `${path}.${member}.key must be a string of 1-100 characters`;
  }
  if ((member === 'in' || member === 'notIn') !== Array.isArray(attr.value))
    return `${path}.${member}.value must ${Array.isArray(attr.value) ? 'not ' : ''}be a list`;
  return undefined;
}

/** Whether a passage with `metadata` passes the (well-formed) `filter`. */
export function matchesFilter(metadata: Metadata, filter: unknown): boolean {
  const [member, body] = Object.entries(filter as Record<string, unknown>)[0];
  if (member === 'andAll') return (body as unknown[]).every((f) => matchesFilter(metadata, f));
  if (member === 'orAll') return (body as unknown[]).some((f) => matchesFilter(metadata, f));
  const { key, value } = body as { key: string; value: unknown };
  const present = Object.hasOwn(metadata, key);
  const actual = metadata[key];
  const values = Array.isArray(actual) ? actual : [actual];
  const same = (a: unknown, b: unknown) => a === b;
  switch (member as (typeof COMPARISONS)[number]) {
    case 'equals':
      return present && values.some((v) => same(v, value));
    case 'notEquals':
      return !present || !values.some((v) => same(v, value));
    case 'greaterThan':
      return present && typeof actual === 'number' && typeof value === 'number' && actual > value;
    case 'greaterThanOrEquals':
      return present && typeof actual === 'number' && typeof value === 'number' && actual >= value;
    case 'lessThan':
      return present && typeof actual === 'number' && typeof value === 'number' && actual < value;
    case 'lessThanOrEquals':
      return present && typeof actual === 'number' && typeof value === 'number' && actual <= value;
    case 'in':
      return present && values.some((v) => (value as unknown[]).some((w) => same(v, w)));
    case 'notIn':
      return !present || !values.some((v) => (value as unknown[]).some((w) => same(v, w)));
    case 'startsWith':
      return present && typeof actual === 'string' && typeof value === 'string' && actual.startsWith(value);
    case 'listContains':
      return present && Array.isArray(actual) && actual.some((v) => same(v, value));
    case 'stringContains':
      return present && typeof value === 'string' && values.some((v) => typeof v === 'string' && v.includes(value));
    default:
      throw new Error(`not a filter member: ${member}`);
  }
}
