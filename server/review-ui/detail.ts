/** Rendering one review (its facts and the form of its proposed output) and a recorded decision. */
import type { ReviewAudit, ReviewDetail } from './api';
import { clear, deadlineNode, el, humanise, localTime, pretty, short } from './dom';
import { buildForm, type OutputForm } from './form';
import { ui } from './ui';

/** Fills the detail panel from a review; returns the form built for its proposed output. */
export function renderDetail(item: ReviewDetail): OutputForm {
  ui.detailTitle.textContent = `${item.task} \u00b7 review`;
  ui.detailStatus.hidden = true;
  clear(ui.meta);
  const waited = humanise(Date.now() - new Date(item.requestedAt).getTime());
  const meta: [string, Node | string][] = [
    ['Job', item.jobId],
    ['Group', item.group],
    ['Requested', `${localTime(item.requestedAt)} (${waited} ago)`],
    ['Deadline', deadlineNode(item.deadlineAt)],
  ];
  for (const [term, value] of meta) {
    ui.meta.appendChild(el('dt', { text: term }));
    ui.meta.appendChild(el('dd', {}, [value]));
  }
  clear(ui.reasons);
  for (const r of item.reasons ?? []) ui.reasons.appendChild(el('li', { text: r }));
  if (!item.reasons?.length)
    ui.reasons.appendChild(el('li', { className: 'muted', text: 'none given' }));
  clear(ui.issues);
  for (const i of item.issues ?? []) {
    const rule = i.rule ? ` (${i.rule})` : '';
    ui.issues.appendChild(el('li', {}, [el('code', { text: i.field }), `: ${i.message}${rule}`]));
  }
  if (!item.issues?.length) {
    ui.issues.appendChild(el('li', { className: 'muted', text: 'no validation issues' }));
  }
  ui.input.textContent = pretty(item.input);
  ui.validation.textContent = pretty(item.validation);

  clear(ui.fields);
  const form = buildForm(item.proposed);
  for (const f of form.fields) ui.fields.appendChild(f.wrap);
  if (!form.fields.length) {
    ui.fields.appendChild(
      el('p', { className: 'muted', text: 'The proposed output has no fields.' }),
    );
  }
  return form;
}

const DONE: Record<string, string> = {
  approve: 'Approved',
  reject: 'Rejected',
  edit: 'Edited and approved',
};

/** The confirmation of a recorded decision: who, when, what changed; focused for screen readers. */
export function showResult(audit: Partial<ReviewAudit>): void {
  clear(ui.result);
  ui.result.appendChild(el('h3', { text: 'Decision recorded' }));
  ui.result.appendChild(
    el('p', {}, [
      `${DONE[String(audit.decision)] ?? String(audit.decision)} by `,
      el('strong', { 'data-testid': 'reviewer', text: audit.reviewer }),
      ` at ${localTime(String(audit.decidedAt))} (${audit.group}).`,
    ]),
  );
  const changes = audit.changes ?? [];
  if (changes.length) {
    ui.result.appendChild(el('p', { text: 'What changed:' }));
    const lines = changes.map((c) =>
      el('li', {}, [el('code', { text: c.path }), `: ${short(c.before)} \u2192 ${short(c.after)}`]),
    );
    ui.result.appendChild(el('ul', { className: 'plain', 'data-testid': 'changes' }, lines));
  } else {
    const text =
      audit.decision === 'edit'
        ? 'The edit changed nothing in the proposed output.'
        : 'The proposed output was not changed.';
    ui.result.appendChild(el('p', { text }));
  }
  if (audit.comment) {
    ui.result.appendChild(el('p', {}, ['Comment: ', el('q', { text: audit.comment })]));
  }
  ui.result.hidden = false;
  ui.result.focus();
}
