/**
 * The reviewer page's script (bundled by esbuild when the server starts, inlined into index.html
 * and allowed by hash in the page's Content-Security-Policy). The reviewer signs in with an API
 * key (kept in this tab's sessionStorage), works through the queue of pending reviews, opens one,
 * and approves, rejects or edits its proposed output; a refused edit is shown inline, field by
 * field. Every piece of data reaches the DOM as text, never as markup.
 */
import { createApi, toApiError } from './api';
import type { ApiError, Decision, ReviewAudit, ReviewDetail, ReviewSummary } from './api';
import { renderDetail, showResult } from './detail';
import { clear, deadlineNode, el, humanise, localTime } from './dom';
import { clearErrors, showErrors } from './errors';
import { readForm, type OutputForm } from './form';
import { openLive, type LiveState } from './live';
import { ui } from './ui';
import { keyStore, showApp, showSignIn } from '../page-ui/session';

const STORAGE_KEY = 'keel.reviewerKey';

const state = {
  key: null as string | null,
  items: [] as ReviewSummary[],
  loadedAt: 0,
  selected: null as string | null,
  detail: null as ReviewDetail | null,
  form: { fields: [], whole: false } as OutputForm,
  busy: false,
  /** Job ids decided in this tab: kept out of the list even if a refresh still returns them. */
  decided: new Set<string>(),
  listSeq: 0,
  detailSeq: 0,
};

const storage = keyStore(STORAGE_KEY);

const api = createApi({ key: () => state.key, signOut });

/* ---------- live updates ---------- */
let closeLive: (() => void) | undefined;
const LIVE_TEXT: Record<LiveState, string> = {
  live: 'Live: new reviews appear as they arrive.',
  reconnecting: 'Reconnecting\u2026 use Refresh meanwhile.',
  off: '',
};
function startLive(): void {
  closeLive?.();
  closeLive = openLive({
    key: () => state.key,
    onChange: () => {
      if (!state.busy) void loadList();
    },
    onState: (s) => {
      ui.liveStatus.textContent = LIVE_TEXT[s];
      ui.liveStatus.dataset.state = s;
    },
  });
}

function signOut(message: string): void {
  closeLive?.();
  closeLive = undefined;
  state.key = null;
  state.items = [];
  state.selected = null;
  state.detail = null;
  state.form = { fields: [], whole: false };
  state.listSeq++;
  state.detailSeq++;
  storage.write(null);
  clear(ui.items);
  ui.detail.hidden = true;
  ui.empty.hidden = true;
  ui.listStatus.textContent = '';
  showSignIn(ui, message);
}
function signIn(key: string): Promise<void> {
  state.key = key;
  storage.write(key);
  showApp(ui);
  ui.detail.hidden = true;
  startLive();
  return loadList('first');
}
ui.signinForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const key = ui.apiKey.value.trim();
  if (!key) {
    ui.signinMessage.textContent = 'Enter your reviewer API key.';
    ui.signinMessage.hidden = false;
    ui.apiKey.setAttribute('aria-invalid', 'true');
    ui.apiKey.focus();
    return;
  }
  ui.apiKey.removeAttribute('aria-invalid');
  ui.apiKey.value = '';
  void signIn(key);
});
ui.signOut.addEventListener('click', () =>
  signOut('Signed out. The key was removed from this tab.'),
);

