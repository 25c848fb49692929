import { Controller, Get, Header, Res, type OnModuleInit } from '@nestjs/common';
import type { Response } from 'express';
import { Public } from '../auth.guard';
import type { InlinePage } from '../inline-page';
import { dashboardPage } from './dashboard-page';

/**
 * `GET /dashboard`: the operator's dashboard page. Public because the page holds no data; every
 * call it makes to `/v1/admin/dashboard` carries the operator's key, which the page asks for.
 * Built when the app starts (a build failure stops the start); the same strict CSP as the
 * reviewer page: its own inline script and style by hash, requests to this origin only.
 */
@Public()
@Controller()
export class DashboardPageController implements OnModuleInit {
  private built: InlinePage | undefined;

  async onModuleInit(): Promise<void> {
    this.built = await dashboardPage();
  }

  @Get('dashboard')
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('x-content-type-options', 'nosniff')
  @Header('referrer-policy', 'no-referrer')
  @Header('x-frame-options', 'DENY')
  @Header('cache-control', 'no-store')
  page(@Res({ passthrough: true }) res: Response): string {
    if (!this.built) throw new Error('The dashboard page was not built at start.');
    res.setHeader('content-security-policy', this.built.csp);
    return this.built.html;
  }
}
