import { TASKS } from '../shared/tasks';

/**
 * The reviewer's page (`GET /review`): one self-contained HTML document, inline CSS and vanilla JS,
 * nothing to build and nothing fetched from elsewhere. The page itself holds no data: it asks for
 * the reviewer's API key and calls the JSON API (`/v1/reviews`) with it.
 *
 * The script and the style are constants so that the controller can allow exactly them in its
 * Content-Security-Policy by hash. Neither may contain a backtick or `${` (they are template
 * literals here), nor `</script` / `</style`. Data only ever reaches the DOM through
 * `textContent` / `setAttribute`, never through `innerHTML`.
 */

export const REVIEW_PAGE_STYLE = String.raw`
:root {
  color-scheme: light dark;
  --bg: #f6f7f9; --panel: #fff; --text: #1b1f24; --muted: #57606a; --border: #d0d7de;
  --accent: #0a58ca; --accent-text: #fff; --danger: #b42318; --danger-bg: #fdecea;
  --ok: #1a7f37; --ok-bg: #e9f7ef; --focus: #ffb000; --selected: #e7f0ff;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117; --panel: #161b22; --text: #e6edf3; --muted: #9da7b3; --border: #30363d;
    --accent: #4493f8; --accent-text: #0d1117; --danger: #ff7b72; --danger-bg: #3b1d1d;
    --ok: #3fb950; --ok-bg: #12261a; --selected: #1c2c44;
  }
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
html, body { margin: 0; padding: 0; }
body {
  background: var(--bg); color: var(--text);
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
}
header {
  display: flex; align-items: center; justify-content: space-between; gap: 1rem;
  padding: .75rem 1.25rem; border-bottom: 1px solid var(--border); background: var(--panel);
}
header h1 { font-size: 1.15rem; margin: 0; }
main { padding: 1rem 1.25rem; max-width: 1400px; margin: 0 auto; }
h2 { font-size: 1.05rem; margin: 0 0 .5rem; }
h3 { font-size: .95rem; margin: 1rem 0 .35rem; }
.panel {
  background: var(--panel); border: 1px solid var(--border); border-radius: 8px; padding: 1rem;
}
.skip { position: absolute; left: -9999px; }
.skip:focus { left: 1rem; top: .5rem; z-index: 10; background: var(--panel); padding: .25rem .5rem; }
#signin-view { max-width: 28rem; margin: 3rem auto; }
#app-view { display: grid; grid-template-columns: minmax(18rem, 26rem) 1fr; gap: 1rem; align-items: start; }
@media (max-width: 900px) { #app-view { grid-template-columns: 1fr; } }
label { font-weight: 600; }
input[type=text], input[type=password], input[type=number], select, textarea {
  font: inherit; color: inherit; background: var(--bg); border: 1px solid var(--border);
  border-radius: 6px; padding: .4rem .5rem; width: 100%;
}
textarea { min-height: 4.5rem; resize: vertical; }
textarea.json { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .85rem; min-height: 7rem; }
button {
  font: inherit; cursor: pointer; border-radius: 6px; padding: .4rem .8rem;
  border: 1px solid var(--border); background: var(--panel); color: var(--text);
}
button.primary { background: var(--accent); border-color: var(--accent); color: var(--accent-text); }
button.danger { color: var(--danger); border-color: var(--danger); }
button:disabled { opacity: .55; cursor: not-allowed; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.row { display: flex; gap: .5rem; align-items: end; flex-wrap: wrap; }
.row > .grow { flex: 1 1 10rem; }
.stack > * + * { margin-top: .6rem; }
.muted { color: var(--muted); }
.small { font-size: .85rem; }
.message { padding: .5rem .75rem; border-radius: 6px; }
.message.error { background: var(--danger-bg); color: var(--danger); border: 1px solid var(--danger); }
.message.info { border: 1px solid var(--border); }
#items { list-style: none; margin: .75rem 0 0; padding: 0; }
#items li + li { margin-top: .4rem; }
.item {
  display: block; width: 100%; text-align: left; padding: .6rem .7rem; border-radius: 6px;
}
.item[aria-current=true] { background: var(--selected); border-color: var(--accent); }
.item-head { display: flex; justify-content: space-between; gap: .5rem; font-weight: 600; }
.item-reasons { display: block; margin: .2rem 0; font-size: .88rem; overflow-wrap: anywhere; }
.item-meta { display: block; font-size: .82rem; color: var(--muted); }
.badge {
  display: inline-block; font-size: .75rem; font-weight: 600; padding: 0 .45rem;
  border-radius: 999px; border: 1px solid var(--border); color: var(--muted);
}
.badge.escalation { color: var(--danger); border-color: var(--danger); }
.overdue { color: var(--danger); font-weight: 600; }
#empty { margin-top: 1rem; }
pre.json {
  margin: 0; padding: .6rem; border: 1px solid var(--border); border-radius: 6px; background: var(--bg);
  font: .82rem/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  max-height: 18rem; overflow: auto; white-space: pre-wrap; overflow-wrap: anywhere;
}
ul.plain { margin: 0; padding-left: 1.2rem; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .15rem .75rem; margin: .25rem 0; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; overflow-wrap: anywhere; }
fieldset { border: 1px solid var(--border); border-radius: 6px; padding: .75rem; margin: 0; }
legend { font-weight: 600; padding: 0 .3rem; }
.field + .field { margin-top: .7rem; }
.field label { display: block; margin-bottom: .2rem; }
.field label .kind { font-weight: 400; color: var(--muted); font-size: .8rem; margin-left: .35rem; }
.field.checkbox label { display: inline; margin-left: .35rem; }
.field-error { color: var(--danger); margin: .25rem 0 0; font-size: .88rem; font-weight: 600; }
[aria-invalid=true] { border-color: var(--danger) !important; outline-color: var(--danger); background: var(--danger-bg) !important; }
.actions { display: flex; gap: .5rem; flex-wrap: wrap; margin-top: .9rem; }
#form-errors, #edit-form > .field, #result { margin-top: .75rem; }
#form-errors > p { margin: 0; }
#result { border: 1px solid var(--ok); background: var(--ok-bg); border-radius: 6px; padding: .6rem .8rem; }
#result h3 { margin-top: 0; color: var(--ok); }
kbd {
  font: .78rem ui-monospace, monospace; border: 1px solid var(--border); border-bottom-width: 2px;
  border-radius: 4px; padding: 0 .3rem; background: var(--bg);
}
`;

