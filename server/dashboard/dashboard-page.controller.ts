import { InlinePageController } from '../inline-page.controller';
import { dashboardPage } from './dashboard-page';

/**
 * `GET /dashboard`: the operator's dashboard page. Public because the page holds no data; every
 * call it makes to `/v1/admin/dashboard` carries the operator's key, which the page asks for.
 * Built when the app starts (a build failure stops the start); the same strict CSP as the
 * reviewer page: its own inline script and style by hash, requests to this origin only.
 */
export class DashboardPageController extends InlinePageController(
  'dashboard',
  'dashboard',
  dashboardPage,
) {}
