import { spawnSync } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePayloadKey } from '../../shared/platform/payload-codec';
import { TASKS } from '../../shared/tasks';
import { startMockUpstream, type MockUpstream } from '../mock-upstream';
import { auditVerify } from '../support/audit-verify';
import { ROOT } from '../support/processes';
import { startEmbeddedStack, upstreamEnv, type EmbeddedStack } from '../support/stack';
import { tenantApi } from '../support/tenant-api';

/**
 * The audit trail through the API of the default deployment (payloads encrypted, so the chain is
 * keyed): admin changes, a job's end, a refusal at the door and decoded payloads are recorded
 * with no input text; a tenant admin reads only its own chain; an edit made in the database
 * itself is found by `GET /v1/audit/verify`, `keel audit verify` and `npm run audit:verify`.
 */
let mock: MockUpstream;
let stack: EmbeddedStack;
const payloadKeys = generatePayloadKey();

beforeAll(async () => {
  mock = await startMockUpstream({ port: 0 });
  stack = await startEmbeddedStack({ ...upstreamEnv(mock.url), KEEL_PAYLOAD_KEYS: payloadKeys });
});
afterAll(async () => {
  await stack?.stop();
  await mock?.close();
});

type Json = any;
const { call, tenant } = tenantApi(() => stack);
const SECRET_TEXT = 'Jane Roe at 22 Baker Street was charged twice';

const records = async (key?: string, query = ''): Promise<Json[]> => {
  const res = await call('GET', `/v1/audit${query}`, undefined, key);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.items as Json[];
};

