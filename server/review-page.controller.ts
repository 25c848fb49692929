import { Controller, Get, Header, Res, type OnModuleInit } from '@nestjs/common';
import type { Response } from 'express';
import { Public } from './auth.guard';
import { reviewPage, type ReviewPage } from './review-page';

/**
 * `GET /review`: the reviewer's web page. Public because the page holds no data; every call it
 * makes to `/v1/reviews` carries the reviewer's key, which the page asks for.
 *
 * The page is built when the app starts (a build failure stops the start). Its CSP: only the
 * page's own inline script and style run (allowed by hash), it may talk to this origin only,
 * load nothing else, submit no form, and not be framed.
 */
@Public()
@Controller()
export class ReviewPageController implements OnModuleInit {
  private built: ReviewPage | undefined;

  async onModuleInit(): Promise<void> {
    this.built = await reviewPage();
  }

  @Get('review')
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('x-content-type-options', 'nosniff')
  @Header('referrer-policy', 'no-referrer')
  @Header('x-frame-options', 'DENY')
  @Header('cache-control', 'no-store')
  page(@Res({ passthrough: true }) res: Response): string {
    if (!this.built) throw new Error('The reviewer page was not built at start.');
    res.setHeader('content-security-policy', this.built.csp);
    return this.built.html;
  }
}
