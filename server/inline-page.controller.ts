import { Controller, Get, Header, Res, type OnModuleInit, type Type } from '@nestjs/common';
import type { Response } from 'express';
import { Public } from './auth.guard';
import type { InlinePage } from './inline-page';

/**
 * A controller serving one inline page (server/inline-page.ts) at `GET /<route>`. Public because
 * the page holds no data; every call it makes carries the key the page asks for.
 *
 * The page is built when the app starts (a build failure stops the start). Its CSP: only the
 * page's own inline script and style run (allowed by hash), it may talk to this origin only,
 * load nothing else, submit no form, and not be framed.
 */
export function InlinePageController(
  route: string,
  what: string,
  load: () => Promise<InlinePage>,
): Type<OnModuleInit> {
  @Public()
  @Controller()
  class PageController implements OnModuleInit {
    private built: InlinePage | undefined;

    async onModuleInit(): Promise<void> {
      this.built = await load();
    }

    @Get(route)
    @Header('content-type', 'text/html; charset=utf-8')
    @Header('x-content-type-options', 'nosniff')
    @Header('referrer-policy', 'no-referrer')
    @Header('x-frame-options', 'DENY')
    @Header('cache-control', 'no-store')
    page(@Res({ passthrough: true }) res: Response): string {
      if (!this.built) throw new Error(`The ${what} page was not built at start.`);
      res.setHeader('content-security-policy', this.built.csp);
      return this.built.html;
    }
  }
  return PageController;
}
