/**
 * Inline errors of the decision form: each error next to the field its path names (marked
 * `aria-invalid` and described by its message), the rest in a summary; focus goes to the first.
 */
import type { FieldError } from './api';
import { clear, el } from './dom';
import { targetFor, type OutputForm } from './form';
import { ui } from './ui';

const commentTarget = { control: ui.comment, error: ui.commentError, sub: '' };

/** Removes every inline error and the summary. */
export function clearErrors(form: OutputForm): void {
  for (const f of [...form.fields, commentTarget]) {
    f.control.removeAttribute('aria-invalid');
    f.control.removeAttribute('aria-describedby');
    f.error.textContent = '';
    f.error.hidden = true;
  }
  clear(ui.formErrors);
  ui.formErrors.hidden = true;
}

/** Shows `errors` on their fields and `summary` (with the errors no field claims) above them. */
export function showErrors(
  form: OutputForm,
  errors: readonly FieldError[] | undefined,
  summary: string,
): void {
  clearErrors(form);
  const general: string[] = [];
  let first: HTMLElement | null = null;
  for (const e of errors ?? []) {
    const message = e?.message || 'invalid';
    const t = targetFor(e?.field, form, commentTarget);
    if (!t) {
      general.push((e?.field ? `${e.field}: ` : '') + message);
      continue;
    }
    const text = (t.sub ? `${t.sub}: ` : '') + message;
    t.error.textContent = t.error.textContent ? `${t.error.textContent}; ${text}` : text;
    t.error.hidden = false;
    t.control.setAttribute('aria-invalid', 'true');
    t.control.setAttribute('aria-describedby', t.error.id);
    first ??= t.control;
  }
  if (summary || general.length) {
    ui.formErrors.appendChild(el('p', { text: summary || 'The decision was not accepted.' }));
    if (general.length) {
      const lines = general.map((g) => el('li', { text: g }));
      ui.formErrors.appendChild(el('ul', { className: 'plain' }, lines));
    }
    ui.formErrors.hidden = false;
  }
  (first ?? ui.formErrors).focus();
}
