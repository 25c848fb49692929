/**
 * The DOM helpers both Keel pages use (server/review-ui/, server/dashboard-ui/; each page's
 * esbuild bundle takes in what it imports from here). Every piece of data reaches the DOM as
 * text (`textContent`, text nodes, `setAttribute`), never as markup.
 */

/** Attribute values: `text` sets the text, `className` the class; null, undefined or false skip. */
export type Attrs = Record<string, string | number | boolean | null | undefined>;
export type Child = Node | string | number | null | undefined | false;

/** The element with this id, checked to be of the expected kind (the page cannot work without it). */
export function byId<T extends HTMLElement>(id: string, kind: { new (): T; prototype: T }): T {
  const node = document.getElementById(id);
  if (!(node instanceof kind)) throw new Error(`The page has no #${id} of the expected kind.`);
  return node;
}

/** A new element with attributes and children; strings become text nodes. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  children: readonly Child[] = [],
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (name === 'text') node.textContent = String(v);
    else if (name === 'className') node.className = String(v);
    else node.setAttribute(name, v === true ? '' : String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    node.appendChild(
      typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c,
    );
  }
  return node;
}
