/**
 * Canonical JSON: `JSON.stringify` with object keys sorted (by UTF-16 code units, recursively), so
 * two values that are equal as JSON serialise to the same string whatever order their keys came
 * in. The one serialisation behind every hash of a request (idempotency fingerprint, result-cache
 * key, `KeelInputKey`). Pure: safe to import from workflow code.
 *
 * Same rules as `JSON.stringify` otherwise: `toJSON` is honoured, object keys whose value is
 * `undefined` or a function are left out, such array entries become `null`, and a top-level value
 * with no JSON form serialises as `null`.
 */
export function canonicalJson(value: unknown): string {
  return serialise(value) ?? 'null';
}

function serialise(value: unknown): string | undefined {
  const v = hasToJson(value) ? value.toJSON() : value;
  // JSON.stringify is undefined for undefined, functions and symbols (typed as string).
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map((item) => serialise(item) ?? 'null').join(',')}]`;
  const members: string[] = [];
  for (const key of Object.keys(v).sort(byCodeUnits)) {
    const member = serialise((v as Record<string, unknown>)[key]);
    if (member !== undefined) members.push(`${JSON.stringify(key)}:${member}`);
  }
  return `{${members.join(',')}}`;
}

const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function hasToJson(value: unknown): value is { toJSON: () => unknown } {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { toJSON?: unknown }).toJSON === 'function'
  );
}
