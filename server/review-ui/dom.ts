/**
 * DOM and formatting helpers for the reviewer page (`byId` and `el` are the shared ones in
 * server/page-ui/dom.ts). Every piece of data reaches the DOM as text (`textContent`, text
 * nodes, `setAttribute`), never as markup.
 */

import { el } from '../page-ui/dom';

export { byId, el, type Attrs, type Child } from '../page-ui/dom';

export function clear(node: Node): void {
  while (node.firstChild) node.removeChild(node.firstChild);
}

const UNPRINTABLE = '(not printable)';

/** Indented JSON for display; `(none)` for undefined. */
export function pretty(v: unknown): string {
  if (v === undefined) return '(none)';
  try {
    return JSON.stringify(v, null, 2);
  } catch {
    // Only cycles and BigInt make it throw; JSON read from the API holds neither.
    return UNPRINTABLE;
  }
}

/** One-line JSON, cut at 120 characters. */
export function short(v: unknown): string {
  if (v === undefined) return '(none)';
  let s: string;
  try {
    s = JSON.stringify(v);
  } catch {
    s = UNPRINTABLE;
  }
  return s.length > 120 ? s.slice(0, 119) + '\u2026' : s;
}

/** A duration for people: `42 s`, `5 min`, `2 h 10 min`, `3 d 4 h`. */
export function humanise(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h} h` + (m % 60 ? ` ${m % 60} min` : '');
  const d = Math.floor(h / 24);
  return `${d} d` + (h % 24 ? ` ${h % 24} h` : '');
}

/** An ISO timestamp in the reader's locale (the input itself when it does not parse). */
export function localTime(iso: string): string {
  const d = new Date(iso);
  return isNaN(d.getTime()) ? String(iso) : d.toLocaleString();
}

/** `due in …` or `overdue by …` as a `<time>` element carrying the exact instant. */
export function deadlineNode(when: string): HTMLTimeElement {
  const at = new Date(when);
  const iso = isNaN(at.getTime()) ? String(when) : at.toISOString();
  const left = at.getTime() - Date.now();
  const text = isNaN(left)
    ? 'no deadline'
    : left >= 0
      ? `due in ${humanise(left)}`
      : `overdue by ${humanise(-left)}`;
  return el('time', {
    datetime: iso,
    title: localTime(iso),
    className: left < 0 ? 'overdue' : null,
    text,
  });
}
