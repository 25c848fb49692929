import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEFAULT_FILE_CONFIG, loadFileConfig } from '../../shared/platform/config-file';
import {
  generatePayloadKey,
  KEY_ID_METADATA,
  parsePayloadKeys,
} from '../../shared/platform/payload-codec';
import { TenantBindings, temporalTenantLookup } from '../../shared/platform/tenant-bindings';
import { payloadCodec } from '../../shared/platform/temporal-connection';
import { waitFor } from '../support/processes';
import { startStack, type Stack } from '../support/stack';
import { tenantApi } from '../support/tenant-api';

/**
 * Crypto-shredding, end to end (docs/encryption.md#per-tenant-data-keys): the real API and a
 * separate worker process with payload keys and `encryption.tenantDataKeys`, on the suite's
 * Temporal dev server. Each tenant's jobs — a task and a batch, whose items are child workflows —
 * are stored under the tenant's own key; a history saved before the tenant's erasure (what a
 * backup or an export holds) no longer decodes after it, with an error naming the key, while
 * another tenant's saved history still does.
 */
const KEYS = generatePayloadKey();
const MARKER = 'Ouagadougou-4417 charged twice';

type Json = any;
let stack: Stack;
let raw: Client;
let rawConnection: Connection;
const { call, tenant, completedBatch } = tenantApi(() => stack);

beforeAll(async () => {
  stack = await startStack({ KEEL_PAYLOAD_KEYS: KEYS, KEEL_CONFIG: configFile() });
  rawConnection = await Connection.connect({ address: inject('temporalAddress') });
  raw = new Client({ connection: rawConnection });
}, 120_000);
afterAll(async () => {
  await rawConnection?.close();
  await stack?.stop();
});

/** KEEL_CONFIG: the built-in providers, tenant data keys on. */
function configFile(): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'keel-shred-')), 'keel.json');
  writeFileSync(
    file,
    JSON.stringify({ ...DEFAULT_FILE_CONFIG, encryption: { tenantDataKeys: true } }),
  );
  return file;
}

/** A codec as a fresh process of the deployment builds it (the same key file and store). */
const freshCodec = (bindings?: TenantBindings) =>
  payloadCodec(
    {
      payloadKeys: parsePayloadKeys(KEYS),
      dataDir: stack.env.KEEL_DATA_DIR!,
      models: { ...loadFileConfig(undefined), encryption: { tenantDataKeys: true } },
    },
    { cacheMs: 0, ...(bindings ? { bindings } : {}) },
  );

/** Every payload of a history, as Temporal stores it (encoded). */
function payloadsIn(node: unknown, out: Payload[] = []): Payload[] {
  if (!node || typeof node !== 'object' || ArrayBuffer.isView(node)) return out;
  const o = node as Record<string, unknown>;
  if (o.metadata && typeof o.metadata === 'object' && 'data' in o) out.push(o);
  else for (const v of Object.values(o)) payloadsIn(v, out);
  return out;
}

const encrypted = (payloads: Payload[]) =>
  payloads.filter((p) => Buffer.from(p.metadata?.encoding ?? []).toString() === 'binary/encrypted');
const keyRef = (p: Payload) => Buffer.from(p.metadata?.[KEY_ID_METADATA] ?? []).toString();

/** Every workflow tagged with the tenant, and its history's encoded payloads. */
async function savedHistories(tenantId: string): Promise<Map<string, Payload[]>> {
  const saved = new Map<string, Payload[]>();
  // The raw service: a client without the codec cannot decode the (encrypted) memo of a listing.
  const { executions } = await rawConnection.workflowService.listWorkflowExecutions({
    namespace: 'default',
    query: `KeelTenant = '${tenantId}'`,
  });
  for (const wf of executions.map((e) => ({ workflowId: e.execution!.workflowId! }))) {
    const history = await raw.workflow.getHandle(wf.workflowId).fetchHistory();
    // Exported as JSON and read back, as a backup or an export would be.
    const copy = temporal.api.history.v1.History.fromObject(
      JSON.parse(
        JSON.stringify(
          temporal.api.history.v1.History.toObject(
            temporal.api.history.v1.History.fromObject(history),
            { bytes: String },
          ),
        ),
      ),
    );
    saved.set(wf.workflowId, payloadsIn(copy.events));
  }
  return saved;
}

async function fill(tenantId: string): Promise<string> {
  const key = await tenant(tenantId, 'pro', { roles: ['caller', 'admin'] });
  const res = await call(
    'POST',
    '/v1/tasks/classify-ticket',
    { input: { subject: 'Refund', body: `${MARKER} (${tenantId})` } },
    key,
  );
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  await completedBatch(
    [1, 2].map((i) => ({ subject: 'Refund', body: `${MARKER} ${i}` })),
    key,
  );
  return res.body.jobId as string;
}

const codecDecode = (payloads: Payload[]) =>
  call('POST', '/codec/decode', {
    payloads: payloads.map((p) => ({
      metadata: Object.fromEntries(
        Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
      ),
      data: Buffer.from(p.data ?? []).toString('base64'),
    })),
  });

