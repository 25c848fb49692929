import { createHash } from 'node:crypto';

const sha256 = (text: string): string =>
  `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/**
 * The Content-Security-Policy of a page Keel serves with its script and style inline: only those
 * (by hash), requests to its own origin, no forms, frames or base changes. `extra`: further
 * directives (e.g. `img-src data:`).
 */
export function inlinePageCsp(page: { script: string; style: string }, extra: string[] = []) {
  return [
    "default-src 'none'",
    `script-src ${sha256(page.script)}`,
    `style-src ${sha256(page.style)}`,
    "connect-src 'self'",
    ...extra,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
