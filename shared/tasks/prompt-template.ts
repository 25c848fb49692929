import { z } from 'zod';
import { renderInput, type AnyTaskDefinition } from './task-definition';

/**
 * The user template of a registry prompt version (docs/prompt-registry.md): text with
 * placeholders `{{name}}` (spaces inside the braces allowed). `{{input}}` is the whole input as
 * JSON inside `<input>` tags, exactly as the built-in prompts send it; `{{field}}` is one
 * top-level field of the task's input: a string as it is, anything else as JSON, nothing for an
 * absent field. One pass: a value that contains `{{…}}` is never expanded. Pure and workflow-safe.
 */

/** A placeholder: `{{ name }}`, the name a JavaScript-style identifier. */
const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** The placeholder for the whole input. */
export const WHOLE_INPUT = 'input';

/** The placeholder names a template uses, in order of first use. */
export function placeholdersOf(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1]!))];
}

/** The top-level fields of a task's input (what `{{field}}` may name). */
export function inputFieldsOf(task: Pick<AnyTaskDefinition, 'input'>): string[] {
  const json = z.toJSONSchema(task.input, { io: 'input', unrepresentable: 'any' }) as {
    properties?: Record<string, unknown>;
  };
  return Object.keys(json.properties ?? {});
}

/** Placeholders the task's input cannot fill; empty when the template is usable. */
export function unknownPlaceholders(template: string, fields: readonly string[]): string[] {
  return placeholdersOf(template).filter((name) => name !== WHOLE_INPUT && !fields.includes(name));
}

/** The template filled from a validated input. */
export function renderTemplate(template: string, input: unknown): string {
  const record =
    input !== null && typeof input === 'object' ? (input as Record<string, unknown>) : {};
  return template.replace(PLACEHOLDER, (_match, name: string) => {
    if (name === WHOLE_INPUT) return renderInput(input);
    const value = Object.prototype.hasOwnProperty.call(record, name) ? record[name] : undefined;
    if (value === undefined) return '';
    return typeof value === 'string' ? value : JSON.stringify(value);
  });
}