export const REVIEW_PAGE_SCRIPT = String.raw`
(function () {
  'use strict';
  var STORAGE_KEY = 'keel.reviewerKey';
  var byId = function (id) { return document.getElementById(id); };
  var ui = {
    signinView: byId('signin-view'), signinForm: byId('signin-form'), signinMessage: byId('signin-message'),
    apiKey: byId('api-key'), appView: byId('app-view'), session: byId('session'), signOut: byId('sign-out'),
    taskFilter: byId('task-filter'), refresh: byId('refresh'), listStatus: byId('list-status'),
    items: byId('items'), empty: byId('empty'), detail: byId('detail'), detailTitle: byId('detail-title'),
    detailStatus: byId('detail-status'), detailBody: byId('detail-body'), meta: byId('detail-meta'),
    reasons: byId('detail-reasons'), issues: byId('detail-issues'), input: byId('detail-input'),
    validation: byId('detail-validation'), decidedNote: byId('decided-note'), editForm: byId('edit-form'),
    fieldset: byId('output-fields'), fields: byId('fields'), formErrors: byId('form-errors'),
    comment: byId('comment'), commentError: byId('comment-error'), approve: byId('approve'),
    reject: byId('reject'), saveEdit: byId('save-edit'), actionStatus: byId('action-status'),
    result: byId('result'), back: byId('back-to-list')
  };

  var state = {
    key: null, items: [], loadedAt: 0, selected: null, detail: null,
    fields: [], whole: false, busy: false, decided: {}, listSeq: 0, detailSeq: 0
  };

  /* ---------- helpers: every piece of data goes in as text, never as markup ---------- */
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var v = attrs[name];
      if (v === undefined || v === null || v === false) return;
      if (name === 'text') node.textContent = String(v);
      else if (name === 'className') node.className = String(v);
      else node.setAttribute(name, v === true ? '' : String(v));
    });
    (children || []).forEach(function (c) {
      if (c === null || c === undefined || c === false) return;
      node.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
    });
    return node;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function pretty(v) {
    if (v === undefined) return '(none)';
    try { return JSON.stringify(v, null, 2); } catch (e) { return String(v); }
  }
  function short(v) {
    if (v === undefined) return '(none)';
    var s;
    try { s = JSON.stringify(v); } catch (e) { s = String(v); }
    return s.length > 120 ? s.slice(0, 119) + '\u2026' : s;
  }
  function humanise(ms) {
    var s = Math.max(0, Math.round(ms / 1000));
    if (s < 60) return s + ' s';
    var m = Math.floor(s / 60);
    if (m < 60) return m + ' min';
    var h = Math.floor(m / 60);
    if (h < 24) return h + ' h' + (m % 60 ? ' ' + (m % 60) + ' min' : '');
    var d = Math.floor(h / 24);
    return d + ' d' + (h % 24 ? ' ' + (h % 24) + ' h' : '');
  }
  function localTime(iso) {
    var d = new Date(iso);
    return isNaN(d.getTime()) ? String(iso) : d.toLocaleString();
  }
  function deadlineNode(when) {
    var at = new Date(when);
    var iso = isNaN(at.getTime()) ? String(when) : at.toISOString();
    var left = at.getTime() - Date.now();
    var text = isNaN(left) ? 'no deadline' : left >= 0 ? 'due in ' + humanise(left) : 'overdue by ' + humanise(-left);
    return el('time', { datetime: iso, title: localTime(iso), className: left < 0 ? 'overdue' : null, text: text });
  }
  function storedKey() {
    try { return sessionStorage.getItem(STORAGE_KEY); } catch (e) { return null; }
  }
  function storeKey(key) {
    try {
      if (key) sessionStorage.setItem(STORAGE_KEY, key); else sessionStorage.removeItem(STORAGE_KEY);
    } catch (e) { /* storage disabled: the key lives in memory only */ }
  }

  /* ---------- the API ---------- */
  function ApiError(status, problem, message, handled) {
    this.status = status; this.problem = problem; this.message = message; this.handled = !!handled;
  }
  function api(path, init) {
    var headers = { accept: 'application/json', authorization: 'Bearer ' + state.key };
    if (init && init.body) headers['content-type'] = 'application/json';
    var opts = { method: (init && init.method) || 'GET', headers: headers, body: init && init.body,
      cache: 'no-store', credentials: 'omit', redirect: 'error' };
    return fetch(path, opts).then(function (res) {
      return res.text().then(function (text) {
        var body = null;
        if (text) { try { body = JSON.parse(text); } catch (e) { body = null; } }
        if (res.status === 401 || res.status === 403) {
          signOut(res.status === 401
            ? 'The API key was refused. Enter a valid reviewer key.'
            : 'This API key does not have the reviewer role.');
          throw new ApiError(res.status, body, 'Signed out', true);
        }
        if (!res.ok) {
          var msg = (body && (body.detail || body.title)) || 'The request failed (HTTP ' + res.status + ').';
          throw new ApiError(res.status, body, msg, false);
        }
        return body;
      });
    }, function () {
      throw new ApiError(0, null, 'The server could not be reached. Check your connection and retry.', false);
    });
  }

  /* ---------- signing in and out ---------- */
  function showSignIn(message) {
    ui.appView.hidden = true; ui.session.hidden = true; ui.signinView.hidden = false;
    ui.signinMessage.textContent = message || '';
    ui.signinMessage.hidden = !message;
    ui.apiKey.value = '';
    ui.apiKey.focus();
  }
  function signOut(message) {
    state.key = null; state.items = []; state.selected = null; state.detail = null; state.fields = [];
    state.listSeq++; state.detailSeq++;
    storeKey(null);
    clear(ui.items); ui.detail.hidden = true; ui.empty.hidden = true; ui.listStatus.textContent = '';
    showSignIn(message);
  }
  function signIn(key) {
    state.key = key; storeKey(key);
    ui.signinView.hidden = true; ui.signinMessage.hidden = true; ui.appView.hidden = false; ui.session.hidden = false;
    ui.detail.hidden = true;
    return loadList({ focus: 'first' });
  }
  ui.signinForm.addEventListener('submit', function (e) {
    e.preventDefault();
    var key = ui.apiKey.value.trim();
    if (!key) {
      ui.signinMessage.textContent = 'Enter your reviewer API key.'; ui.signinMessage.hidden = false;
      ui.apiKey.setAttribute('aria-invalid', 'true'); ui.apiKey.focus();
      return;
    }
    ui.apiKey.removeAttribute('aria-invalid');
    ui.apiKey.value = '';
    signIn(key);
  });
  ui.signOut.addEventListener('click', function () { signOut('Signed out. The key was removed from this tab.'); });

  /* ---------- the queue ---------- */
  function loadList(opts) {
    opts = opts || {};
    var seq = ++state.listSeq;
    var q = new URLSearchParams({ limit: '200' });
    if (ui.taskFilter.value) q.set('task', ui.taskFilter.value);
    ui.items.setAttribute('aria-busy', 'true');
    ui.listStatus.textContent = 'Loading\u2026';
    return api('/v1/reviews?' + q.toString()).then(function (body) {
      if (seq !== state.listSeq) return;
      state.items = ((body && body.items) || []).filter(function (it) { return !state.decided[it.jobId]; });
      state.loadedAt = Date.now();
      renderList(opts.focus);
      ui.listStatus.textContent = state.items.length + ' pending \u00b7 updated ' + new Date().toLocaleTimeString();
    }, function (err) {
      if (err.handled || seq !== state.listSeq) return;
      ui.listStatus.textContent = err.message;
    }).then(function () { ui.items.removeAttribute('aria-busy'); });
  }
  function itemButtons() { return Array.prototype.slice.call(ui.items.querySelectorAll('[data-testid=review-item]')); }
  function renderList(focus) {
    var active = document.activeElement;
    var focusedId = active && active.getAttribute && active.getAttribute('data-testid') === 'review-item'
      ? active.getAttribute('data-job-id') : null;
    clear(ui.items);
    state.items.forEach(function (it) {
      var age = (it.ageMs || 0) + (Date.now() - state.loadedAt);
      var reasons = (it.reasons || []).join('; ') || 'no reason given';
      var btn = el('button', {
        type: 'button', className: 'item', 'data-testid': 'review-item', 'data-job-id': it.jobId,
        'aria-current': it.jobId === state.selected ? 'true' : null
      }, [
        el('span', { className: 'item-head' }, [
          el('span', { className: 'item-task', text: it.task }),
          el('span', { className: 'badge ' + (it.group === 'escalation' ? 'escalation' : ''), text: it.group })
        ]),
        el('span', { className: 'item-reasons', text: reasons }),
        el('span', { className: 'item-meta' }, [
          el('span', { title: 'requested ' + localTime(it.requestedAt), text: 'waiting ' + humanise(age) }),
          ' \u00b7 ', deadlineNode(it.deadlineAt)
        ])
      ]);
      btn.addEventListener('click', function () { openItem(it.jobId); });
      ui.items.appendChild(el('li', {}, [btn]));
    });
    ui.empty.hidden = state.items.length > 0;
    var buttons = itemButtons();
    var target = null;
    if (focusedId) target = buttons.filter(function (b) { return b.getAttribute('data-job-id') === focusedId; })[0];
    if (!target && focus === 'first') target = buttons[0] || ui.refresh;
    if (target && (focusedId || focus)) target.focus();
  }
  ui.items.addEventListener('keydown', function (e) {
    var buttons = itemButtons();
    var i = buttons.indexOf(document.activeElement);
    if (i < 0) return;
    var next = null;
    if (e.key === 'ArrowDown') next = buttons[Math.min(i + 1, buttons.length - 1)];
    else if (e.key === 'ArrowUp') next = buttons[Math.max(i - 1, 0)];
    else if (e.key === 'Home') next = buttons[0];
    else if (e.key === 'End') next = buttons[buttons.length - 1];
    if (next) { e.preventDefault(); next.focus(); }
  });
  ui.refresh.addEventListener('click', function () { loadList(); });
  ui.taskFilter.addEventListener('change', function () { loadList(); });

  /* ---------- one item ---------- */
  function markSelected() {
    itemButtons().forEach(function (b) {
      if (b.getAttribute('data-job-id') === state.selected) b.setAttribute('aria-current', 'true');
      else b.removeAttribute('aria-current');
    });
  }
  function focusList() {
    var buttons = itemButtons();
    var sel = buttons.filter(function (b) { return b.getAttribute('data-job-id') === state.selected; })[0];
    (sel || buttons[0] || ui.refresh).focus();
  }
  function openItem(jobId) {
    var seq = ++state.detailSeq;
    state.selected = jobId; state.detail = null; state.fields = [];
    markSelected();
    ui.detail.hidden = false; ui.detailBody.hidden = true; ui.result.hidden = true;
    ui.detailTitle.textContent = 'Loading\u2026';
    ui.detailStatus.textContent = '';
    return api('/v1/reviews/' + encodeURIComponent(jobId)).then(function (item) {
      if (seq !== state.detailSeq) return;
      state.detail = item;
      renderDetail(item);
      ui.detailTitle.focus();
    }, function (err) {
      if (err.handled || seq !== state.detailSeq) return;
      ui.detailTitle.textContent = 'Review ' + jobId;
      ui.detailStatus.textContent = err.status === 404
        ? 'This item is no longer pending: another reviewer decided it or its deadline passed.'
        : err.message;
      ui.detailStatus.hidden = false;
      ui.detailTitle.focus();
      if (err.status === 404) loadList();
    });
  }

  function fieldKind(v) {
    if (typeof v === 'string') return v.length > 80 || v.indexOf('\n') >= 0 ? 'longtext' : 'text';
    if (typeof v === 'number') return 'number';
    if (typeof v === 'boolean') return 'boolean';
    return 'json';
  }
  var KIND_LABEL = { text: 'text', longtext: 'text', number: 'number', boolean: 'yes / no', json: 'JSON' };
  function buildField(name, value, index) {
    var kind = fieldKind(value);
    var id = 'f-' + index, errId = 'f-' + index + '-error';
    var control;
    if (kind === 'longtext') control = el('textarea', { id: id, rows: 4 });
    else if (kind === 'json') control = el('textarea', { id: id, className: 'json', rows: 6, spellcheck: 'false' });
    else if (kind === 'number') control = el('input', { id: id, type: 'number', step: 'any', inputmode: 'decimal' });
    else if (kind === 'boolean') control = el('input', { id: id, type: 'checkbox' });
    else control = el('input', { id: id, type: 'text', autocomplete: 'off' });
    control.setAttribute('data-field', name);
    if (kind === 'boolean') control.checked = value === true;
    else if (kind === 'json') control.value = value === undefined ? '' : JSON.stringify(value, null, 2);
    else control.value = String(value);
    var label = el('label', { for: id }, [name, el('span', { className: 'kind', text: KIND_LABEL[kind] })]);
    var error = el('p', { id: errId, className: 'field-error', 'data-error-for': name, hidden: true });
    var wrap = el('div', { className: 'field' + (kind === 'boolean' ? ' checkbox' : ''), 'data-kind': kind },
      kind === 'boolean' ? [control, label, error] : [label, control, error]);
    return { name: name, kind: kind, control: control, error: error, wrap: wrap };
  }

  function renderDetail(item) {
    ui.detailTitle.textContent = item.task + ' \u00b7 review';
    ui.detailStatus.hidden = true;
    clear(ui.meta);
    [
      ['Job', item.jobId],
      ['Group', item.group],
      ['Requested', localTime(item.requestedAt) + ' (' + humanise(Date.now() - new Date(item.requestedAt).getTime()) + ' ago)'],
      ['Deadline', deadlineNode(item.deadlineAt)]
    ].forEach(function (pair) {
      ui.meta.appendChild(el('dt', { text: pair[0] }));
      ui.meta.appendChild(el('dd', {}, [pair[1]]));
    });
    clear(ui.reasons);
    (item.reasons || []).forEach(function (r) { ui.reasons.appendChild(el('li', { text: r })); });
    if (!item.reasons || !item.reasons.length) ui.reasons.appendChild(el('li', { className: 'muted', text: 'none given' }));
    clear(ui.issues);
    (item.issues || []).forEach(function (i) {
      ui.issues.appendChild(el('li', {}, [
        el('code', { text: i.field }), ': ' + i.message + (i.rule ? ' (' + i.rule + ')' : '')
      ]));
    });
    if (!item.issues || !item.issues.length) ui.issues.appendChild(el('li', { className: 'muted', text: 'no validation issues' }));
    ui.input.textContent = pretty(item.input);
    ui.validation.textContent = pretty(item.validation);

    clear(ui.fields);
    var p = item.proposed;
    state.whole = !(p && typeof p === 'object' && !Array.isArray(p));
    state.fields = state.whole
      ? [buildField('output', p, 0)]
      : Object.keys(p).map(function (k, i) { return buildField(k, p[k], i); });
    state.fields.forEach(function (f) { ui.fields.appendChild(f.wrap); });
    if (!state.fields.length) ui.fields.appendChild(el('p', { className: 'muted', text: 'The proposed output has no fields.' }));

    ui.comment.value = '';
    clearErrors();
    ui.result.hidden = true;
    ui.actionStatus.textContent = '';
    ui.detailBody.hidden = false;
    setDecided(!!item.decided);
  }

  function setDecided(decided) {
    ui.decidedNote.hidden = !decided;
    ui.fieldset.disabled = decided;
    ui.comment.disabled = decided;
    [ui.approve, ui.reject, ui.saveEdit].forEach(function (b) { b.disabled = decided; });
  }

  /* ---------- errors ---------- */
  function clearErrors() {
    state.fields.concat([{ control: ui.comment, error: ui.commentError }]).forEach(function (f) {
      f.control.removeAttribute('aria-invalid');
      f.control.removeAttribute('aria-describedby');
      f.error.textContent = ''; f.error.hidden = true;
    });
    clear(ui.formErrors); ui.formErrors.hidden = true;
  }
  /** Which form field an error path names: output.<field>..., a bare output field, or the comment. */
  function targetFor(path) {
    if (typeof path !== 'string') return null;
    if (path === 'comment' || path === 'body.comment') return { control: ui.comment, error: ui.commentError, sub: '' };
    var find = function (name) { return state.fields.filter(function (f) { return f.name === name; })[0] || null; };
    if (state.whole) {
      var w = /^(?:body\.)?(?:output|\(output\))(.*)$/.exec(path);
      if (!w) return null;
      var whole = find('output');
      return whole && { control: whole.control, error: whole.error, sub: w[1].replace(/^[.]/, '') };
    }
    var m = /^(?:body\.)?output\.(.+)$/.exec(path);
    var rest = m ? m[1] : path;
    var head = rest.split(/[.[]/)[0];
    var f = find(head);
    if (!f) return null;
    return { control: f.control, error: f.error, sub: rest.slice(head.length).replace(/^[.]/, '') };
  }
  function showErrors(errors, summary) {
    clearErrors();
    var general = [];
    var first = null;
    (errors || []).forEach(function (e) {
      var message = (e && e.message) || 'invalid';
      var t = targetFor(e && e.field);
      if (!t) { general.push((e && e.field ? e.field + ': ' : '') + message); return; }
      var text = (t.sub ? t.sub + ': ' : '') + message;
      t.error.textContent = t.error.textContent ? t.error.textContent + '; ' + text : text;
      t.error.hidden = false;
      t.control.setAttribute('aria-invalid', 'true');
      t.control.setAttribute('aria-describedby', t.error.id);
      if (!first) first = t.control;
    });
    if (summary || general.length) {
      ui.formErrors.appendChild(el('p', { text: summary || 'The decision was not accepted.' }));
      if (general.length) ui.formErrors.appendChild(el('ul', { className: 'plain' }, general.map(function (g) { return el('li', { text: g }); })));
      ui.formErrors.hidden = false;
    }
    (first || ui.formErrors).focus();
  }

  /* ---------- deciding ---------- */
  function readForm() {
    var output = {};
    var errors = [];
    state.fields.forEach(function (f) {
      var c = f.control;
      var v;
      if (f.kind === 'boolean') v = c.checked;
      else if (f.kind === 'number') {
        if (c.validity && c.validity.badInput) errors.push({ field: f.name, message: 'enter a number' });
        else if (c.value.trim() === '') errors.push({ field: f.name, message: 'enter a number' });
        else v = Number(c.value);
      } else if (f.kind === 'json') {
        try { v = JSON.parse(c.value); } catch (e) { errors.push({ field: f.name, message: 'not valid JSON (' + e.message + ')' }); }
      } else v = c.value;
      if (state.whole) output = v; else output[f.name] = v;
    });
    return { output: output, errors: errors };
  }

  var DONE = { approve: 'Approved', reject: 'Rejected', edit: 'Edited and approved' };
  function showResult(audit) {
    clear(ui.result);
    ui.result.appendChild(el('h3', { text: 'Decision recorded' }));
    ui.result.appendChild(el('p', {}, [
      (DONE[audit.decision] || String(audit.decision)) + ' by ', el('strong', { 'data-testid': 'reviewer', text: audit.reviewer }),
      ' at ' + localTime(audit.decidedAt) + ' (' + audit.group + ').'
    ]));
    var changes = audit.changes || [];
    if (changes.length) {
      ui.result.appendChild(el('p', { text: 'What changed:' }));
      ui.result.appendChild(el('ul', { className: 'plain', 'data-testid': 'changes' }, changes.map(function (c) {
        return el('li', {}, [el('code', { text: c.path }), ': ' + short(c.before) + ' \u2192 ' + short(c.after)]);
      })));
    } else {
      ui.result.appendChild(el('p', { text: audit.decision === 'edit' ? 'The edit changed nothing in the proposed output.' : 'The proposed output was not changed.' }));
    }
    if (audit.comment) ui.result.appendChild(el('p', {}, ['Comment: ', el('q', { text: audit.comment })]));
    ui.result.hidden = false;
    ui.result.focus();
  }

  function decide(kind) {
    var item = state.detail;
    if (!item || state.busy || ui.approve.disabled) return;
    var body = { decision: kind };
    if (kind === 'edit') {
      var form = readForm();
      if (form.errors.length) { showErrors(form.errors, 'Fix the highlighted fields, then save the edit again.'); return; }
      body.output = form.output;
    }
    var comment = ui.comment.value.trim();
    if (comment) body.comment = comment;
    clearErrors();
    state.busy = true;
    ui.editForm.setAttribute('aria-busy', 'true');
    ui.actionStatus.textContent = 'Sending the decision\u2026';
    var jobId = item.jobId;
    api('/v1/reviews/' + encodeURIComponent(jobId), { method: 'POST', body: JSON.stringify(body) }).then(function (audit) {
      ui.actionStatus.textContent = '';
      state.decided[jobId] = true;
      item.decided = true;
      setDecided(true);
      ui.decidedNote.hidden = true;
      showResult(audit || {});
      state.items = state.items.filter(function (it) { return it.jobId !== jobId; });
      renderList();
      loadList();
    }, function (err) {
      ui.actionStatus.textContent = '';
      if (err.handled) return;
      var p = err.problem || {};
      if (err.status === 422 || err.status === 400) {
        showErrors(p.errors, err.status === 422
          ? 'The edited output is not valid: fix the highlighted fields. The task is still waiting for a decision.'
          : err.message);
      } else if (err.status === 409) {
        state.decided[jobId] = true; setDecided(true);
        showErrors([], 'This review was already decided (by another reviewer or in another tab).');
        loadList();
      } else if (err.status === 404) {
        state.decided[jobId] = true; setDecided(true);
        showErrors([], 'This item is no longer pending: its deadline passed or it was decided elsewhere.');
        loadList();
      } else {
        showErrors([], err.message);
      }
    }).then(function () {
      state.busy = false;
      ui.editForm.removeAttribute('aria-busy');
    });
  }
  ui.editForm.addEventListener('submit', function (e) { e.preventDefault(); });
  ui.approve.addEventListener('click', function () { decide('approve'); });
  ui.reject.addEventListener('click', function () { decide('reject'); });
  ui.saveEdit.addEventListener('click', function () { decide('edit'); });
  ui.back.addEventListener('click', focusList);

  /* ---------- keyboard shortcuts (documented on the page) ---------- */
  document.addEventListener('keydown', function (e) {
    if (ui.appView.hidden) return;
    if (e.altKey && !e.ctrlKey && !e.metaKey && !e.shiftKey) {
      var detailOpen = !ui.detail.hidden && !ui.detailBody.hidden;
      var action = { KeyA: 'approve', KeyR: 'reject', KeyS: 'edit' }[e.code];
      if (action && detailOpen) { e.preventDefault(); decide(action); return; }
      if (e.code === 'KeyL') { e.preventDefault(); focusList(); return; }
      if (e.code === 'KeyU') { e.preventDefault(); loadList(); return; }
    }
    if (e.key === 'Escape' && !ui.detail.hidden && ui.detail.contains(document.activeElement)) {
      e.preventDefault(); focusList();
    }
  });

  /* ---------- start ---------- */
  var saved = storedKey();
  if (saved) signIn(saved); else showSignIn('');
})();
`;

