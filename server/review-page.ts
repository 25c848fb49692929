import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';
import { TASKS } from '../shared/tasks';
import { inlinePageCsp } from './page-csp';

/**
 * The reviewer's page (`GET /review`), built once when the server starts from the real files in
 * `server/review-ui/`: `index.html`, `review.css`, and `review.ts` (bundled in memory by esbuild).
 * The style and the script are inlined into the HTML, so the page is one self-contained document
 * (nothing to fetch, nothing from elsewhere), and the Content-Security-Policy allows exactly
 * those two inline blocks by their SHA-256 hash, computed here from the built text.
 */

/** Where the page's sources live: next to this file (or, compiled into `dist/server/`, in the sources). */
export const REVIEW_UI_DIR =
  [path.join(__dirname, 'review-ui'), path.resolve(__dirname, '../../server/review-ui')].find(
    (dir) => existsSync(path.join(dir, 'index.html')),
  ) ?? path.join(__dirname, 'review-ui');

export interface ReviewPage {
  /** The complete HTML document, style and script inline. */
  html: string;
  /** The Content-Security-Policy that allows only this page's own inline script and style. */
  csp: string;
}

function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

/** Replaces the one place `marker` matches; a missing or repeated marker stops the build. */
function fill(html: string, marker: RegExp, content: string, name: string): string {
  const hits = html.match(new RegExp(marker.source, 'g'))?.length ?? 0;
  if (hits !== 1) throw new Error(`review-ui/index.html must hold ${name} exactly once (${hits}).`);
  return html.replace(marker, () => content);
}

/** Text that would end (or confuse) the inline element it is placed in. */
function assertInlineSafe(text: string, tag: 'script' | 'style'): void {
  if (new RegExp(`</${tag}|<!--`, 'i').test(text)) {
    throw new Error(
      `The reviewer page's ${tag} contains "</${tag}" or "<!--"; it cannot be inlined.`,
    );
  }
}

/** Bundles review.ts into one browser script (an IIFE, no imports left, no source map). */
async function bundleScript(dir: string): Promise<string> {
  const result = await build({
    entryPoints: [path.join(dir, 'review.ts')],
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
  if (!out) throw new Error('esbuild produced no output for review-ui/review.ts');
  return out.text;
}

/** Builds the page and its CSP from `dir` (by default `server/review-ui/`). */
export async function buildReviewPage(
  taskNames: readonly string[] = Object.keys(TASKS),
  dir: string = REVIEW_UI_DIR,
): Promise<ReviewPage> {
  const [template, style, script] = await Promise.all([
    readFile(path.join(dir, 'index.html'), 'utf8'),
    readFile(path.join(dir, 'review.css'), 'utf8'),
    bundleScript(dir),
  ]);
  assertInlineSafe(style, 'style');
  assertInlineSafe(script, 'script');
  const options = taskNames
    .map((t) => `<option value="${escapeHtml(t)}">${escapeHtml(t)}</option>`)
    .join('');
  let html = fill(
    template,
    /<style>\s*\/\* keel:style \*\/\s*<\/style>/,
    `<style>${style}</style>`,
    'the style marker',
  );
  html = fill(
    html,
    /<script>\s*\/\* keel:script \*\/\s*<\/script>/,
    `<script>${script}</script>`,
    'the script marker',
  );
  html = fill(html, /<!-- keel:task-options -->/, options, 'the task options marker');
  const csp = inlinePageCsp({ script, style }, ['img-src data:']);
  return { html, csp };
}

let built: Promise<ReviewPage> | undefined;

/** The page, built on first use and kept in memory for the life of the process. */
export function reviewPage(): Promise<ReviewPage> {
  built ??= buildReviewPage();
  return built;
}
