import { InlinePageController } from './inline-page.controller';
import { reviewPage } from './review-page';

/**
 * `GET /review`: the reviewer's web page. Public because the page holds no data; every call it
 * makes to `/v1/reviews` carries the reviewer's key, which the page asks for. Built when the app
 * starts, served under the strict hash-based CSP (server/inline-page.controller.ts).
 */
export class ReviewPageController extends InlinePageController('review', 'reviewer', reviewPage) {}