describe('the audit trail', () => {
  let admin = '';
  let jobId = '';

  it('records admin changes, a job’s verdicts and a refusal, newest first, without any input', async () => {
    admin = await tenant('acme', 'free', { roles: ['caller', 'admin'] });
    const made = await call(
      'POST',
      '/v1/admin/tenants/acme/keys',
      { name: 'backend', roles: ['caller'] },
      admin,
    );
    expect(made.status).toBe(201);
    const run = await call(
      'POST',
      '/v1/tasks/classify-ticket',
      { input: { subject: 'Refund', body: SECRET_TEXT } },
      made.body.key,
    );
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    jobId = run.body.jobId;
    // `answer` is not in the free plan: refused at the door, and audited.
    const refused = await call(
      'POST',
      '/v1/tasks/answer',
      { input: TASKS.answer!.example },
      made.body.key,
    );
    expect(refused.status).toBe(403);
    expect(
      (await call('DELETE', `/v1/admin/tenants/acme/keys/${made.body.id}`, undefined, admin))
        .status,
    ).toBe(200);

    const items = await records(admin);
    expect(items.map((r) => r.action)).toEqual([
      'key.revoked',
      'request.refused',
      'job.completed',
      'key.created',
      'key.created',
      'tenant.created',
    ]);
    expect(items.map((r) => r.seq)).toEqual([6, 5, 4, 3, 2, 1]);
    const [revoked, refusal, completed] = items;
    expect(revoked).toMatchObject({ tenant: 'acme', detail: { keyId: made.body.id } });
    expect(refusal).toMatchObject({
      actor: `key:${made.body.id}`,
      detail: { task: 'answer', problem: 'task-not-in-plan', plan: 'free' },
    });
    expect(completed).toMatchObject({
      actor: 'system:worker',
      jobId,
      detail: {
        task: 'classify-ticket',
        admittedBy: made.body.id,
        path: 'primary',
        validation: { schema: 'passed' },
        moderation: { input: { pii: { action: expect.any(String) } } },
      },
    });
    // Keyed with the payload key; each record links to the one before.
    for (let i = 0; i < items.length - 1; i++) expect(items[i].prevHash).toBe(items[i + 1].hash);
    expect(items[0].keyId).toBe(payloadKeys.split(':')[0]);
    const all = JSON.stringify(items);
    for (const fragment of ['Jane', 'Roe', 'Baker', 'charged twice', made.body.key])
      expect(all).not.toContain(fragment);

    // Filters and pages.
    expect((await records(admin, `?jobId=${jobId}`)).map((r) => r.action)).toEqual([
      'job.completed',
    ]);
    const page = await call('GET', '/v1/audit?limit=2', undefined, admin);
    expect(page.body.items.map((r: Json) => r.seq)).toEqual([6, 5]);
    expect((await records(admin, `?limit=2&before=${page.body.next}`)).map((r) => r.seq)).toEqual([
      4, 3,
    ]);
  });

  it('keeps tenants apart: an admin reads its own chain only; the operator reads any', async () => {
    const other = await tenant('globex', 'pro', { roles: ['admin'] });
    const denied = await call('GET', '/v1/audit?tenant=acme', undefined, other);
    expect(denied.status).toBe(403);
    expect(denied.body.errors).toEqual([{ field: 'query.tenant', message: 'operator only' }]);
    expect((await records(other)).map((r) => r.tenant)).toEqual(['globex', 'globex']);
    // The operator (the demo key) reads acme's, and the platform's chain of plan changes.
    expect((await records(undefined, '?tenant=acme')).length).toBeGreaterThanOrEqual(6);
    const plan = await call('PUT', '/v1/admin/plans/audited', {
      name: 'Audited',
      limits: {},
      monthlyBudgetUsd: null,
    });
    expect(plan.status, JSON.stringify(plan.body)).toBe(200);
    expect((await records(undefined, '?tenant=_platform&action=plan.updated'))[0]).toMatchObject({
      detail: { plan: 'audited' },
    });
    // A key without the admin role reads nothing.
    const caller = await call(
      'POST',
      '/v1/admin/tenants/globex/keys',
      { name: 'c', roles: ['caller'] },
      other,
    );
    expect((await call('GET', '/v1/audit', undefined, caller.body.key)).status).toBe(403);
  });

  it('records who decoded payloads through the codec server', async () => {
    const encoded = await call('POST', '/codec/encode', {
      payloads: [{ metadata: { encoding: 'anNvbi9wbGFpbg==' }, data: 'eyJhIjoxfQ==' }],
    });
    expect(encoded.status).toBe(200);
    const decoded = await call('POST', '/codec/decode', encoded.body);
    expect(decoded.status).toBe(200);
    const [read] = await records(undefined, '?tenant=_platform&action=payloads.decoded');
    expect(read).toMatchObject({
      actor: expect.stringMatching(/^key:/),
      detail: { payloads: 1, operator: true },
    });
  });

  it.each([
    ['?limit=0', 'query.limit'],
    ['?limit=abc', 'query.limit'],
    ['?before=-1', 'query.before'],
    ['?action=everything', 'query.action'],
    ['?colour=red', 'query.colour'],
  ])('refuses %s with a 400 naming %s', async (query, field) => {
    const res = await call('GET', `/v1/audit${query}`, undefined, admin);
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: Json) => e.field)).toContain(field);
  });

  it('finds an edit made in the database: the API, `keel audit verify` and `npm run audit:verify`', async () => {
    const intact = await call('GET', '/v1/audit/verify', undefined, admin);
    expect(intact.body).toMatchObject({ ok: true, tenants: 1, problems: [] });
    expect(intact.body.records).toBeGreaterThanOrEqual(6);

    // Someone with write access to the database makes a revocation look like it never happened.
    const db = new Database(path.join(stack.env.KEEL_DATA_DIR!, 'keel.db'));
    try {
      db.prepare(
        "update audit_log set action = 'key.created' where tenant_id = 'acme' and action = 'key.revoked'",
      ).run();
    } finally {
      db.close();
    }
    const broken = await call('GET', '/v1/audit/verify', undefined, admin);
    expect(broken.body).toMatchObject({
      ok: false,
      problems: [{ tenant: 'acme', seq: 6, problem: 'its content does not match its hash' }],
    });

    const cli = spawnSync(
      process.execPath,
      [
        path.join(ROOT, 'server/cli/keel.js'),
        'audit',
        'verify',
        '--url',
        stack.baseUrl,
        '--key',
        stack.apiKey,
      ],
      { encoding: 'utf8' },
    );
    expect(cli.status, cli.stderr).toBe(1);
    expect(cli.stdout).toContain('BROKEN acme #6: its content does not match its hash');
    expect(cli.stdout).toContain('TAMPERED');

    const offline = auditVerify(['--tenant', 'acme'], {
      dataDir: stack.env.KEEL_DATA_DIR!,
      payloadKeys,
    });
    expect(offline.status, offline.stderr).toBe(1);
    expect(offline.stdout).toContain('BROKEN acme #6');
    // Without the payload key the keyed chain cannot be checked, and it says so.
    const keyless = auditVerify(['--tenant', 'globex', '--json'], {
      dataDir: stack.env.KEEL_DATA_DIR!,
      payloadKeys: '',
    });
    expect(keyless.status, keyless.stderr).toBe(1);
    expect(JSON.parse(keyless.stdout).problems[0].problem).toContain('not configured');
  });
});
