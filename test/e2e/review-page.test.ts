import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, waitFor } from '../support/processes';
import { startStack, type Stack } from '../support/stack';

/**
 * The reviewer page (`GET /review`) in real Chromium against the real stack: a task sent to
 * review by the caller shows up in the page, an invalid edit is refused inline, a valid edit is
 * accepted and the job completes with the reviewer's audit.
 */

const ARTIFACTS = path.join(ROOT, 'test/artifacts');
const SHOT_INVALID = path.join(ARTIFACTS, 'review-invalid-edit.png');
const SHOT_CONFIRMED = path.join(ARTIFACTS, 'review-confirmation.png');

let stack: Stack;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
    ],
  });
  stack = await startStack();
});
afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await stack?.stop();
});

/** A fresh tab (own sessionStorage) that records script errors and CSP violations. */
async function openReviewPage(): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (/content security policy/i.test(m.text())) problems.push(`CSP: ${m.text()}`);
  });
  const res = await page.goto(`${stack.baseUrl}/review`);
  expect(res?.status()).toBe(200);
  return { page, problems };
}

async function signIn(page: Page): Promise<void> {
  await page.fill('#api-key', stack.apiKey);
  await page.click('#sign-in');
}

/** Starts a classify-ticket task the caller sends to review; waits until the queue lists it. */
async function requestReview(body: string): Promise<string> {
  const res = await stack.call('/v1/tasks/classify-ticket', {
    method: 'POST',
    body: JSON.stringify({ input: { subject: 'Refund', body }, options: { review: 'always' } }),
  });
  const created = (await res.json()) as any;
  expect(res.status, JSON.stringify(created)).toBe(202);
  expect(created.status).toBe('awaiting_review');
  const jobId = created.jobId as string;
  await waitFor(
    'the review listed',
    async () => {
      const list = (await (await stack.call('/v1/reviews?task=classify-ticket')).json()) as any;
      return list.items.some((i: any) => i.jobId === jobId);
    },
    { timeoutMs: 20_000 },
  );
  return jobId;
}

async function completedJob(jobId: string): Promise<any> {
  let job: any;
  await waitFor(
    'the job completed',
    async () => {
      job = await (await stack.call(`/v1/jobs/${jobId}`)).json();
      return job.status === 'completed';
    },
    { timeoutMs: 30_000 },
  );
  return job;
}

const item = (jobId: string): string => `[data-testid=review-item][data-job-id="${jobId}"]`;
/** Evaluated in the page (as source text: this project compiles without the DOM types). */
const inPage = <T>(page: Page, expression: string): Promise<T> => page.evaluate<T>(expression);
/** The focused element's id, else its job id (list items), else its tag name. */
const focusedId = (page: Page): Promise<string> =>
  inPage(
    page,
    "(a => (a && (a.id || a.getAttribute('data-job-id') || a.tagName)) || '')(document.activeElement)",
  );

/** Presses Tab until `want` has focus; returns how many presses it took (throws past `max`). */
async function tabTo(page: Page, want: string, max: number): Promise<number> {
  for (let presses = 1; presses <= max; presses++) {
    await page.keyboard.press('Tab');
    if ((await focusedId(page)) === want) return presses;
  }
  throw new Error(`${want} not reached with ${max} presses of Tab`);
}

