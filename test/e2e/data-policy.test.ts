import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockUpstream, type MockUpstream } from '../mock-upstream';
import {
  startEmbeddedStack,
  upstreamEnv,
  MOCK_UPSTREAM_CONFIG,
  type EmbeddedStack,
} from '../support/stack';
import { tenantApi } from '../support/tenant-api';

/**
 * Policy routing by data class and region through the real workflow (docs/governance.md): two
 * models of the mock upstream, one in the US with no promises (over OpenAI's API), one in the EU
 * with `hipaa` (over Anthropic's). What each tenant's requests may reach is shown from the
 * upstream's own attempt log, not from Keel's word.
 */
let mock: MockUpstream;
let stack: EmbeddedStack;
let dir = '';

const ROUTE = ['openai:us-plain', 'anthropic:eu-hipaa'];

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'keel-data-policy-'));
  const base = JSON.parse(readFileSync(MOCK_UPSTREAM_CONFIG, 'utf8')) as {
    models: unknown[];
  };
  const price = { input: 2, output: 8 };
  const config = {
    ...base,
    models: [
      ...base.models,
      { provider: 'openai', name: 'us-plain', id: 'ok', price, governance: { regions: ['us'] } },
      {
        provider: 'anthropic',
        name: 'eu-hipaa',
        id: 'ok',
        price,
        governance: { regions: ['eu'], attributes: ['hipaa', 'zero-data-retention'] },
      },
    ],
    policies: {
      tenants: {
        clinic: { data: { class: 'phi', residency: 'eu' } },
        'shop-eu': { data: { residency: 'eu' } },
        // Declares nothing sensitive: only what screening finds raises the class.
        helpdesk: { data: { class: 'internal' } },
        // E-mail addresses go to the model in clear (flagged, not redacted): the request is pii.
        'shop-eu-clear': {
          data: { residency: 'eu' },
          moderation: { input: { pii: 'flag' } },
        },
      },
    },
  };
  const file = path.join(dir, 'keel.json');
  writeFileSync(file, JSON.stringify(config));
  mock = await startMockUpstream({ port: 0 });
  stack = await startEmbeddedStack(upstreamEnv(mock.url, file));
});
afterAll(async () => {
  await stack?.stop();
  await mock?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const { call, tenant } = tenantApi(() => stack);
const keys: Record<string, string> = {};
const ticket = { subject: 'Refund', body: 'Charged twice; reach me at kim.ode@example.net' };

async function run(tenantId: string, route = ROUTE, input: object = ticket) {
  keys[tenantId] ??= await tenant(tenantId, 'pro', { roles: ['caller', 'admin'] });
  mock.clearAttempts();
  const res = await call(
    'POST',
    '/v1/tasks/classify-ticket',
    { input, options: { route } },
    keys[tenantId],
  );
  return { ...res, apis: mock.attempts().map((a) => a.api) };
}

/** Refused before any call: 403 `policy-denied` naming the phi rule; the upstream saw nothing. */
function expectPhiDenied(denied: { status: number; body: any; apis: string[] }): void {
  expect(denied.status).toBe(403);
  expect(denied.body).toMatchObject({
    status: 403,
    rule: 'phi data needs a model with hipaa',
    dataClass: 'phi',
  });
  expect(denied.body.type).toContain('policy-denied');
  expect(denied.apis).toEqual([]);
}

describe('routing by data class and region', () => {
  it('PHI reaches only the model with hipaa in its region; the other is skipped with its rule', async () => {
    const res = await run('clinic');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.apis).toEqual(['anthropic']);
    expect(res.body.meta).toMatchObject({
      provider: 'anthropic',
      // The vendor's model id (the registry maps eu-hipaa to the mock's `ok`).
      model: 'ok',
      path: 'fallback',
      policy: {
        dataClass: 'phi',
        declared: 'phi',
        residency: 'eu',
        skipped: [{ candidate: 'openai:us-plain', rule: 'phi data needs a model with hipaa' }],
      },
    });
    expect(res.body.meta.reasons).toContain(
      'openai:us-plain policy: phi data needs a model with hipaa',
    );
  });

  it('refuses with 403 policy-denied before any call when no candidate may see the data', async () => {
    const res = await run('clinic', ['openai:us-plain']);
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({
      status: 403,
      rule: 'phi data needs a model with hipaa',
      dataClass: 'phi',
    });
    expect(res.body.type).toContain('policy-denied');
    expect(res.apis).toEqual([]);
    // The refusal is in the tenant's audit trail.
    const audit = await call('GET', `/v1/audit?jobId=${res.body.jobId}`, undefined, keys.clinic);
    expect(audit.body.items[0]).toMatchObject({
      action: 'job.failed',
      detail: { problem: 'policy-denied' },
    });
  });

  it('personal data raises the class only when a model would see it in clear', async () => {
    // Redacted by default: the US model only sees a placeholder, so it may answer.
    const redacted = await run('shop-eu');
    expect(redacted.status).toBe(200);
    expect(redacted.apis).toEqual(['openai']);
    expect(redacted.body.meta.policy).toMatchObject({ dataClass: 'internal', detected: [] });

    // Flagged, so sent in clear: pii, which stays in the EU.
    const clear = await run('shop-eu-clear');
    expect(clear.status).toBe(200);
    expect(clear.apis).toEqual(['anthropic']);
    expect(clear.body.meta.policy).toMatchObject({
      dataClass: 'pii',
      detected: ['email'],
      skipped: [{ candidate: 'openai:us-plain', rule: 'pii data stays in eu; the model is in us' }],
    });
    const audit = await call(
      'GET',
      `/v1/audit?jobId=${clear.body.jobId}`,
      undefined,
      keys['shop-eu-clear'],
    );
    expect(audit.body.items[0].detail.policy).toMatchObject({
      dataClass: 'pii',
      detected: ['email'],
    });
  });

  it('a medical record number found by screening makes the request phi: only hipaa models', async () => {
    const mrn = '00482913';
    const medical = {
      subject: 'Billed twice',
      body: `I was billed twice for my visit, MRN ${mrn}. Please refund one.`,
    };
    const res = await run('helpdesk', ROUTE, medical);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    // The upstream's own log: the model without hipaa was never called.
    expect(res.apis).toEqual(['anthropic']);
    expect(res.body.meta).toMatchObject({ provider: 'anthropic', path: 'fallback' });
    expect(res.body.meta.policy).toMatchObject({
      dataClass: 'phi',
      declared: 'internal',
      classes: ['internal', 'phi'],
      detected: ['medical-record'],
      skipped: [{ candidate: 'openai:us-plain', rule: 'phi data needs a model with hipaa' }],
    });
    expect(res.body.meta.moderation.input.pii).toMatchObject({
      found: [{ type: 'medical-record', count: 1 }],
      action: 'redacted',
    });
    // Redacted as well: even the hipaa model got a placeholder, not the number.
    const sent = JSON.stringify(mock.attempts()[0]!.request.messages);
    expect(sent).toContain('[MRN_1]');
    expect(sent).not.toContain(mrn);

    const denied = await run('helpdesk', ['openai:us-plain'], medical);
    expectPhiDenied(denied);

    // The same tenant's ordinary ticket stays internal and may go to the first model.
    const plain = await run('helpdesk', ROUTE, {
      subject: 'Refund',
      body: 'Charged twice for order 00482913, Dr. Martens boots, SKU DM-11822-001.',
    });
    expect(plain.status).toBe(200);
    expect(plain.apis).toEqual(['openai']);
    expect(plain.body.meta.policy).toMatchObject({ dataClass: 'internal', detected: [] });
  });

  it('health told as narrative, without any id or code, makes the request phi too', async () => {
    const narrative = {
      subject: 'Pump app logs out',
      body: 'My son was diagnosed with type 1 diabetes in March and the app of his insulin pump keeps logging him out.',
    };
    const res = await run('helpdesk', ROUTE, narrative);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    // The upstream's own log: only the model with hipaa was called.
    expect(res.apis).toEqual(['anthropic']);
    expect(res.body.meta.policy).toMatchObject({
      dataClass: 'phi',
      declared: 'internal',
      detected: ['health-condition'],
      skipped: [{ candidate: 'openai:us-plain', rule: 'phi data needs a model with hipaa' }],
    });
    // Flagged, not redacted: the task needs the words, so the hipaa model got them.
    expect(res.body.meta.moderation.input.pii).toMatchObject({ action: 'flagged' });
    expect(JSON.stringify(mock.attempts()[0]!.request.messages)).toContain('insulin pump');

    const denied = await run('helpdesk', ['openai:us-plain'], narrative);
    expectPhiDenied(denied);
  });

  it('the OpenAI-compatible endpoint runs the same policy and lands in the same audit trail', async () => {
    keys.clinic ??= await tenant('clinic', 'pro', { roles: ['caller', 'admin'] });
    const chat = (model: string) =>
      call(
        'POST',
        '/v1/chat/completions',
        { model, messages: [{ role: 'user', content: 'Summarise my lab results, please.' }] },
        keys.clinic,
      );
    mock.clearAttempts();
    const denied = await chat('openai:us-plain');
    expect(denied.status).toBe(403);
    // OpenAI's error shape, carrying Keel's problem.
    expect(denied.body.error).toMatchObject({
      type: 'permission_error',
      code: 'policy-denied',
      problem: { rule: 'phi data needs a model with hipaa', dataClass: 'phi' },
    });
    expect(mock.attempts()).toEqual([]);

    const allowed = await chat('anthropic:eu-hipaa');
    expect(allowed.status, JSON.stringify(allowed.body)).toBe(200);
    expect(mock.attempts().map((a) => a.api)).toEqual(['anthropic']);
    const jobId = allowed.headers.get('x-keel-job-id') ?? allowed.body.id.replace(/^chatcmpl-/, '');
    const audit = await call('GET', `/v1/audit?jobId=${jobId}`, undefined, keys.clinic);
    expect(audit.body.items[0]).toMatchObject({
      action: 'job.completed',
      detail: { task: 'chat', policy: { dataClass: 'phi', skipped: [] } },
    });
  });

  it('a tenant without a data policy is routed as before, with no policy in its meta', async () => {
    const res = await run('plain');
    expect(res.status).toBe(200);
    expect(res.apis).toEqual(['openai']);
    expect(res.body.meta.policy).toBeUndefined();
  });
});
