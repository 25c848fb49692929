import { readdirSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FileBlobStore } from '../../shared/platform/blob-store';
import { bigAnswerRequest } from '../support/big-answer';
import { waitFor } from '../support/processes';
import { startEmbeddedStack, type EmbeddedStack } from '../support/stack';
import { tenantApi } from '../support/tenant-api';

/**
 * Erasure of a tenant on request, against the default deployment on a real Temporal dev server:
 * its jobs and batches are deleted from Temporal (history and all), its rows from the tenant
 * store, its claim-check blobs from the blob store; another tenant is untouched; the audit trail
 * records the erasure and still verifies.
 */
let stack: EmbeddedStack;
beforeAll(async () => {
  stack = await startEmbeddedStack();
});
afterAll(async () => {
  await stack?.stop();
});

type Json = any;
const { call, tenant, completedBatch } = tenantApi(() => stack);
const ticket = (i: number) => ({ subject: 'Refund', body: `Charged twice, order ${i}` });

/** Workflows tagged with the tenant, as Temporal's visibility lists them. */
async function workflowsOf(tenantId: string): Promise<number> {
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  try {
    let n = 0;
    for await (const _ of new Client({ connection }).workflow.list({
      query: `KeelTenant = '${tenantId}'`,
    }))
      n++;
    return n;
  } finally {
    await connection.close();
  }
}

/** Blob files under `dir` (recursively), as an auditor lists the store. */
function filesIn(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((d) => d.isFile())
      .map((d) => path.join(d.parentPath, d.name));
  } catch {
    return [];
  }
}
const blobDir = () => path.join(stack.env.KEEL_DATA_DIR!, 'blobs');

/** An `answer` job whose ~300 KB request goes to the blob store (over 16 KiB); waited for. */
async function bigJob(key: string): Promise<string> {
  const req = bigAnswerRequest('Quokka-erasure', 300_000) as object;
  const res = await call('POST', '/v1/tasks/answer', { ...req, options: { maxSyncMs: 0 } }, key);
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  const id = res.body.jobId as string;
  await waitFor(
    'the big job ends',
    async () => (await call('GET', `/v1/jobs/${id}`, undefined, key)).body.status === 'completed',
    { timeoutMs: 60_000 },
  );
  return id;
}

async function fill(tenantId: string): Promise<{ key: string; jobs: string[] }> {
  const key = await tenant(tenantId, 'pro', { roles: ['caller', 'admin'] });
  const jobs: string[] = [];
  for (let i = 0; i < 2; i++) {
    const res = await call('POST', '/v1/tasks/classify-ticket', { input: ticket(i) }, key);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    jobs.push(res.body.jobId as string);
  }
  await completedBatch([ticket(10), ticket(11), ticket(12)], key);
  return { key, jobs };
}

