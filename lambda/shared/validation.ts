import * as z from 'zod/mini';
import { HttpError } from './http';

/**
 * Validates `value` against `schema`; a failure becomes a 400 whose message names the field and
 * what it must be. (zod/mini keeps the bundle small: it ships no locale, so messages are built here.)
 */
export function parseRequest<T extends z.ZodMiniType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  const problems = result.error.issues.slice(0, 5).map(describe);
  throw new HttpError(400, problems.join('; '));
}

function describe(issue: z.core.$ZodIssue): string {
  // Record keys come from the client: a hostile key is shown as <key>, never echoed.
  const field = issue.path.length ? issue.path.map((seg) => (/^[A-Za-z0-9_]{1,40}$/.test(String(seg)) ? String(seg) : '<key>')).join('.') : 'body';
  if (issue.code === 'invalid_type' && issue.input === undefined) return `${field} is required`;
  // A schema's own message (`z.int({ error: 'must be an integer' })`) wins over the generic one.
  if (issue.message && issue.message !== 'Invalid input') return `${field} ${issue.message}`;
  switch (issue.code) {
    case 'invalid_type':
      return `${field} must be ${article(issue.expected)}`;
    case 'too_big':
      return `${field} must be at most ${issue.maximum}${unit(issue.origin)}`;
    case 'too_small':
      return `${field} must be at least ${issue.minimum}${unit(issue.origin)}`;
    case 'unrecognized_keys': {
      // Inside a nested object, say which one holds the field ("confirm has unknown field: ...").
      const where = issue.path.length ? `${field} has ` : '';
      return `${where}unknown field${issue.keys.length > 1 ? 's' : ''}: ${issue.keys.slice(0, 5).map(clip).join(', ')}`;
    }
    case 'invalid_value':
      return `${field} must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_key':
    case 'invalid_element': {
      const inner = issue.issues[0];
      return inner?.message && inner.message !== 'Invalid input' ? `${field} ${inner.message}` : `${field} is invalid`;
    }
    case 'not_multiple_of':
      return `${field} must be a multiple of ${issue.divisor}`;
    default:
      return `${field} is invalid`;
  }
}

const article = (type: string) => (type === 'int' ? 'an integer' : /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`);
const unit = (origin: string) => (origin === 'string' ? ' characters' : origin === 'array' ? ' items' : '');
/** Keys come from the client: quote and cut them so a hostile key cannot flood the answer. */
const clip = (key: string) => JSON.stringify(key.length > 40 ? `${key.slice(0, 40)}…` : key);

/**
 * The message of a non-integer; range issues keep their own ("must be at most 1024"). A plain
 * `{ error: 'must be an integer' }` would also replace the range messages.
 */
export const integerOnly = (issue: { code?: string }) => (issue.code === 'invalid_type' ? 'must be an integer' : undefined);

/**
 * A record schema that refuses a `__proto__` key. JSON.parse keeps it as an own key, and zod's
 * records drop it silently, so a hostile key would otherwise vanish instead of being a 400.
 */
export function withoutProtoKey<T extends z.ZodMiniType>(record: T, keyRule: string) {
  const clean = (value: unknown) => !(typeof value === 'object' && value !== null && Object.hasOwn(value, '__proto__'));
  return z.pipe(z.custom<unknown>(clean, `has a key that ${keyRule}`), record);
}
