/**
 * DOM and formatting helpers for the dashboard (`byId` and `el` are the shared ones in
 * server/page-ui/dom.ts). Every piece of data reaches the DOM as text (`textContent`, text
 * nodes, `setAttribute`), never as markup.
 */
import { el, type Child } from '../page-ui/dom';

export { byId, el, type Child } from '../page-ui/dom';

/** Replaces `host`'s content with `node`. */
export function show(host: HTMLElement, node: Node): void {
  host.replaceChildren(node);
}

export interface Column<R> {
  title: string;
  cell: (row: R) => Child;
  num?: boolean;
  className?: (row: R) => string | undefined;
}

/** A table of `rows`, or `empty` as a note when there are none. */
export function table<R>(
  rows: readonly R[],
  columns: readonly Column<R>[],
  empty: string,
  rowAttrs: (row: R) => Record<string, string> = () => ({}),
): HTMLElement {
  if (rows.length === 0) return el('p', { className: 'empty' }, [empty]);
  const cls = (c: Column<R>, r?: R) =>
    [c.num ? 'num' : '', r && c.className ? (c.className(r) ?? '') : ''].join(' ').trim() ||
    undefined;
  return el('table', {}, [
    el('thead', {}, [
      el(
        'tr',
        {},
        columns.map((c) => el('th', { scope: 'col', className: cls(c) }, [c.title])),
      ),
    ]),
    el(
      'tbody',
      {},
      rows.map((r) =>
        el(
          'tr',
          rowAttrs(r),
          columns.map((c) => el('td', { className: cls(c, r) }, [c.cell(r)])),
        ),
      ),
    ),
  ]);
}

export const ms = (v: number | null): string =>
  v === null ? '–' : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${Math.round(v)} ms`;
export const count = (n: number): string => n.toLocaleString('en');
export const usd = (v: number | null): string =>
  v === null ? '–' : v === 0 ? '$0' : v < 0.01 ? `$${v.toPrecision(2)}` : `$${v.toFixed(4)}`;
export const pct = (v: number): string => `${(v * 100).toFixed(v > 0 && v < 0.1 ? 1 : 0)} %`;
export const localTime = (at: number | string): string =>
  new Date(at).toLocaleTimeString([], { hour12: false });
