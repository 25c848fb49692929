import { Ajv, type ValidateFunction } from 'ajv';

/**
 * JSON Schemas a caller sends (a chat request's `response_format` and its tools' parameters),
 * compiled with ajv once per distinct schema, in a bounded cache.
 */
const ajv = new Ajv({ strict: false, allErrors: true });
const compiled = new Map<string, ValidateFunction>();

/** How many distinct schemas stay compiled; the oldest goes first. */
const MAX_COMPILED = 256;

/** The schema's validator, or undefined when it is not a JSON Schema ajv can compile. */
export function validatorOf(
  schema: Readonly<Record<string, unknown>>,
): ValidateFunction | undefined {
  const key = JSON.stringify(schema);
  let validate = compiled.get(key);
  if (!validate) {
    try {
      validate = ajv.compile(schema);
    } catch {
      return undefined;
    }
    if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value!);
    compiled.set(key, validate);
  }
  return validate;
}

export function compiles(schema: Readonly<Record<string, unknown>>): boolean {
  return validatorOf(schema) !== undefined;
}

/** A value's problems against a schema, as `field: message` pairs under `prefix` (at most 10). */
export function schemaIssues(
  schema: Readonly<Record<string, unknown>>,
  value: unknown,
  prefix: string,
): Array<{ field: string; message: string }> {
  const validate = validatorOf(schema);
  if (!validate || validate(value)) return [];
  return (validate.errors ?? []).slice(0, 10).map((e) => ({
    field: `${prefix}${e.instancePath.replace(/\//g, '.')}`,
    message: e.message ?? 'does not match the schema',
  }));
}