/* ---------- the queue ---------- */
async function loadList(focus?: 'first'): Promise<void> {
  const seq = ++state.listSeq;
  const q = new URLSearchParams({ limit: '200' });
  if (ui.taskFilter.value) q.set('task', ui.taskFilter.value);
  ui.items.setAttribute('aria-busy', 'true');
  ui.listStatus.textContent = 'Loading\u2026';
  try {
    let body: { items?: ReviewSummary[] } | null;
    try {
      body = await api<{ items?: ReviewSummary[] }>(`/v1/reviews?${q.toString()}`);
    } catch (e) {
      const err = toApiError(e);
      if (!err.handled && seq === state.listSeq) ui.listStatus.textContent = err.message;
      return;
    }
    if (seq !== state.listSeq) return;
    state.items = (body?.items ?? []).filter((it) => !state.decided.has(it.jobId));
    state.loadedAt = Date.now();
    renderList(focus);
    const updated = new Date().toLocaleTimeString();
    ui.listStatus.textContent = `${state.items.length} pending \u00b7 updated ${updated}`;
  } finally {
    ui.items.removeAttribute('aria-busy');
  }
}
function itemButtons(): HTMLButtonElement[] {
  return Array.from(ui.items.querySelectorAll<HTMLButtonElement>('[data-testid=review-item]'));
}
function renderList(focus?: 'first'): void {
  const active = document.activeElement;
  const focusedId =
    active?.getAttribute('data-testid') === 'review-item'
      ? active.getAttribute('data-job-id')
      : null;
  clear(ui.items);
  for (const it of state.items) {
    const age = (it.ageMs ?? 0) + (Date.now() - state.loadedAt);
    const reasons = (it.reasons ?? []).join('; ') || 'no reason given';
    const btn = el(
      'button',
      {
        type: 'button',
        className: 'item',
        'data-testid': 'review-item',
        'data-job-id': it.jobId,
        'aria-current': it.jobId === state.selected ? 'true' : null,
      },
      [
        el('span', { className: 'item-head' }, [
          el('span', { className: 'item-task', text: it.task }),
          el('span', {
            className: `badge ${it.group === 'escalation' ? 'escalation' : ''}`,
            text: it.group,
          }),
        ]),
        el('span', { className: 'item-reasons', text: reasons }),
        el('span', { className: 'item-meta' }, [
          el('span', {
            title: `requested ${localTime(it.requestedAt)}`,
            text: `waiting ${humanise(age)}`,
          }),
          ' \u00b7 ',
          deadlineNode(it.deadlineAt),
        ]),
      ],
    );
    btn.addEventListener('click', () => void openItem(it.jobId));
    ui.items.appendChild(el('li', {}, [btn]));
  }
  ui.empty.hidden = state.items.length > 0;
  const buttons = itemButtons();
  let target: HTMLElement | undefined;
  if (focusedId) target = buttons.find((b) => b.getAttribute('data-job-id') === focusedId);
  if (!target && focus === 'first') target = buttons[0] ?? ui.refresh;
  if (target && (focusedId || focus)) target.focus();
}
ui.items.addEventListener('keydown', (e) => {
  const buttons = itemButtons();
  const i = buttons.findIndex((b) => b === document.activeElement);
  if (i < 0) return;
  let next: HTMLButtonElement | undefined;
  if (e.key === 'ArrowDown') next = buttons[Math.min(i + 1, buttons.length - 1)];
  else if (e.key === 'ArrowUp') next = buttons[Math.max(i - 1, 0)];
  else if (e.key === 'Home') next = buttons[0];
  else if (e.key === 'End') next = buttons[buttons.length - 1];
  if (next) {
    e.preventDefault();
    next.focus();
  }
});
ui.refresh.addEventListener('click', () => void loadList());
ui.taskFilter.addEventListener('change', () => void loadList());

/* ---------- one item ---------- */
function markSelected(): void {
  for (const b of itemButtons()) {
    if (b.getAttribute('data-job-id') === state.selected) b.setAttribute('aria-current', 'true');
    else b.removeAttribute('aria-current');
  }
}
function focusList(): void {
  const buttons = itemButtons();
  const sel = buttons.find((b) => b.getAttribute('data-job-id') === state.selected);
  (sel ?? buttons[0] ?? ui.refresh).focus();
}
async function openItem(jobId: string): Promise<void> {
  const seq = ++state.detailSeq;
  state.selected = jobId;
  state.detail = null;
  state.form = { fields: [], whole: false };
  markSelected();
  ui.detail.hidden = false;
  ui.detailBody.hidden = true;
  ui.result.hidden = true;
  ui.detailTitle.textContent = 'Loading\u2026';
  ui.detailStatus.textContent = '';
  let item: ReviewDetail | null;
  try {
    item = await api<ReviewDetail>(`/v1/reviews/${encodeURIComponent(jobId)}`);
  } catch (e) {
    const err = toApiError(e);
    if (err.handled || seq !== state.detailSeq) return;
    ui.detailTitle.textContent = `Review ${jobId}`;
    ui.detailStatus.textContent =
      err.status === 404
        ? 'This item is no longer pending: another reviewer decided it or its deadline passed.'
        : err.message;
    ui.detailStatus.hidden = false;
    ui.detailTitle.focus();
    if (err.status === 404) void loadList();
    return;
  }
  if (seq !== state.detailSeq || !item) return;
  state.detail = item;
  state.form = renderDetail(item);
  ui.comment.value = '';
  clearErrors(state.form);
  ui.result.hidden = true;
  ui.actionStatus.textContent = '';
  ui.detailBody.hidden = false;
  setDecided(!!item.decided);
  ui.detailTitle.focus();
}