describe('per-tenant data keys and crypto-shredding', () => {
  it("stores each tenant's jobs under its own key, and shreds them with the tenant", async () => {
    const shreddedJob = await fill('shredded');
    await fill('survivor');
    const before = await savedHistories('shredded');
    const other = await savedHistories('survivor');
    // The job, the batch and its 2 items (child workflows started by the batch).
    expect(before.size).toBeGreaterThanOrEqual(4);

    // Every encrypted payload of every one of the tenant's workflows is under the tenant's key;
    // what is not encrypted (search attributes, the SDK's local-activity markers) holds no input.
    for (const [id, payloads] of before) {
      expect(encrypted(payloads).length, id).toBeGreaterThan(0);
      expect(new Set(encrypted(payloads).map(keyRef)), id).toEqual(new Set(['tenant:shredded:1']));
      const clear = payloads.filter((p) => !encrypted([p]).length);
      expect(clear.map((p) => Buffer.from(p.data ?? []).toString()).join(''), id).not.toContain(
        'Ouagadougou',
      );
    }
    for (const payloads of other.values())
      expect(new Set(encrypted(payloads).map(keyRef))).toEqual(new Set(['tenant:survivor:1']));

    // Before the erasure: the saved history decodes (a fresh process, and the codec server).
    const jobPayloads = before.get(shreddedJob)!;
    const decoded = await freshCodec().decode(jobPayloads);
    expect(
      decoded.map((p) => JSON.stringify(defaultPayloadConverter.fromPayload(p))).join(''),
    ).toContain(MARKER);
    expect((await codecDecode(jobPayloads)).status).toBe(200);

    // Erase the tenant (suspended first).
    expect(
      (await call('PATCH', '/v1/admin/tenants/shredded', { status: 'suspended' })).status,
    ).toBe(200);
    expect(
      (await call('POST', '/v1/admin/tenants/shredded/erase', { confirm: 'shredded' })).status,
    ).toBe(202);
    let done: Json;
    await waitFor(
      'erasure completed',
      async () => {
        done = (await call('GET', '/v1/admin/tenants/shredded/erasure')).body;
        return done.status === 'completed';
      },
      { timeoutMs: 120_000 },
    );
    expect(done.result.rows.tenant_data_keys).toBe(1);
    // The erasure itself is no tenant's: its history (the tenant's id, the counts) stays readable
    // under the deployment key, whichever process ran its steps.
    const erasure = await raw.workflow.getHandle('erase-tenant-shredded').fetchHistory();
    const erasurePayloads = encrypted(payloadsIn(erasure.events));
    expect(erasurePayloads.length).toBeGreaterThan(0);
    expect(new Set(erasurePayloads.map(keyRef))).toEqual(new Set([parsePayloadKeys(KEYS)[0]!.id]));

    // After: the saved copy no longer decodes, anywhere, with an error naming the key.
    for (const payloads of before.values()) {
      await expect(freshCodec().decode(payloads)).rejects.toMatchObject({
        name: 'PayloadDecryptionError',
        keyId: 'tenant:shredded:1',
      });
    }
    const refused = await codecDecode(jobPayloads);
    expect(refused.status).toBe(400);
    expect(refused.body.detail).toContain(
      '"tenant:shredded:1", which the tenant store no longer holds',
    );
    expect(JSON.stringify(refused.body)).not.toContain(MARKER);

    // The other tenant's saved histories still decode.
    for (const payloads of other.values()) {
      expect((await freshCodec().decode(payloads)).length).toBe(payloads.length);
      expect((await codecDecode(payloads)).status).toBe(200);
    }
  });

  it('a process that forgot whose job it is asks Temporal, and still encrypts under the tenant key', async () => {
    const key = await tenant('forgetful', 'pro', { roles: ['caller', 'admin'] });
    const res = await call(
      'POST',
      '/v1/tasks/classify-ticket',
      { input: { subject: 'Refund', body: `${MARKER} (forgetful)` } },
      key,
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const jobId = res.body.jobId as string;
    // What a worker does when a cached workflow wakes on a timer after its binding was evicted:
    // it encodes for the job with nothing in the payload naming the tenant.
    const asOf = (bindings: TenantBindings) =>
      freshCodec(bindings).encode([defaultPayloadConverter.toPayload({ output: 'late' })], {
        type: 'workflow',
        namespace: 'default',
        workflowId: jobId,
      });
    const lookup = temporalTenantLookup(() => rawConnection.workflowService, 'default');
    const forgot = new TenantBindings(1, lookup);
    forgot.bind(jobId, 'forgetful');
    forgot.bind('another-job', 'survivor'); // evicts the job's binding
    expect((await asOf(forgot)).map(keyRef)).toEqual(['tenant:forgetful:1']);
    // Without the lookup (as before): the deployment key, which shredding would not reach.
    expect((await asOf(new TenantBindings(1))).map(keyRef)).toEqual([
      parsePayloadKeys(KEYS)[0]!.id,
    ]);
    // A workflow Temporal does not know: the deployment key.
    expect(await lookup('classify-ticket-never-started')).toBeUndefined();
  });
});