describe('GET /review', () => {
  it('updates live: a review requested or decided elsewhere appears and leaves without Refresh', async () => {
    const { page, problems } = await openReviewPage();
    const listCalls: string[] = [];
    page.on('request', (r) => {
      if (new URL(r.url()).pathname === '/v1/reviews') listCalls.push(r.url());
    });
    await signIn(page);
    await page.waitForSelector('[data-testid=live-status][data-state=live]');
    const before = listCalls.length;

    // Requested through the API, not the page: the page's stream hears it.
    const res = await stack.call('/v1/tasks/classify-ticket', {
      method: 'POST',
      body: JSON.stringify({
        input: { subject: 'Refund', body: 'A live update, please' },
        options: { review: 'always' },
      }),
    });
    const { jobId } = (await res.json()) as { jobId: string };
    await page.waitForSelector(item(jobId));
    // One reload of the list per change, not a timer.
    expect(listCalls.length).toBeGreaterThan(before);

    // Decided elsewhere (another reviewer, through the API): it leaves the page's list.
    const decided = await stack.call(`/v1/reviews/${jobId}`, {
      method: 'POST',
      body: JSON.stringify({ decision: 'approve' }),
    });
    expect(decided.status).toBe(200);
    await page.waitForSelector(item(jobId), { state: 'detached' });
    expect(problems).toEqual([]);
  });

  it('serves the page without a key, with a strict CSP that allows only its own inline code', async () => {
    const res = await stack.call('/review', { auth: false });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/]+={0,2}'/);
    expect(csp).toMatch(/style-src 'sha256-[A-Za-z0-9+/]+={0,2}'/);
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    const html = await res.text();
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+stylesheet/);
    expect(html).not.toContain(stack.apiKey);
  });

  it('sends a refused key back to the key prompt with a message', async () => {
    const { page, problems } = await openReviewPage();
    await page.fill('#api-key', 'not-the-key');
    await page.click('#sign-in');
    await expect
      .poll(() => page.textContent('#signin-message'), { timeout: 10_000 })
      .toMatch(/refused/i);
    expect(await page.isVisible('#api-key')).toBe(true);
    expect(await page.isVisible('#app-view')).toBe(false);
    expect(await inPage(page, 'sessionStorage.length')).toBe(0);
    expect(problems).toEqual([]);
  });

  it(
    'lists the item, refuses an invalid edit inline, accepts a valid one and completes the job',
    {
      timeout: 120_000,
    },
    async () => {
      const jobId = await requestReview('I was charged twice');
      const { page, problems } = await openReviewPage();
      await signIn(page);
      await page.waitForSelector(item(jobId));
      const listed = (await page.textContent(item(jobId))) ?? '';
      expect(listed).toContain('classify-ticket');
      expect(listed).toContain('requested by the caller');
      expect(listed).toMatch(/waiting \d+ (s|min)/);
      expect(listed).toMatch(/due in \d+ h/);

      await page.click(item(jobId));
      const confidence = page.locator('[data-field=confidence]');
      await confidence.waitFor();
      expect(await page.textContent('#detail-input')).toContain('charged twice');
      expect(await page.getAttribute('[data-field=confidence]', 'type')).toBe('number');

      // Out of the schema's 0..1: refused inline; the task keeps waiting.
      await confidence.fill('7');
      await page.click('#save-edit');
      const error = page.locator('[data-error-for=confidence]');
      await error.waitFor({ state: 'visible' });
      expect(await error.textContent()).toMatch(/\b1\b/);
      expect(await confidence.getAttribute('aria-invalid')).toBe('true');
      expect(await confidence.getAttribute('aria-describedby')).toBe(
        await error.getAttribute('id'),
      );
      expect(await inPage(page, "document.activeElement?.getAttribute('data-field')")).toBe(
        'confidence',
      );
      await page.screenshot({ path: SHOT_INVALID, fullPage: true });
      expect(((await (await stack.call(`/v1/jobs/${jobId}`)).json()) as any).status).toBe(
        'awaiting_review',
      );

      await confidence.fill('0.6');
      await page.fill('#comment', 'Lowered: the ticket does not say which charge.');
      await page.click('#save-edit');
      const result = page.locator('#result');
      await result.waitFor({ state: 'visible' });
      const confirmation = (await result.textContent()) ?? '';
      expect(confirmation).toContain('demo');
      expect(confirmation).toContain('confidence');
      expect(confirmation).toContain('0.6');
      expect(await confidence.getAttribute('aria-invalid')).toBeNull();
      expect(await error.isVisible()).toBe(false);
      await page.screenshot({ path: SHOT_CONFIRMED, fullPage: true });
      await page.locator(item(jobId)).waitFor({ state: 'detached' });

      const job = await completedJob(jobId);
      expect(job.meta.path).toBe('review');
      expect(job.meta.review).toMatchObject({
        reviewer: 'demo',
        decision: 'edit',
        comment: 'Lowered: the ticket does not say which charge.',
      });
      expect(job.meta.review.changes).toEqual(
        expect.arrayContaining([expect.objectContaining({ path: 'confidence', after: 0.6 })]),
      );
      expect(job.output.confidence).toBe(0.6);

      for (const shot of [SHOT_INVALID, SHOT_CONFIRMED])
        expect(statSync(shot).size).toBeGreaterThan(0);
      expect(problems).toEqual([]);
    },
  );

  it('can be used with the keyboard only', { timeout: 120_000 }, async () => {
    const jobId = await requestReview('My card was charged two times this month');
    const { page, problems } = await openReviewPage();
    expect(await focusedId(page)).toBe('api-key');
    await page.keyboard.type(stack.apiKey);
    await page.keyboard.press('Enter');
    await page.waitForSelector(item(jobId));
    expect(await page.textContent('#shortcuts')).toMatch(/Alt.*A.*approve/);

    // From the top of the document, Tab reaches the item; Enter opens it.
    await inPage(page, 'document.activeElement?.blur()');
    expect(await tabTo(page, jobId, 25)).toBeGreaterThan(0);
    await page.keyboard.press('Enter');
    await page.locator('[data-field=confidence]').waitFor();
    expect(await focusedId(page)).toBe('detail-title');
    // Every field, the comment and the decision buttons are in the Tab order.
    await tabTo(page, 'comment', 15);
    await tabTo(page, 'approve', 3);
    await tabTo(page, 'reject', 1);
    await tabTo(page, 'save-edit', 1);

    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Shift+Tab');
    expect(await focusedId(page)).toBe('approve');
    await page.keyboard.press('Enter');
    await page.locator('#result').waitFor({ state: 'visible' });
    expect(await page.textContent('#result')).toMatch(/Approved by demo/);
    expect(await focusedId(page)).toBe('result');

    const job = await completedJob(jobId);
    expect(job.meta.path).toBe('review');
    expect(job.meta.review).toMatchObject({ reviewer: 'demo', decision: 'approve', changes: [] });
    expect(problems).toEqual([]);
  });
});
