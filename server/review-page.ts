import { TASKS } from '../shared/tasks';
import {
  buildInlinePage,
  escapeHtml,
  fill,
  pageDir,
  PAGE_UI_CSS,
  type InlinePage,
} from './inline-page';

/**
 * The reviewer's page (`GET /review`), built once when the server starts from the real files in
 * `server/review-ui/`: `index.html`, `review.css` (after the shared `server/page-ui/page.css`), and
 * `review.ts` (bundled in memory by esbuild, the shared `server/page-ui/` helpers included).
 * The style and the script are inlined into the HTML, so the page is one self-contained document
 * (nothing to fetch, nothing from elsewhere), and the Content-Security-Policy allows exactly
 * those two inline blocks by their SHA-256 hash, computed from the built text
 * (server/inline-page.ts).
 */

/** Where the page's sources live. */
export const REVIEW_UI_DIR = pageDir('review-ui');

export type ReviewPage = InlinePage;

/** Builds the page and its CSP from `dir` (by default `server/review-ui/`). */
export function buildReviewPage(
  taskNames: readonly string[] = Object.keys(TASKS),
  dir: string = REVIEW_UI_DIR,
): Promise<ReviewPage> {
  const options = taskNames
    .map((t) => `<option value="${escapeHtml(t)}">${escapeHtml(t)}</option>`)
    .join('');
  return buildInlinePage({
    name: 'reviewer',
    dir,
    entry: 'review.ts',
    styles: [PAGE_UI_CSS, 'review.css'],
    extraCsp: ['img-src data:'],
    finish: (html) => fill(html, /<!-- keel:task-options -->/, options, 'The task options marker'),
  });
}

let built: Promise<ReviewPage> | undefined;

/** The page, built on first use and kept in memory for the life of the process. */
export function reviewPage(): Promise<ReviewPage> {
  built ??= buildReviewPage();
  return built;
}