function setDecided(decided: boolean): void {
  ui.decidedNote.hidden = !decided;
  ui.fieldset.disabled = decided;
  ui.comment.disabled = decided;
  for (const b of [ui.approve, ui.reject, ui.saveEdit]) b.disabled = decided;
}

/* ---------- deciding ---------- */
async function decide(kind: Decision): Promise<void> {
  const item = state.detail;
  if (!item || state.busy || ui.approve.disabled) return;
  const body: { decision: Decision; output?: unknown; comment?: string } = { decision: kind };
  if (kind === 'edit') {
    const form = readForm(state.form);
    if (form.errors.length) {
      showErrors(state.form, form.errors, 'Fix the highlighted fields, then save the edit again.');
      return;
    }
    body.output = form.output;
  }
  const comment = ui.comment.value.trim();
  if (comment) body.comment = comment;
  clearErrors(state.form);
  state.busy = true;
  ui.editForm.setAttribute('aria-busy', 'true');
  ui.actionStatus.textContent = 'Sending the decision\u2026';
  const jobId = item.jobId;
  try {
    const audit = await api<ReviewAudit>(`/v1/reviews/${encodeURIComponent(jobId)}`, {
      method: 'POST',
      body: JSON.stringify(body),
    });
    ui.actionStatus.textContent = '';
    state.decided.add(jobId);
    item.decided = true;
    setDecided(true);
    ui.decidedNote.hidden = true;
    showResult(audit ?? {});
    state.items = state.items.filter((it) => it.jobId !== jobId);
    renderList();
    void loadList();
  } catch (e) {
    ui.actionStatus.textContent = '';
    decisionRefused(jobId, toApiError(e));
  } finally {
    state.busy = false;
    ui.editForm.removeAttribute('aria-busy');
  }
}
function decisionRefused(jobId: string, err: ApiError): void {
  if (err.handled) return;
  if (err.status === 422 || err.status === 400) {
    showErrors(
      state.form,
      err.problem?.errors,
      err.status === 422
        ? 'The edited output is not valid: fix the highlighted fields. The task is still waiting for a decision.'
        : err.message,
    );
  } else if (err.status === 409 || err.status === 404) {
    state.decided.add(jobId);
    setDecided(true);
    showErrors(
      state.form,
      [],
      err.status === 409
        ? 'This review was already decided (by another reviewer or in another tab).'
        : 'This item is no longer pending: its deadline passed or it was decided elsewhere.',
    );
    void loadList();
  } else {
    showErrors(state.form, [], err.message);
  }
}
ui.editForm.addEventListener('submit', (e) => e.preventDefault());
ui.approve.addEventListener('click', () => void decide('approve'));
ui.reject.addEventListener('click', () => void decide('reject'));
ui.saveEdit.addEventListener('click', () => void decide('edit'));
ui.back.addEventListener('click', focusList);

/* ---------- keyboard shortcuts (documented on the page) ---------- */
const SHORTCUTS: Record<string, Decision | undefined> = {
  KeyA: 'approve',
  KeyR: 'reject',
  KeyS: 'edit',
};
document.addEventListener('keydown', (e) => {
  if (ui.appView.hidden) return;
  if (e.altKey && !e.ctrlKey && !e.metaKey && !e.shiftKey) {
    const detailOpen = !ui.detail.hidden && !ui.detailBody.hidden;
    const action = SHORTCUTS[e.code];
    if (action && detailOpen) {
      e.preventDefault();
      void decide(action);
      return;
    }
    if (e.code === 'KeyL') {
      e.preventDefault();
      focusList();
      return;
    }
    if (e.code === 'KeyU') {
      e.preventDefault();
      void loadList();
      return;
    }
  }
  if (e.key === 'Escape' && !ui.detail.hidden && ui.detail.contains(document.activeElement)) {
    e.preventDefault();
    focusList();
  }
});

/* ---------- start ---------- */
const saved = storage.read();
if (saved) void signIn(saved);
else showSignIn(ui, '');
