import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { generatePayloadKey } from '../../shared/platform/payload-codec';
import { startDevServer, type DevServer } from '../../temporal/dev-server';
import { freePort } from '../support/free-port';
import { ROOT } from '../support/processes';
import { startStack, type Stack } from '../support/stack';

/**
 * The Temporal Web UI in real Chromium, on a dev server started with `--ui-codec-endpoint` at the
 * real API's `/codec` (as `npm start` does): without signing in, a job's input shows as
 * ciphertext; signed in with the operator's key at `GET /codec` (and the UI's “include
 * credentials” setting on), the plain input; with a tenant admin's key, still nothing of another
 * tenant's job.
 */
const ARTIFACTS = path.join(ROOT, 'test/artifacts');
const MARKER = 'Quokka-5150 charged twice';

let server: DevServer;
let stack: Stack;
let browser: Browser;
let ui: string;
let codecEndpoint: string;
let jobPath: string;
let acmeAdmin: string;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const apiPort = await freePort();
  const uiPort = await freePort();
  ui = `http://127.0.0.1:${uiPort}`;
  codecEndpoint = `http://127.0.0.1:${apiPort}/codec`;
  server = await startDevServer({
    cliPath: inject('temporalCliPath'),
    port: await freePort(),
    uiPort,
    uiCodecEndpoint: codecEndpoint,
  });
  stack = await startStack({
    TEMPORAL_ADDRESS: server.address,
    PORT: String(apiPort),
    KEEL_PAYLOAD_KEYS: generatePayloadKey(),
    KEEL_CODEC_CORS_ORIGINS: ui,
  });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const res = await stack.call('/v1/tasks/classify-ticket', {
    method: 'POST',
    body: JSON.stringify({ input: { subject: 'Refund', body: MARKER } }),
  });
  expect(res.status).toBe(200);
  const { jobId } = (await res.json()) as { jobId: string };
  const connection = await Connection.connect({ address: server.address });
  // Raw: a client without the codec cannot even describe the job (its memo is encrypted).
  const desc = await connection.workflowService.describeWorkflowExecution({
    namespace: 'default',
    execution: { workflowId: jobId },
  });
  await connection.close();
  const runId = desc.workflowExecutionInfo?.execution?.runId ?? '';
  jobPath = `/namespaces/default/workflows/${jobId}/${runId}/history`;
  await stack.call('/v1/admin/tenants', {
    method: 'POST',
    body: JSON.stringify({ id: 'acme', plan: 'unlimited' }),
  });
  const key = await stack.call('/v1/admin/tenants/acme/keys', {
    method: 'POST',
    body: JSON.stringify({ name: 'admin', roles: ['admin'] }),
  });
  acmeAdmin = ((await key.json()) as { key: string }).key;
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await server?.stop();
});

/** A fresh browser profile, signed in at `GET /codec` with `key` (if any), UI set to send it. */
async function openJob(
  key: string | undefined,
  shot: string,
): Promise<{ page: Page; codec: number[] }> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  if (key) {
    await page.goto(codecEndpoint);
    await page.fill('#api-key', key);
    await page.click('#submit');
    await page.getByText('Signed in').waitFor();
  }
  // The Web UI's Data Encoder settings, as an operator sets them once: this endpoint, with
  // cross-origin credentials (the codec cookie) included.
  await context.addInitScript({
    content: `if (location.origin === ${JSON.stringify(ui)}) {
      localStorage.setItem('endpoint', ${JSON.stringify(JSON.stringify(codecEndpoint))});
      localStorage.setItem('includeCredentials', 'true');
      localStorage.setItem('overrideRemoteCodecConfiguration', 'true');
    }`,
  });
  const codec: number[] = [];
  page.on('response', (r) => {
    if (r.url().startsWith(`${codecEndpoint}/decode`)) codec.push(r.status());
  });
  await page.goto(`${ui}${jobPath}`);
  await expect.poll(() => codec.length, { timeout: 45_000 }).toBeGreaterThan(0);
  await page.waitForTimeout(1_000); // the UI renders what the codec answered
  await page.screenshot({ path: path.join(ARTIFACTS, shot), fullPage: true });
  return { page, codec };
}

const pageText = async (page: Page): Promise<string> =>
  (await page.content()) + (await page.innerText('body'));

describe('Temporal Web UI through the codec server', () => {
  it('without a key: ciphertext, the codec server refuses (401)', async () => {
    const { page, codec } = await openJob(undefined, 'codec-ui-no-key.png');
    expect(new Set(codec)).toEqual(new Set([401]));
    const text = await pageText(page);
    expect(text).not.toContain('Quokka');
    expect(text).toContain('Codec Server could not connect'); // and the ciphertext, base64
  });

  it('signed in with the operator key: the plain input', async () => {
    const { page, codec } = await openJob(stack.apiKey, 'codec-ui-operator.png');
    expect(codec).toContain(200);
    await page.getByText('Quokka-5150', { exact: false }).first().waitFor();
    expect(await pageText(page)).toContain(MARKER);
  });

  it('signed in with another tenant’s admin key: refused (403), still ciphertext', async () => {
    const { page, codec } = await openJob(acmeAdmin, 'codec-ui-tenant-admin.png');
    // Refused for the job's encrypted payloads (the UI names no job; a tenant admin must). Calls
    // carrying no encrypted payload pass through unchanged (200).
    expect(codec).toContain(403);
    expect(await pageText(page)).not.toContain('Quokka');
  });
});
