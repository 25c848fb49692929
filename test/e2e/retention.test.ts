import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FileBlobStore, ownerTag } from '../../shared/platform/blob-store';
import {
  EncryptionCodec,
  generatePayloadKey,
  parsePayloadKeys,
} from '../../shared/platform/payload-codec';
import { payloadCodec } from '../../shared/platform/temporal-connection';
import {
  ensureRetentionSchedule,
  registerRetentionSchedule,
  retentionScheduleId,
} from '../../temporal/retention-schedule';
import type { RetentionResult } from '../../workflows/enforce-retention';
import { bigAnswerRequest } from '../support/big-answer';
import { auditVerify } from '../support/audit-verify';
import { waitFor } from '../support/processes';
import { startEmbeddedStack, type EmbeddedStack } from '../support/stack';
import { tenantApi } from '../support/tenant-api';

/**
 * Retention periods per tenant, against the default deployment on a real Temporal dev server and
 * its SQLite tenant store: the `enforceRetention` workflow, run as of two days from now, deletes
 * the closed jobs, their claim-check blobs and the rows of a tenant kept one day, leaves its jobs
 * still waiting for a review (and their blobs) and a tenant kept 30 days untouched, and records
 * what it did in the audit trail. With payload keys (as `npm start` makes them) the short tenant's
 * audit trail is pruned too, behind a signed checkpoint, and still verifies. The admin API refuses
 * bad periods; the schedule is created idempotently and runs.
 */
let stack: EmbeddedStack;
let connection: Connection;
let client: Client;
const payloadKeys = generatePayloadKey();
beforeAll(async () => {
  stack = await startEmbeddedStack({ KEEL_PAYLOAD_KEYS: payloadKeys });
  connection = await Connection.connect({ address: inject('temporalAddress') });
  // Memos and results are encrypted: the client decodes as the deployment does.
  const codec = payloadCodec({
    payloadKeys: parsePayloadKeys(payloadKeys),
    dataDir: stack.env.KEEL_DATA_DIR!,
  });
  client = new Client({ connection, dataConverter: { payloadCodecs: [codec] } });
});
afterAll(async () => {
  await connection?.close();
  await stack?.stop();
});

type Json = any;
const DAY_MS = 24 * 3600 * 1000;
const { call, tenant, completedBatch } = tenantApi(() => stack);
const ticket = (i: number) => ({ subject: 'Refund', body: `Charged twice, order ${i}` });

