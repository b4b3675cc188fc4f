/** A parsed JSON value that is an object (not null, not an array), whose fields are still to be checked. */
export function isJsonObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
