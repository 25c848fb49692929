import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEFAULT_FILE_CONFIG, loadFileConfig } from '../../shared/platform/config-file';
import {
  generatePayloadKey,
  KEY_ID_METADATA,
  parsePayloadKeys,
} from '../../shared/platform/payload-codec';
import { payloadCodec } from '../../shared/platform/temporal-connection';
import { waitFor } from '../support/processes';
import { startStack, type Stack } from '../support/stack';
import { tenantApi } from '../support/tenant-api';

/**
 * Rotation of a tenant's data key (docs/encryption.md#per-tenant-data-keys), end to end: the real
 * API and a separate worker with `encryption.tenantDataKeys`. A job before the rotation is under
 * version 1, a job after it under version 2, both decode (a fresh process, the codec server);
 * the erasure shreds both versions and neither decodes any more.
 */
const KEYS = generatePayloadKey();
const MARKER = 'Timbuktu-2290 charged twice';

type Json = any;
let stack: Stack;
let raw: Client;
let rawConnection: Connection;
const { call, tenant } = tenantApi(() => stack);

beforeAll(async () => {
  const config = path.join(mkdtempSync(path.join(tmpdir(), 'keel-rotate-')), 'keel.json');
  writeFileSync(
    config,
    JSON.stringify({ ...DEFAULT_FILE_CONFIG, encryption: { tenantDataKeys: true } }),
  );
  stack = await startStack({ KEEL_PAYLOAD_KEYS: KEYS, KEEL_CONFIG: config });
  rawConnection = await Connection.connect({ address: inject('temporalAddress') });
  raw = new Client({ connection: rawConnection });
}, 120_000);
afterAll(async () => {
  await rawConnection?.close();
  await stack?.stop();
});

/** A codec as a fresh process of the deployment builds it (the same key file and store). */
const freshCodec = () =>
  payloadCodec(
    {
      payloadKeys: parsePayloadKeys(KEYS),
      dataDir: stack.env.KEEL_DATA_DIR!,
      models: loadFileConfig(undefined),
    },
    { cacheMs: 0 },
  );

/** Every encrypted payload of a workflow's history, as Temporal stores it. */
async function encryptedPayloads(workflowId: string): Promise<Payload[]> {
  const out: Payload[] = [];
  const walk = (node: unknown): void => {
    if (!node || typeof node !== 'object' || ArrayBuffer.isView(node)) return;
    const o = node as Record<string, unknown>;
    if (o.metadata && typeof o.metadata === 'object' && 'data' in o) out.push(o);
    else Object.values(o).forEach(walk);
  };
  walk((await raw.workflow.getHandle(workflowId).fetchHistory()).events);
  return out.filter(
    (p) => Buffer.from(p.metadata?.encoding ?? []).toString() === 'binary/encrypted',
  );
}
const keyRefs = (payloads: Payload[]) =>
  new Set(payloads.map((p) => Buffer.from(p.metadata?.[KEY_ID_METADATA] ?? []).toString()));

async function job(key: string, n: number): Promise<string> {
  const res = await call(
    'POST',
    '/v1/tasks/classify-ticket',
    { input: { subject: 'Refund', body: `${MARKER} (${n})` } },
    key,
  );
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.jobId as string;
}

const decodedText = async (payloads: Payload[]): Promise<string> =>
  (await freshCodec().decode(payloads))
    .map((p) => JSON.stringify(defaultPayloadConverter.fromPayload(p)))
    .join('');

describe('rotating a tenant data key', () => {
  it('encrypts new jobs under the new key, old ones still decode, erasure shreds both', async () => {
    const key = await tenant('rotor', 'pro', { roles: ['caller', 'admin'] });
    const before = await job(key, 1);
    const beforePayloads = await encryptedPayloads(before);
    expect(keyRefs(beforePayloads)).toEqual(new Set(['tenant:rotor:1']));

    // The tenant's own admin rotates its key; another tenant's admin could not (the matrix).
    const rotated = await call('POST', '/v1/admin/tenants/rotor/data-keys/rotate', undefined, key);
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(201);
    expect(rotated.body).toEqual({
      tenant: 'rotor',
      keyId: 'tenant:rotor:2',
      version: 2,
      versions: [1, 2],
    });

    // Every process takes the new key within its cache time (60 s): a job wholly under it.
    let after = '';
    let afterPayloads: Payload[] = [];
    let n = 2;
    await waitFor(
      'a job wholly under the new key',
      async () => {
        after = await job(key, n++);
        afterPayloads = await encryptedPayloads(after);
        const refs = keyRefs(afterPayloads);
        if (refs.size === 1 && refs.has('tenant:rotor:2')) return true;
        await new Promise((r) => setTimeout(r, 5_000));
        return false;
      },
      { timeoutMs: 150_000 },
    );

    // Both decode: the old job with version 1, named in its payloads' metadata.
    expect(await decodedText(beforePayloads)).toContain(`${MARKER} (1)`);
    expect(await decodedText(afterPayloads)).toContain(MARKER);
    for (const id of [before, after])
      expect((await call('GET', `/v1/jobs/${id}`, undefined, key)).body.status).toBe('completed');
    const audit = await call('GET', '/v1/audit?tenant=rotor&action=data-key.rotated');
    expect(audit.body.items[0]).toMatchObject({
      action: 'data-key.rotated',
      detail: { keyId: 'tenant:rotor:2', version: 2, previous: 1 },
    });

    // Erasure shreds every version: neither job's saved payloads decode any more.
    expect((await call('PATCH', '/v1/admin/tenants/rotor', { status: 'suspended' })).status).toBe(
      200,
    );
    expect((await call('POST', '/v1/admin/tenants/rotor/erase', { confirm: 'rotor' })).status).toBe(
      202,
    );
    let done: Json;
    await waitFor(
      'erasure completed',
      async () => {
        done = (await call('GET', '/v1/admin/tenants/rotor/erasure')).body;
        return done.status === 'completed';
      },
      { timeoutMs: 120_000 },
    );
    expect(done.result.rows.tenant_data_keys).toBe(2);
    await expect(freshCodec().decode(beforePayloads)).rejects.toMatchObject({
      name: 'PayloadDecryptionError',
      keyId: 'tenant:rotor:1',
    });
    await expect(freshCodec().decode(afterPayloads)).rejects.toMatchObject({
      name: 'PayloadDecryptionError',
      keyId: 'tenant:rotor:2',
    });
    // And the erased tenant has nothing left to rotate.
    expect((await call('POST', '/v1/admin/tenants/rotor/data-keys/rotate')).status).toBe(404);
  }, 300_000); // the key cache (60 s) and Temporal's asynchronous deletion
});