/** The tenant's workflows as visibility lists them: closed ones and running ones. */
async function workflowsOf(tenantId: string): Promise<{ closed: number; running: number }> {
  const n = { closed: 0, running: 0 };
  for await (const wf of client.workflow.list({ query: `KeelTenant = '${tenantId}'` }))
    n[wf.status.name === 'RUNNING' ? 'running' : 'closed']++;
  return n;
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

/**
 * An `answer` job whose ~90 KB request is claim-checked (over 16 KiB once compressed) and still
 * one call (under 100,000 characters: not a long document); completed, or held for review.
 */
async function bigJob(key: string, review?: 'always'): Promise<string> {
  const req = bigAnswerRequest('Quokka-retention', 90_000) as object;
  const options = { maxSyncMs: 0, ...(review ? { review } : {}) };
  const res = await call('POST', '/v1/tasks/answer', { ...req, options }, key);
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  const id = res.body.jobId as string;
  const want = review ? 'awaiting_review' : 'completed';
  await waitFor(
    `the big job ${want}`,
    async () => (await call('GET', `/v1/jobs/${id}`, undefined, key)).body.status === want,
    { timeoutMs: 60_000 },
  );
  return id;
}

/** Two jobs, a batch of two items and one job held for review. */
async function fill(key: string): Promise<{ jobs: string[]; batch: string; held: string }> {
  const jobs: string[] = [];
  for (let i = 0; i < 2; i++) {
    const res = await call('POST', '/v1/tasks/classify-ticket', { input: ticket(i) }, key);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    jobs.push(res.body.jobId as string);
  }
  const batchId = await completedBatch([ticket(10), ticket(11)], key);
  const held = await call(
    'POST',
    '/v1/tasks/classify-ticket',
    { input: ticket(20), options: { review: 'always' } },
    key,
  );
  expect(held.body.status, JSON.stringify(held.body)).toBe('awaiting_review');
  return { jobs, batch: batchId, held: held.body.jobId as string };
}

describe('retention periods', () => {
  it('are set on a plan or a tenant; bad values are refused naming the field, nothing changed', async () => {
    const plan = await call('PUT', '/v1/admin/plans/ephemeral', {
      name: 'Ephemeral',
      retentionDays: 1,
    });
    expect(plan.status, JSON.stringify(plan.body)).toBe(200);
    expect(plan.body.retentionDays).toBe(1);
    const adminKey = await tenant('keeps', 'pro', { roles: ['caller', 'admin'] });
    const set = await call('PATCH', '/v1/admin/tenants/keeps', {
      overrides: { retentionDays: 30 },
    });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(set.body.overrides).toMatchObject({ retentionDays: 30 });

    for (const bad of [0, 3651, 1.5, '7']) {
      const res = await call('PATCH', '/v1/admin/tenants/keeps', {
        overrides: { retentionDays: bad },
      });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body.errors.map((e: Json) => e.field)).toEqual(['overrides.retentionDays']);
    }
    const badPlan = await call('PUT', '/v1/admin/plans/ephemeral', {
      name: 'E',
      retentionDays: -1,
    });
    expect(badPlan.status).toBe(400);
    expect(badPlan.body.errors.map((e: Json) => e.field)).toEqual(['retentionDays']);
    // A tenant's own admin does not shorten (or lengthen) what the operator set.
    const own = await call(
      'PATCH',
      '/v1/admin/tenants/keeps',
      { overrides: { retentionDays: 1 } },
      adminKey,
    );
    expect(own.status).toBe(403);
    expect(own.body.errors).toEqual([
      { field: 'overrides.retentionDays', message: 'operator only' },
    ]);

    expect((await call('GET', '/v1/admin/tenants/keeps')).body.overrides).toMatchObject({
      retentionDays: 30,
    });
    expect(
      (await call('GET', '/v1/admin/plans')).body.items.find((p: Json) => p.id === 'ephemeral'),
    ).toMatchObject({ name: 'Ephemeral', retentionDays: 1 });
  });

  it('deletes old closed jobs and prunes rows of a short period; running jobs and a longer period keep everything', async () => {
    const briefKey = await tenant('brief', 'ephemeral', { roles: ['caller'] });
    const keepsKey = (
      await call('POST', '/v1/admin/tenants/keeps/keys', { name: 'svc2', roles: ['caller'] })
    ).body.key as string;
    const brief = await fill(briefKey);
    const keeps = await fill(keepsKey);
    // Claim-checked jobs: one of each tenant completed, one of brief's held for review.
    await bigJob(briefKey);
    const bigHeld = await bigJob(briefKey, 'always');
    await bigJob(keepsKey);
    const store = new FileBlobStore(path.join(stack.env.KEEL_DATA_DIR!, 'blobs'));
    const briefBlobs = filesIn(store.tenantDir('brief'));
    const keepsBlobs = filesIn(store.tenantDir('keeps'));
    const heldTag = ownerTag('workflow', bigHeld);
    const heldBlobs = briefBlobs.filter((f) => f.includes(heldTag));
    expect(heldBlobs.length).toBeGreaterThan(0);
    expect(briefBlobs.length).toBeGreaterThan(heldBlobs.length);
    expect(keepsBlobs.length).toBeGreaterThan(0);
    let before = { brief: await workflowsOf('brief'), keeps: await workflowsOf('keeps') };
    await waitFor(
      'visibility lists every job',
      async () => {
        before = { brief: await workflowsOf('brief'), keeps: await workflowsOf('keeps') };
        return before.brief.closed >= 6 && before.keeps.closed >= 6;
      },
      { timeoutMs: 30_000 },
    );
    expect(before.brief.running).toBe(2);

    // Blobs of workflows of no tenant (a breaker's, a webhook delivery's), written three days ago:
    // one of a workflow that no longer exists, one of a workflow still running (the held job).
    const { config } = await client.workflowService.describeNamespace({ namespace: 'default' });
    const namespaceRetentionMs = Number(config!.workflowExecutionRetentionTtl!.seconds) * 1000;
    expect(namespaceRetentionMs).toBeGreaterThan(0);
    expect(namespaceRetentionMs).toBeLessThan(2 * DAY_MS); // so the run's cut-off is after now
    const unowned = async (workflowId: string): Promise<string> => {
      const bytes = randomBytes(64);
      const key = createHash('sha256').update(bytes).digest('hex');
      const tag = ownerTag('workflow', workflowId);
      await store.put(key, bytes, `none/${tag}`);
      const file = path.join(
        stack.env.KEEL_DATA_DIR!,
        'blobs',
        'tenants',
        'none',
        tag.slice(0, 2),
        tag,
        key,
      );
      const past = new Date(Date.now() - 3 * DAY_MS);
      utimesSync(file, past, past);
      return file;
    };
    const orphan = await unowned(`breaker-gone-${Date.now()}`);
    const ofRunning = await unowned(bigHeld);
    // Another deployment's workflow in the same namespace, still running: its memo opens with
    // keys this deployment does not hold. The run lists it among the workflows that still exist.
    const foreign = new Client({
      connection,
      dataConverter: {
        payloadCodecs: [new EncryptionCodec(parsePayloadKeys(generatePayloadKey()))],
      },
    });
    const stranger = await foreign.workflow.start('nobodyRunsThis', {
      taskQueue: `nobody-polls-${Date.now()}`,
      workflowId: `foreign-deployment-${Date.now()}`,
      memo: { note: 'another deployment' },
    });

    // As of two days from now: past brief's one day, well inside keeps' 30.
    const asOf = Date.now() + 2 * DAY_MS;
    const handle = await client.workflow.start('enforceRetention', {
      taskQueue: stack.taskQueue,
      workflowId: `retention-test-${asOf}`,
      args: [{ asOf }],
    });
    const result = (await handle.result()) as RetentionResult;
    // No tenant's blobs: past the namespace's retention and of no workflow that still exists.
    expect(result.unownedBlobs).toMatchObject({
      blobsDeleted: expect.any(Number),
      before: new Date(asOf - namespaceRetentionMs).toISOString(),
    });
    expect(result.unownedBlobs!.blobsDeleted).toBeGreaterThanOrEqual(1);
    expect(existsSync(orphan)).toBe(false);
    expect(existsSync(ofRunning)).toBe(true);
    await stranger.terminate('test over');
    const of = (id: string) => result.perTenant.find((t) => t.tenantId === id)!;
    expect(of('brief')).toMatchObject({
      retentionDays: 1,
      jobsDeleted: before.brief.closed,
      blobsDeleted: briefBlobs.length - heldBlobs.length,
    });
    // 3 jobs and 2 batch items; the held jobs have not ended.
    expect(of('brief').rows).toMatchObject({ job_outcomes: 5, batches: 1, batch_items: 2 });
    // The blob store, read directly: only the held job's blobs are left of brief's.
    expect(filesIn(store.tenantDir('brief')).sort()).toEqual(heldBlobs.sort());
    expect(filesIn(store.tenantDir('keeps')).sort()).toEqual(keepsBlobs.sort());
    expect(of('brief').rows.events).toBeGreaterThan(0);
    expect(of('keeps')).toMatchObject({
      retentionDays: 30,
      jobsDeleted: 0,
      blobsDeleted: 0,
      rows: { usage_ledger: 0, job_outcomes: 0, events: 0, batches: 0, batch_items: 0 },
    });
    // The demo tenant has no period: not in the run.
    expect(result.perTenant.map((t) => t.tenantId).sort()).toEqual(['brief', 'keeps']);

    // Gone from Temporal and the API (the dev server deletes asynchronously: ~30–40 s).
    for (const id of [...brief.jobs, `batch:${brief.batch}`])
      await waitFor(
        'gone',
        async () =>
          (id.startsWith('batch:')
            ? await call('GET', `/v1/batches/${id.slice(6)}`, undefined, briefKey)
            : await call('GET', `/v1/jobs/${id}`, undefined, briefKey)
          ).status === 404,
        { timeoutMs: 120_000 },
      );
    await waitFor(
      'visibility lists only the held job',
      async () => {
        const n = await workflowsOf('brief');
        return n.closed === 0 && n.running === 2;
      },
      { timeoutMs: 120_000 },
    );
    expect((await call('GET', `/v1/jobs/${brief.held}`, undefined, briefKey)).body.status).toBe(
      'awaiting_review',
    );
    // The held big job still reads: its blobs were kept.
    expect((await call('GET', `/v1/jobs/${bigHeld}`, undefined, briefKey)).body.status).toBe(
      'awaiting_review',
    );
    expect((await call('GET', '/v1/usage?tenant=brief')).body.totals).toMatchObject({ jobs: 0 });

    // The other tenant keeps everything.
    expect(await workflowsOf('keeps')).toEqual(before.keeps);
    for (const id of keeps.jobs)
      expect((await call('GET', `/v1/jobs/${id}`, undefined, keepsKey)).status).toBe(200);
    expect((await call('GET', `/v1/batches/${keeps.batch}`, undefined, keepsKey)).body.status).toBe(
      'completed',
    );
    expect((await call('GET', '/v1/usage?tenant=keeps')).body.totals).toMatchObject({ jobs: 5 });

    // Each tenant's trail records the run with its counts, and still verifies.
    const runId = `${handle.workflowId}/${handle.firstExecutionRunId}`;
    const audit = await call('GET', '/v1/audit?tenant=brief&action=retention.enforced');
    expect(audit.body.items.find((r: Json) => r.detail.runId === runId)).toMatchObject({
      actor: 'system:retention',
      detail: {
        retentionDays: 1,
        jobsDeleted: before.brief.closed,
        blobsDeleted: briefBlobs.length - heldBlobs.length,
        rows: { batches: 1 },
      },
    });
    // Brief's trail was pruned behind a checkpoint: of what was there, only its newest record is
    // kept, then the run's own record; keeps' 30 days keep all of its trail.
    const trail = (await call('GET', '/v1/audit?tenant=brief&limit=10')).body.items as Json[];
    expect(trail.map((r) => r.action)).toEqual(['retention.enforced', expect.any(String)]);
    const [enforced, kept] = trail;
    expect(of('brief').rows.audit_records).toBe(kept.seq - 1);
    expect(of('brief').rows.audit_records).toBeGreaterThan(0);
    expect(enforced.detail.rows.audit_records).toBe(kept.seq - 1);
    expect(of('keeps').rows.audit_records).toBe(0);
    for (const t of ['brief', 'keeps'])
      expect((await call('GET', `/v1/audit/verify?tenant=${t}`)).body).toMatchObject({ ok: true });
    const offline = auditVerify(['--tenant', 'brief'], {
      dataDir: stack.env.KEEL_DATA_DIR!,
      payloadKeys,
    });
    expect(offline.status, offline.stdout + offline.stderr).toBe(0);
    expect(offline.stdout).toContain('ok: 2 records in 1 chains, 0 problems');
    // Its waits allow for a loaded machine (visibility, the retention run): up to 3 minutes.
  }, 180_000);

  it('runs on a Temporal Schedule created idempotently', async () => {
    const opts = { client, taskQueue: stack.taskQueue, everyMs: 2_000 };
    const schedule = client.schedule.getHandle(retentionScheduleId(stack.taskQueue));
    try {
      expect(await ensureRetentionSchedule(opts)).toBe('created');
      expect(await ensureRetentionSchedule(opts)).toBe('unchanged');
      expect(await ensureRetentionSchedule({ ...opts, everyMs: 3_000 })).toBe('updated');
      expect((await schedule.describe()).spec.intervals?.map((i) => i.every)).toEqual([3_000]);
      // What boot calls: the same schedule, nothing to log; a refusal is logged, not thrown.
      const logged: string[] = [];
      const logger = {
        info: (_: object, m: string) => logged.push(m),
        warn: (_: object, m: string) => logged.push(m),
      };
      await registerRetentionSchedule({ ...opts, everyMs: 3_000 }, logger);
      expect(logged).toEqual([]);
      await registerRetentionSchedule(
        { ...opts, client: new Client({ connection, namespace: 'no-such-namespace' }) },
        logger,
      );
      expect(logged).toEqual([
        'could not create the retention schedule: retention periods are not enforced',
      ]);
      let run: { workflowId: string; firstExecutionRunId: string } | undefined;
      await waitFor(
        'a scheduled run',
        async () => {
          run = (await schedule.describe()).info.recentActions[0]?.action.workflow;
          return run !== undefined;
        },
        { timeoutMs: 60_000 },
      );
      const result = (await client.workflow
        .getHandle(run!.workflowId, run!.firstExecutionRunId)
        .result()) as RetentionResult;
      // As of now, nothing of either tenant is past its period yet.
      expect(result).toMatchObject({ tenants: 2, jobsDeleted: 0 });
    } finally {
      await schedule.delete();
    }
  });
});
