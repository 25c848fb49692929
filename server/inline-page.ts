import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';
import { inlinePageCsp } from './page-csp';

/**
 * The pages Keel serves from real files (`server/review-ui/`, `server/dashboard-ui/`): built
 * once when the server starts. `index.html` holds a style marker and a script marker; the CSS
 * and the entry script (bundled in memory by esbuild, imports included) are inlined there, so
 * the page is one self-contained document, and its Content-Security-Policy allows exactly those
 * two inline blocks by their SHA-256 hash (server/page-csp.ts).
 */

export interface InlinePage {
  /** The complete HTML document, style and script inline. */
  html: string;
  /** The Content-Security-Policy that allows only this page's own inline script and style. */
  csp: string;
}

/**
 * The stylesheet both pages share, relative to a page's folder: `server/page-ui/` sits beside
 * `server/review-ui/` and `server/dashboard-ui/` (its scripts reach the bundles by import).
 */
export const PAGE_UI_CSS = '../page-ui/page.css';

/** A page's source folder: next to this file (or, compiled into `dist/server/`, in the sources). */
export function pageDir(name: string): string {
  return (
    [path.join(__dirname, name), path.resolve(__dirname, '../../server', name)].find((dir) =>
      existsSync(path.join(dir, 'index.html')),
    ) ?? path.join(__dirname, name)
  );
}

export function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

/** Replaces the one place `marker` matches; a missing or repeated marker stops the build. */
export function fill(html: string, marker: RegExp, content: string, what: string): string {
  const hits = html.match(new RegExp(marker.source, 'g'))?.length ?? 0;
  if (hits !== 1) throw new Error(`${what} must be in index.html exactly once (found ${hits}).`);
  return html.replace(marker, () => content);
}

/** Text that would end (or confuse) the inline element it is placed in. */
function assertInlineSafe(text: string, tag: 'script' | 'style', page: string): void {
  if (new RegExp(`</${tag}|<!--`, 'i').test(text)) {
    throw new Error(
      `The ${page} page's ${tag} contains "</${tag}" or "<!--"; it cannot be inlined.`,
    );
  }
}

/** Bundles `entry` into one browser script (an IIFE, no imports left, no source map). */
async function bundleScript(dir: string, entry: string): Promise<string> {
  const result = await build({
    entryPoints: [path.join(dir, entry)],
    tsconfig: path.join(dir, 'tsconfig.json'),
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    legalComments: 'none',
    logLevel: 'silent',
  });
  const out = result.outputFiles[0];
  if (!out) throw new Error(`esbuild produced no output for ${entry}`);
  return out.text;
}

/**
 * Reads `dir/index.html`, the styles (`styles`: files in `dir` or absolute paths, concatenated
 * in order) and bundles `entry`; inlines them and computes the CSP (`extraCsp`: more directives).
 * `finish` fills the page's own markers after the style and script are in.
 */
export async function buildInlinePage(opts: {
  name: string;
  dir: string;
  entry: string;
  styles: readonly string[];
  extraCsp?: string[];
  finish?: (html: string) => string;
}): Promise<InlinePage> {
  const { dir, name } = opts;
  const [template, script, ...styles] = await Promise.all([
    readFile(path.join(dir, 'index.html'), 'utf8'),
    bundleScript(dir, opts.entry),
    ...opts.styles.map((s) => readFile(path.resolve(dir, s), 'utf8')),
  ]);
  const style = styles.join('\n');
  assertInlineSafe(style, 'style', name);
  assertInlineSafe(script, 'script', name);
  let html = fill(
    template,
    /<style>\s*\/\* keel:style \*\/\s*<\/style>/,
    `<style>${style}</style>`,
    'The style marker',
  );
  html = fill(
    html,
    /<script>\s*\/\* keel:script \*\/\s*<\/script>/,
    `<script>${script}</script>`,
    'The script marker',
  );
  if (opts.finish) html = opts.finish(html);
  return { html, csp: inlinePageCsp({ script, style }, opts.extraCsp) };
}