describe('erasing a tenant', () => {
  it('refuses without the operator, without suspension, or without the id typed again', async () => {
    const { key } = await fill('keeper');
    // A tenant's own admin key, and for a tenant that does not exist: the same 403, nothing looked up.
    for (const id of ['keeper', 'nobody']) {
      expect(
        (await call('POST', `/v1/admin/tenants/${id}/erase`, { confirm: id }, key)).status,
      ).toBe(403);
      expect((await call('GET', `/v1/admin/tenants/${id}/erasure`, undefined, key)).status).toBe(
        403,
      );
    }
    const active = await call('POST', '/v1/admin/tenants/keeper/erase', { confirm: 'keeper' });
    expect(active.status).toBe(409);
    expect(active.body.type).toContain('tenant-not-suspended');
    const typo = await call('POST', '/v1/admin/tenants/keeper/erase', { confirm: 'keepr' });
    expect(typo.status).toBe(400);
    expect(typo.body.errors).toEqual([{ field: 'confirm', message: 'must be "keeper"' }]);
    expect(
      (await call('POST', '/v1/admin/tenants/nobody/erase', { confirm: 'nobody' })).status,
    ).toBe(404);
    expect((await call('GET', '/v1/admin/tenants/keeper/erasure')).status).toBe(404);
  });

  it('has no data key to rotate where tenant data keys are off (409, a problem saying so)', async () => {
    const res = await call('POST', '/v1/admin/tenants/keeper/data-keys/rotate');
    expect(res.status).toBe(409);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body.type).toBe('https://keel.dev/problems/tenant-data-keys-off');
    expect(res.body.detail).toContain('encryption.tenantDataKeys');
    expect((await call('POST', '/v1/admin/tenants/nobody/data-keys/rotate')).status).toBe(404);
  });

  it('deletes its jobs, batches, blobs and rows; another tenant keeps everything; the audit trail records it', async () => {
    const { jobs, key } = await fill('leaver');
    const keeperKey = (
      await call('POST', '/v1/admin/tenants/keeper/keys', { name: 'big', roles: ['caller'] })
    ).body.key as string;
    // One job each whose request is claim-checked.
    jobs.push(await bigJob(key));
    const keeperBig = await bigJob(keeperKey);
    const store = new FileBlobStore(blobDir());
    const leaverBlobs = filesIn(store.tenantDir('leaver'));
    const keeperBlobs = filesIn(store.tenantDir('keeper'));
    expect(leaverBlobs.length).toBeGreaterThan(0);
    expect(keeperBlobs.length).toBeGreaterThan(0);
    // Every blob is filed under its tenant: none of no known tenant, none in the old layout.
    expect(filesIn(blobDir()).sort()).toEqual([...leaverBlobs, ...keeperBlobs].sort());

    const before = await workflowsOf('leaver');
    // 3 jobs, the batch and its 3 items.
    expect(before).toBeGreaterThanOrEqual(7);
    const keeperBefore = await workflowsOf('keeper');
    // 2 tasks and 3 batch items, and the big job, which runs as a long document: its map and
    // reduce children are jobs of their own (docs/long-documents.md).
    const big = (await call('GET', `/v1/jobs/${jobs[2]}`, undefined, key)).body;
    const children = (big.meta.longDocument.children as unknown[]).length;
    expect((await call('GET', '/v1/usage?tenant=leaver')).body.totals).toMatchObject({
      jobs: 5 + children,
    });

    expect((await call('PATCH', '/v1/admin/tenants/leaver', { status: 'suspended' })).status).toBe(
      200,
    );
    const started = await call('POST', '/v1/admin/tenants/leaver/erase', { confirm: 'leaver' });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    expect(started.body).toMatchObject({ tenant: 'leaver', status: 'running' });

    let done: Json;
    await waitFor(
      'erasure completed',
      async () => {
        done = (await call('GET', '/v1/admin/tenants/leaver/erasure')).body;
        return done.status === 'completed';
      },
      { timeoutMs: 120_000 },
    );
    expect(done.result.jobsDeleted).toBe(before);
    expect(done.result.blobsDeleted).toBe(leaverBlobs.length);
    expect(done.result.rows).toMatchObject({ tenants: 1, api_keys: 1, batches: 1, batch_items: 3 });
    // One outcome per job (3 tasks, 3 batch items); the local model's calls are not billed.
    expect(done.result.rows.job_outcomes).toBe(5 + children);

    // The blob store, read directly: the tenant's blobs are gone, the other tenant's remain.
    expect(filesIn(store.tenantDir('leaver'))).toEqual([]);
    expect(filesIn(blobDir()).sort()).toEqual(keeperBlobs.sort());
    expect(done.result.rows.events).toBeGreaterThan(0);

    // Gone from Temporal and from the API. Temporal deletes asynchronously: the dev server takes
    // ~30–40 s before describe and visibility stop finding a deleted workflow.
    await waitFor('visibility lists none', async () => (await workflowsOf('leaver')) === 0, {
      timeoutMs: 120_000,
    });
    for (const id of jobs)
      await waitFor('job gone', async () => (await call('GET', `/v1/jobs/${id}`)).status === 404, {
        timeoutMs: 120_000,
      });
    expect((await call('GET', '/v1/admin/tenants/leaver')).status).toBe(404);
    const usage = await call('GET', '/v1/usage?tenant=leaver');
    expect(usage.body.totals).toMatchObject({ jobs: 0 });

    // The other tenant is untouched: its big job still reads back through its blob.
    expect(await workflowsOf('keeper')).toBe(keeperBefore);
    const kept = await call('GET', `/v1/jobs/${keeperBig}`, undefined, keeperKey);
    expect(kept.body).toMatchObject({
      status: 'completed',
      output: { answer: expect.any(String) },
    });
    expect((await call('GET', '/v1/admin/tenants/keeper')).status).toBe(200);

    // The audit trail keeps its record of the erasure, and verifies.
    const audit = await call('GET', '/v1/audit?tenant=leaver&action=tenant.erased');
    expect(audit.body.items[0]).toMatchObject({
      action: 'tenant.erased',
      detail: { jobsDeleted: before, blobsDeleted: leaverBlobs.length, rows: { tenants: 1 } },
    });
    expect((await call('GET', '/v1/audit/verify?tenant=leaver')).body).toMatchObject({ ok: true });
  });
});
