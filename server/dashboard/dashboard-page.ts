import path from 'node:path';
import { buildInlinePage, pageDir, PAGE_UI_CSS, type InlinePage } from '../inline-page';

/**
 * The operator dashboard (`GET /dashboard`), built once when the server starts from the real
 * files in `server/dashboard-ui/`: `index.html`, `dashboard.css` after uPlot's stylesheet and the
 * shared `server/page-ui/page.css`, and `dashboard.ts` (uPlot and the shared `server/page-ui/`
 * helpers bundled in by esbuild), all inline under a hash-based CSP.
 */
export const DASHBOARD_UI_DIR = pageDir('dashboard-ui');

const UPLOT_CSS = path.join(path.dirname(require.resolve('uplot')), 'uPlot.min.css');

export function buildDashboardPage(dir: string = DASHBOARD_UI_DIR): Promise<InlinePage> {
  return buildInlinePage({
    name: 'dashboard',
    dir,
    entry: 'dashboard.ts',
    styles: [UPLOT_CSS, PAGE_UI_CSS, 'dashboard.css'],
    // The empty `data:` favicon (no request for /favicon.ico).
    extraCsp: ['img-src data:'],
  });
}

let built: Promise<InlinePage> | undefined;

/** The page, built on first use and kept in memory for the life of the process. */
export function dashboardPage(): Promise<InlinePage> {
  built ??= buildDashboardPage();
  return built;
}
