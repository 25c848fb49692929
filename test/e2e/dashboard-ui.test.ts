import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockUpstream, type MockUpstream } from '../mock-upstream';
import { ROOT, waitFor } from '../support/processes';
import { startEmbeddedStack, startStack, upstreamEnv, type EmbeddedStack } from '../support/stack';
import { tenantApi } from '../support/tenant-api';

/**
 * The operator dashboard (`GET /dashboard`) in real Chromium against the stack as `npm start`
 * runs it (one API process with its worker inside, so one metrics registry), with classify-ticket
 * traffic through the mock upstream: a good model, one whose answers break a business rule and
 * one that answers 503. An operator sees the charts drawn, the counts and latency, a validation
 * row for the rule layer and a breaker row for the failing model, and the numbers move when more
 * traffic arrives without reloading; a tenant admin's key is refused with a clear message.
 */

const ARTIFACTS = path.join(ROOT, 'test/artifacts');
const SHOT = path.join(ARTIFACTS, 'dashboard.png');

let mock: MockUpstream;
let stack: EmbeddedStack;
let browser: Browser;
const contexts: BrowserContext[] = [];
const api = tenantApi(() => stack);

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
  mock = await startMockUpstream({ port: 0 });
  stack = await startEmbeddedStack(upstreamEnv(mock.url));
});
afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await stack?.stop();
  await mock?.close();
});

/** A fresh tab (own sessionStorage) that records script errors and CSP violations. */
async function openDashboard(on = stack): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (/content security policy/i.test(m.text())) problems.push(`CSP: ${m.text()}`);
  });
  const res = await page.goto(`${on.baseUrl}/dashboard`);
  expect(res?.status()).toBe(200);
  expect(res?.headers()['content-security-policy']).toMatch(/script-src 'sha256-/);
  return { page, problems };
}

async function signIn(page: Page, key: string): Promise<void> {
  await page.fill('#api-key', key);
  await page.click('#sign-in');
}

/** classify-ticket through one mock model (as the demo tenant, or `key`'s); the answer's status. */
async function classify(model: string, n: number, key?: string): Promise<number> {
  const res = await api.call(
    'POST',
    '/v1/tasks/classify-ticket',
    {
      input: { subject: 'Refund', body: `I was charged twice, order ${n} (${model})` },
      options: { route: [`openai:${model}`] },
    },
    key,
  );
  return res.status;
}

const text = async (page: Page, testId: string): Promise<string> =>
  (await page.textContent(`[data-testid=${testId}]`)) ?? '';
const requestCount = async (page: Page): Promise<number> =>
  Number((await text(page, 'stat-requests')).replace(/\D/g, '') || '0');

