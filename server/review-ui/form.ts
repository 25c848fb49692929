/**
 * The form of the proposed output: one control per top-level field (or one for the whole output
 * when it is not an object), read back into an output, and the mapping from an error's path
 * (`output.confidence`, `body.comment`, …) to the control it is about.
 */
import type { FieldError } from './api';
import { el } from './dom';

export type FieldKind = 'text' | 'longtext' | 'number' | 'boolean' | 'json';

export interface FormField {
  name: string;
  kind: FieldKind;
  control: HTMLInputElement | HTMLTextAreaElement;
  /** The field's inline error (`data-error-for` = its name). */
  error: HTMLElement;
  wrap: HTMLElement;
}

/** Where an error is shown: a control, its error line, and the path below the field. */
export interface ErrorTarget {
  control: HTMLElement;
  error: HTMLElement;
  sub: string;
}

/** The form as built for one review. `whole`: the output is one value, not an object. */
export interface OutputForm {
  fields: FormField[];
  whole: boolean;
}

const KIND_LABEL: Record<FieldKind, string> = {
  text: 'text',
  longtext: 'text',
  number: 'number',
  boolean: 'yes / no',
  json: 'JSON',
};

function fieldKind(v: unknown): FieldKind {
  if (typeof v === 'string') return v.length > 80 || v.includes('\n') ? 'longtext' : 'text';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'boolean';
  return 'json';
}

function buildField(name: string, value: unknown, index: number): FormField {
  const kind = fieldKind(value);
  const id = `f-${index}`;
  let control: HTMLInputElement | HTMLTextAreaElement;
  if (kind === 'longtext') control = el('textarea', { id, rows: 4 });
  else if (kind === 'json')
    control = el('textarea', { id, className: 'json', rows: 6, spellcheck: 'false' });
  else if (kind === 'number')
    control = el('input', { id, type: 'number', step: 'any', inputmode: 'decimal' });
  else if (kind === 'boolean') control = el('input', { id, type: 'checkbox' });
  else control = el('input', { id, type: 'text', autocomplete: 'off' });
  control.setAttribute('data-field', name);
  if (kind === 'boolean' && control instanceof HTMLInputElement) control.checked = value === true;
  else if (kind === 'json')
    control.value = value === undefined ? '' : JSON.stringify(value, null, 2);
  else control.value = String(value);
  const label = el('label', { for: id }, [
    name,
    el('span', { className: 'kind', text: KIND_LABEL[kind] }),
  ]);
  const error = el('p', {
    id: `${id}-error`,
    className: 'field-error',
    'data-error-for': name,
    hidden: true,
  });
  const wrap = el(
    'div',
    { className: 'field' + (kind === 'boolean' ? ' checkbox' : ''), 'data-kind': kind },
    kind === 'boolean' ? [control, label, error] : [label, control, error],
  );
  return { name, kind, control, error, wrap };
}

/** The controls for a proposed output: its fields when it is an object, else one `output`. */
export function buildForm(proposed: unknown): OutputForm {
  const whole = !(proposed && typeof proposed === 'object' && !Array.isArray(proposed));
  if (whole) return { whole, fields: [buildField('output', proposed, 0)] };
  const entries = Object.entries(proposed as Record<string, unknown>);
  return { whole, fields: entries.map(([k, v], i) => buildField(k, v, i)) };
}

/** The edited output, or the fields whose text does not parse. */
export function readForm(form: OutputForm): { output: unknown; errors: FieldError[] } {
  let output: unknown = {};
  const errors: FieldError[] = [];
  for (const f of form.fields) {
    const c = f.control;
    let v: unknown;
    if (f.kind === 'boolean') v = c instanceof HTMLInputElement && c.checked;
    else if (f.kind === 'number') {
      if (c.validity.badInput) errors.push({ field: f.name, message: 'enter a number' });
      else if (c.value.trim() === '') errors.push({ field: f.name, message: 'enter a number' });
      else v = Number(c.value);
    } else if (f.kind === 'json') {
      try {
        v = JSON.parse(c.value);
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        errors.push({ field: f.name, message: `not valid JSON (${why})` });
      }
    } else v = c.value;
    if (form.whole) output = v;
    else (output as Record<string, unknown>)[f.name] = v;
  }
  return { output, errors };
}

/** Which control an error path names: output.<field>…, a bare output field, or the comment. */
export function targetFor(
  path: unknown,
  form: OutputForm,
  comment: ErrorTarget,
): ErrorTarget | null {
  if (typeof path !== 'string') return null;
  if (path === 'comment' || path === 'body.comment') return { ...comment, sub: '' };
  const find = (name: string): FormField | null => form.fields.find((f) => f.name === name) ?? null;
  if (form.whole) {
    const w = /^(?:body\.)?(?:output|\(output\))(.*)$/.exec(path);
    if (!w) return null;
    const whole = find('output');
    return (
      whole && { control: whole.control, error: whole.error, sub: (w[1] ?? '').replace(/^[.]/, '') }
    );
  }
  const m = /^(?:body\.)?output\.(.+)$/.exec(path);
  const rest = m?.[1] ?? path;
  const head = rest.split(/[.[]/)[0] ?? '';
  const f = find(head);
  if (!f) return null;
  return { control: f.control, error: f.error, sub: rest.slice(head.length).replace(/^[.]/, '') };
}