function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

/** The reviewer page: one self-contained HTML string (inline style and script, no CDN). */
export function renderReviewPage(taskNames: readonly string[] = Object.keys(TASKS)): string {
  const options = taskNames
    .map((t) => `<option value="${escapeHtml(t)}">${escapeHtml(t)}</option>`)
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Keel · Review</title>
<link rel="icon" href="data:,">
<style>${REVIEW_PAGE_STYLE}</style>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header>
  <h1>Keel · Human review</h1>
  <div id="session" hidden>
    <button type="button" id="sign-out">Sign out</button>
  </div>
</header>
<main id="main">
  <noscript><p class="message error">This page needs JavaScript.</p></noscript>

  <section id="signin-view" class="panel stack" aria-labelledby="signin-title" hidden>
    <h2 id="signin-title">Sign in</h2>
    <p id="signin-message" class="message error" role="alert" hidden></p>
    <form id="signin-form" class="stack" autocomplete="off" novalidate>
      <div>
        <label for="api-key">Reviewer API key</label>
        <input id="api-key" type="password" autocomplete="off" spellcheck="false" aria-describedby="api-key-help">
      </div>
      <p id="api-key-help" class="muted small">Sent as <code>Authorization: Bearer …</code> to this server only, and kept in this tab's session storage until you sign out or close the tab.</p>
      <button type="submit" id="sign-in" class="primary">Sign in</button>
    </form>
  </section>

  <div id="app-view" hidden>
    <section id="queue" class="panel" aria-labelledby="queue-title">
      <h2 id="queue-title">Pending reviews</h2>
      <div class="row">
        <div class="grow">
          <label for="task-filter">Task</label>
          <select id="task-filter"><option value="">All tasks</option>${options}</select>
        </div>
        <button type="button" id="refresh">Refresh</button>
      </div>
      <p id="list-status" class="muted small" role="status" aria-live="polite"></p>
      <ul id="items" aria-label="Pending reviews, oldest first"></ul>
      <p id="empty" class="message info" data-testid="empty-state" hidden>Nothing is waiting for review. New items appear when you refresh.</p>
      <h3>Keyboard</h3>
      <ul id="shortcuts" class="plain small">
        <li><kbd>Tab</kbd> moves between controls; <kbd>↑</kbd> <kbd>↓</kbd> <kbd>Home</kbd> <kbd>End</kbd> move in the list; <kbd>Enter</kbd> or <kbd>Space</kbd> opens an item.</li>
        <li><kbd>Alt</kbd>+<kbd>A</kbd> approve, <kbd>Alt</kbd>+<kbd>R</kbd> reject, <kbd>Alt</kbd>+<kbd>S</kbd> save the edit.</li>
        <li><kbd>Alt</kbd>+<kbd>L</kbd> or <kbd>Esc</kbd> back to the list, <kbd>Alt</kbd>+<kbd>U</kbd> refresh the list.</li>
      </ul>
    </section>

    <section id="detail" class="panel" aria-labelledby="detail-title" hidden>
      <h2 id="detail-title" tabindex="-1"></h2>
      <p id="detail-status" class="message error" role="alert" hidden></p>
      <div id="detail-body" hidden>
        <dl id="detail-meta" class="meta"></dl>
        <h3>Why it needs review</h3>
        <ul id="detail-reasons" class="plain"></ul>
        <h3>Validation issues</h3>
        <ul id="detail-issues" class="plain"></ul>
        <h3 id="input-title">Input (personal data masked)</h3>
        <pre id="detail-input" class="json" tabindex="0" aria-labelledby="input-title"></pre>
        <details>
          <summary>Validation layers</summary>
          <pre id="detail-validation" class="json"></pre>
        </details>
        <p id="decided-note" class="message info" hidden>This item has already been decided.</p>
        <form id="edit-form" novalidate>
          <h3>Proposed output</h3>
          <fieldset id="output-fields">
            <legend>Edit the fields, then <em>Save edit</em>; or approve or reject as proposed</legend>
            <div id="fields"></div>
          </fieldset>
          <div id="form-errors" class="message error" role="alert" tabindex="-1" hidden></div>
          <div class="field">
            <label for="comment">Comment <span class="kind">optional, kept in the audit</span></label>
            <textarea id="comment" rows="3" maxlength="2000"></textarea>
            <p id="comment-error" class="field-error" data-error-for="comment" hidden></p>
          </div>
          <div class="actions">
            <button type="button" id="approve" class="primary" aria-keyshortcuts="Alt+A">Approve</button>
            <button type="button" id="reject" class="danger" aria-keyshortcuts="Alt+R">Reject</button>
            <button type="button" id="save-edit" aria-keyshortcuts="Alt+S">Save edit</button>
            <button type="button" id="back-to-list" aria-keyshortcuts="Alt+L">Back to list</button>
          </div>
          <p id="action-status" class="muted small" role="status" aria-live="polite"></p>
        </form>
        <div id="result" role="status" tabindex="-1" hidden></div>
      </div>
    </section>
  </div>
</main>
<script>${REVIEW_PAGE_SCRIPT}</script>
</body>
</html>
`;
}
