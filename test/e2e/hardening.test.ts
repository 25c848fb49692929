import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedStack, type EmbeddedStack } from '../support/stack';

/**
 * The API's own defences, against the default deployment: security headers on every HTML page
 * it serves (and Swagger UI still working under its policy, in real Chromium), and failed
 * authentications limited per client address. The limit is set low here; the last test leaves
 * 127.0.0.1 blocked, so it runs last.
 */
let stack: EmbeddedStack;
let browser: Browser;
const LIMIT = 4;

beforeAll(async () => {
  stack = await startEmbeddedStack({ KEEL_AUTH_FAILURES_PER_MINUTE: String(LIMIT) });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('HTML pages', () => {
  it.each(['/docs', '/review', '/codec'])(
    '%s carries a CSP, nosniff, no framing, no referrer',
    async (page) => {
      const res = await fetch(`${stack.baseUrl}${page}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/html');
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toMatch(/script-src[^;]*'unsafe-(inline|eval)'/);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    },
  );

  it('Swagger UI renders the API under its policy, with no violation', async () => {
    const context = await browser.newContext();
    const tab = await context.newPage();
    const problems: string[] = [];
    tab.on('pageerror', (e) => problems.push(e.message));
    tab.on('console', (m) => {
      // Failed loads are judged by their responses below (the browser asks for /favicon.ico).
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource'))
        problems.push(m.text());
    });
    tab.on('response', (r) => {
      if (r.status() >= 400 && !r.url().endsWith('/favicon.ico'))
        problems.push(`${r.status()} ${r.url()}`);
    });
    await tab.goto(`${stack.baseUrl}/docs`);
    await tab.locator('.swagger-ui .info .title').waitFor({ timeout: 30_000 });
    expect(await tab.locator('.swagger-ui .info .title').innerText()).toContain('Keel');
    expect(await tab.locator('.opblock-summary-path').count()).toBeGreaterThan(20);
    expect(problems, problems.join('\n')).toEqual([]);
    await context.close();
  });
});

describe('failed authentications per client address', () => {
  it(`refuses every keyed request from an address after ${LIMIT} failures in a minute, a valid key too`, async () => {
    const attempt = (key: string) =>
      stack.call('/v1/providers', { headers: { authorization: `Bearer ${key}` }, auth: false });
    expect((await stack.call('/v1/providers')).status).toBe(200);
    for (let i = 0; i < LIMIT; i++) {
      const res = await attempt(`keel_live_guess${i}`);
      expect(res.status).toBe(401);
    }
    const blocked = await attempt('keel_live_guess-more');
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(blocked.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    const body = (await blocked.json()) as { type: string; status: number };
    expect(body).toMatchObject({ status: 429 });
    expect(body.type).toContain('too-many-auth-failures');
    // The right key from the same address is refused too: guessing learns nothing.
    expect((await stack.call('/v1/providers')).status).toBe(429);
    // Routes without a key are not affected.
    expect((await fetch(`${stack.baseUrl}/healthz`)).status).toBe(200);
  });
});