describe('GET /dashboard', () => {
  it('refuses a tenant admin’s key with a message saying only an operator may read it', async () => {
    const key = await api.tenant('dash-tenant-co', 'pro', { roles: ['caller', 'admin'] });
    const direct = await api.call('GET', '/v1/admin/dashboard', undefined, key);
    expect(direct.status).toBe(403);
    expect(direct.headers.get('content-type')).toContain('application/problem+json');

    const { page, problems } = await openDashboard();
    await signIn(page, key);
    const message = page.locator('#signin-message');
    await message.waitFor({ state: 'visible' });
    expect(await message.textContent()).toMatch(/not a platform operator/);
    expect(await page.isHidden('#app-view')).toBe(true);
    expect(problems).toEqual([]);
  });

  it('shows an operator the traffic, its failures and breakers, and follows new traffic live', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push(await classify('ok', i));
    statuses.push(await classify('rule-violation', 1));
    statuses.push(await classify('503', 1));
    statuses.push(await classify('503', 2));
    // A tenant whose every answer is evaluated after it is given (docs/evaluation.md).
    const evaluated = await api.tenant('dash-eval-co', 'pro', {
      extra: { overrides: { evaluation: { sampleRate: 1, route: ['openai:ok'] } } },
    });
    statuses.push(await classify('unfaithful', 1, evaluated));
    expect(statuses.every((s) => s === 200)).toBe(true); // the failures degrade, as documented

    const { page, problems } = await openDashboard();
    const polls: string[] = [];
    page.on('request', (r) => {
      if (new URL(r.url()).pathname === '/v1/admin/dashboard') polls.push(r.url());
    });
    await signIn(page, stack.apiKey);
    await page.waitForSelector('[data-testid=live-status][data-state=live]');

    // Both charts are drawn by uPlot on a canvas.
    await page.waitForSelector('[data-testid=chart-throughput] canvas');
    await page.waitForSelector('[data-testid=chart-latency] canvas');
    expect(await requestCount(page)).toBeGreaterThanOrEqual(7);
    expect(await text(page, 'stat-latency')).toMatch(/\d+(\.\d+)? m?s \/ /);
    expect(await text(page, 'stat-throughput')).toMatch(/req\/s/);
    expect(await text(page, 'scope')).toMatch(/worker inside it/);
    // The rule-violation model's answers failed the rules layer.
    await page.waitForSelector(
      '[data-testid=table-validation] tr[data-task=classify-ticket][data-layer=rules]',
    );
    // The 503 model's breaker: listed with its failures (the window's error rate is 100 %).
    const breaker = page.locator('[data-testid=table-breakers] tr[data-model="openai:503"]');
    await breaker.waitFor();
    expect(await breaker.textContent()).toContain('100 %');
    await page.waitForSelector('[data-testid=table-calls] tr[data-model="openai:503"]');
    await page.waitForSelector('[data-testid=table-latency] tr[data-task=classify-ticket]');
    // Drift and experiments come from routes other parts of Keel serve: absent, or listed.
    await page.waitForSelector('[data-testid=panel-drift] :is(p, table)');
    expect(await text(page, 'panel-experiments')).toMatch(/experiments|Experiments/);
    // The evaluated tenant's unfaithful answer: a hallucination rate of 100 % with its interval.
    const evaluation = page.locator(
      '[data-testid=panel-evaluations] tr[data-task=classify-ticket][data-model="openai:unfaithful"]',
    );
    await evaluation.waitFor({ timeout: 40_000 });
    expect(await evaluation.textContent()).toMatch(/100 % \(\d+(\.\d)? %–100 %\)/);

    // More traffic, sent through the API, not the page: the figures move without a reload.
    const before = await requestCount(page);
    const pollsBefore = polls.length;
    for (let i = 10; i < 13; i++) expect(await classify('ok', i)).toBe(200);
    await waitFor(
      'the dashboard counted the new requests',
      async () => (await requestCount(page)) >= before + 3,
      { timeoutMs: 20_000 },
    );
    expect(polls.length).toBeGreaterThan(pollsBefore);
    await page.screenshot({ path: SHOT, fullPage: true });
    expect(problems).toEqual([]);
  });
});

describe('GET /dashboard with the worker in its own process', () => {
  it('sums the worker process’s model calls and validation with this API’s requests, and shows the breakers', async () => {
    const separate = await startStack(upstreamEnv(mock.url));
    try {
      const res = await separate.call('/v1/tasks/classify-ticket', {
        method: 'POST',
        body: JSON.stringify({
          input: { subject: 'Refund', body: 'Charged twice (separate worker)' },
          options: { route: ['openai:rule-violation'] },
        }),
      });
      expect(res.status).toBe(200);
      const { page, problems } = await openDashboard(separate);
      await signIn(page, separate.apiKey);
      await page.waitForSelector('[data-testid=live-status][data-state=live]');
      expect(await requestCount(page)).toBe(1);
      // The worker process validated and called the model; its row in the tenant store
      // (KEEL_METRICS_SHARE_MS) brings both to this API's dashboard.
      await page.waitForSelector(
        '[data-testid=table-validation] tr[data-task=classify-ticket][data-layer=rules]',
      );
      await page.waitForSelector(
        '[data-testid=table-calls] tr[data-model="openai:rule-violation"]',
      );
      await waitFor(
        'the scope names both processes',
        async () => /2 processes summed \(1 API, 1 with a worker\)/.test(await text(page, 'scope')),
        { timeoutMs: 20_000 },
      );
      // Breakers live in Temporal, shared by every process.
      await page.waitForSelector(
        '[data-testid=table-breakers] tr[data-model="openai:rule-violation"]',
      );
      expect(problems).toEqual([]);
    } finally {
      await separate.stop();
    }
  });
});
