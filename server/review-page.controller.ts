import { createHash } from 'node:crypto';
import { Controller, Get, Header } from '@nestjs/common';
import { Public } from './auth.guard';
import { REVIEW_PAGE_SCRIPT, REVIEW_PAGE_STYLE, renderReviewPage } from './review-page';

const sha256 = (text: string): string =>
  `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/**
 * Only the page's own inline script and style run (allowed by hash, computed once here), it may
 * talk to this origin only, load nothing else, submit no form, and not be framed.
 */
export const REVIEW_PAGE_CSP = [
  "default-src 'none'",
  `script-src ${sha256(REVIEW_PAGE_SCRIPT)}`,
  `style-src ${sha256(REVIEW_PAGE_STYLE)}`,
  "connect-src 'self'",
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE = renderReviewPage();

/**
 * `GET /review`: the reviewer's web page. Public because the page holds no data; every call it
 * makes to `/v1/reviews` carries the reviewer's key, which the page asks for.
 */
@Public()
@Controller()
export class ReviewPageController {
  @Get('review')
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('content-security-policy', REVIEW_PAGE_CSP)
  @Header('x-content-type-options', 'nosniff')
  @Header('referrer-policy', 'no-referrer')
  @Header('x-frame-options', 'DENY')
  @Header('cache-control', 'no-store')
  page(): string {
    return PAGE;
  }
}
