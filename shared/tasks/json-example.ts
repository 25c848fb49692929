import type { JsonSchema } from '../contracts/chat';

/** How deep `exampleOf` follows nested schemas before answering `null`. */
const MAX_DEPTH = 8;

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The smallest value a JSON Schema accepts, built from its common keywords (`type`, `enum`,
 * `const`, `properties` with `required`, `items` with `minItems`, `anyOf`/`oneOf`, `minimum`,
 * `minLength`, local `$ref`s into `$defs`/`definitions`). The local model's structured answer to a
 * chat request, and the mock upstream's: deterministic, and valid for the schemas callers send.
 * A schema it cannot satisfy gets a best effort that validation then refuses, as for any model.
 */
export function exampleOf(schema: JsonSchema, root: JsonSchema = schema, depth = 0): unknown {
  if (depth > MAX_DEPTH) return null;
  const ref = typeof schema['$ref'] === 'string' ? schema['$ref'] : undefined;
  if (ref?.startsWith('#/')) {
    const target = ref
      .slice(2)
      .split('/')
      .reduce<unknown>((node, key) => (isRecord(node) ? node[key] : undefined), root);
    return isRecord(target) ? exampleOf(target, root, depth + 1) : null;
  }
  if ('const' in schema) return schema['const'];
  if (Array.isArray(schema['enum']) && schema['enum'].length > 0) return schema['enum'][0];
  const union = schema['anyOf'] ?? schema['oneOf'];
  if (Array.isArray(union) && isRecord(union[0])) return exampleOf(union[0], root, depth + 1);
  const types: unknown[] = Array.isArray(schema['type'])
    ? (schema['type'] as unknown[])
    : [schema['type']];
  const type = types.find((t) => t !== 'null') ?? types[0];
  switch (type) {
    case 'object': {
      const properties = isRecord(schema['properties']) ? schema['properties'] : {};
      const required = Array.isArray(schema['required']) ? schema['required'] : [];
      return Object.fromEntries(
        Object.entries(properties)
          .filter(([key]) => required.includes(key) || schema['additionalProperties'] === false)
          .map(([key, sub]) => [key, isRecord(sub) ? exampleOf(sub, root, depth + 1) : null]),
      );
    }
    case 'array': {
      const items = isRecord(schema['items']) ? schema['items'] : {};
      const count = typeof schema['minItems'] === 'number' ? schema['minItems'] : 0;
      return Array.from({ length: count }, () => exampleOf(items, root, depth + 1));
    }
    case 'string': {
      const min = typeof schema['minLength'] === 'number' ? schema['minLength'] : 0;
      return 'example'.padEnd(min, 'x');
    }
    case 'integer':
    case 'number': {
      const min = schema['minimum'] ?? schema['exclusiveMinimum'];
      const base = typeof min === 'number' ? min : 0;
      return schema['exclusiveMinimum'] === min && typeof min === 'number'
        ? Math.floor(base) + 1
        : base;
    }
    case 'boolean':
      return false;
    case 'null':
      return null;
    default:
      return isRecord(schema['properties']) ? exampleOf({ ...schema, type: 'object' }, root) : {};
  }
}
