import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defaultPayloadConverter, type SerializationContext } from '@temporalio/common';
import { afterAll, describe, expect, it } from 'vitest';
import { loadFileConfig } from '../../shared/platform/config-file';
import {
  generatePayloadKey,
  KEY_ID_METADATA,
  parsePayloadKeys,
  type EncryptionCodec,
  type PayloadKey,
} from '../../shared/platform/payload-codec';
import { TenantBindings } from '../../shared/platform/tenant-bindings';
import { payloadCodec } from '../../shared/platform/temporal-connection';
import { TenantStore } from '../../shared/tenancy/store';
import { tenantStorePath } from '../../shared/tenancy/open';

/**
 * Per-tenant data keys (docs/encryption.md#per-tenant-data-keys) on a real SQLite tenant store:
 * the codec as every Keel process builds it (`payloadCodec`), several "processes" (codecs with
 * their own store handles) sharing one store, rotation of a tenant's key and of the deployment
 * keys, and crypto-shredding by the erasure's own delete.
 */
const dirs: string[] = [];
const stores: TenantStore[] = [];
afterAll(async () => {
  for (const s of stores) await s.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const T0 = 1_700_000_000_000;
const job = (id: string): SerializationContext => ({
  type: 'workflow',
  namespace: 'default',
  workflowId: id,
});

async function deployment(keys: PayloadKey[] = parsePayloadKeys(generatePayloadKey())) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'keel-tenant-keys-'));
  dirs.push(dataDir);
  const store = await TenantStore.open({
    sqlitePath: tenantStorePath({ dataDir }),
    secretKeys: keys,
  });
  stores.push(store);
  for (const id of ['acme', 'globex'])
    await store.createTenant({ id, name: id, planId: 'pro', status: 'active', overrides: {} }, T0);
  const models = loadFileConfig(undefined);
  const codec = (over: { keys?: PayloadKey[]; on?: boolean; bindings?: TenantBindings } = {}) =>
    payloadCodec(
      {
        payloadKeys: over.keys ?? keys,
        dataDir,
        models: { ...models, encryption: { tenantDataKeys: over.on ?? true } },
      },
      { cacheMs: 0, ...(over.bindings ? { bindings: over.bindings } : {}) },
    );
  return { store, keys, codec };
}

const payload = (value: unknown) => defaultPayloadConverter.toPayload(value);
const keyIdOf = (p: { metadata?: Record<string, Uint8Array> | null }) =>
  Buffer.from(p.metadata?.[KEY_ID_METADATA] ?? []).toString();
const value = async (codec: EncryptionCodec, p: Parameters<EncryptionCodec['decodeOne']>[0]) =>
  defaultPayloadConverter.fromPayload((await codec.decode([p]))[0]!);

describe('per-tenant data keys', () => {
  it("encrypts a tenant's job under its own key, created once and sealed in the store", async () => {
    const { store, codec, keys } = await deployment();
    const writer = codec();
    // First contact: the start input names its tenant; the job is bound from then on.
    const [input] = await writer.encode(
      [payload({ task: 't', requestId: 'r', tenantId: 'acme', input: 'secret' })],
      job('j1'),
    );
    const [result] = await writer.encode([payload({ output: 'BILLING' })], job('j1'));
    expect(keyIdOf(input!)).toBe('tenant:acme:1');
    expect(keyIdOf(result!)).toBe('tenant:acme:1');
    expect(await store.dataKeys.versions('acme')).toEqual([1]);
    // Another process (its own store handle) reads both, and learns whose job it is.
    const bindings = new TenantBindings();
    const reader = codec({ bindings });
    expect(await value(reader, result!)).toEqual({ output: 'BILLING' });
    expect(bindings.get('j1')).toBeUndefined();
    await reader.decode([result!], job('j1'));
    expect(bindings.get('j1')).toBe('acme');
    // Without a tenant (no binding, nothing named): the deployment key.
    const [plain] = await writer.encode([payload({ op: 'opened' })], job('review-queue'));
    expect(keyIdOf(plain!)).toBe(keys[0]!.id);
    // Off: the deployment key for everyone, and still reads what tenants' keys wrote.
    const off = codec({ on: false });
    const [offInput] = await off.encode(
      [payload({ task: 't', requestId: 'r', tenantId: 'acme' })],
      job('j2'),
    );
    expect(keyIdOf(offInput!)).toBe(keys[0]!.id);
    expect(await value(off, input!)).toEqual({
      task: 't',
      requestId: 'r',
      tenantId: 'acme',
      input: 'secret',
    });
  });

  it('a start through a client binds the job to its KeelTenant, or to no tenant', async () => {
    const { codec, keys } = await deployment();
    const bindings = new TenantBindings();
    const writer = codec({ bindings });
    const interceptor = bindings.clientInterceptor();
    const start = (workflowId: string, tenant?: string) =>
      interceptor.start!(
        {
          workflowType: 'runTask',
          headers: {},
          options: {
            workflowId,
            taskQueue: 'q',
            args: [],
            typedSearchAttributes: tenant
              ? [{ key: { name: 'KeelTenant', type: 'KEYWORD' }, value: tenant }]
              : [],
          } as never,
        },
        () => Promise.resolve('run'),
      );
    await start('job-a', 'globex');
    await start('erase-tenant-acme');
    const [a] = await writer.encode([payload({ text: 'x' })], job('job-a'));
    // Erasure's input names the tenant, but the workflow is not the tenant's: deployment key.
    const [e] = await writer.encode(
      [payload({ task: 't', requestId: 'r', tenantId: 'acme' })],
      job('erase-tenant-acme'),
    );
    expect(keyIdOf(a!)).toBe('tenant:globex:1');
    expect(keyIdOf(e!)).toBe(keys[0]!.id);
  });

  it('rotations of the tenant key and of the deployment keys still decode old payloads', async () => {
    const { store, codec, keys } = await deployment();
    const [old] = await codec().encode(
      [payload({ task: 't', requestId: 'r', tenantId: 'acme', n: 1 })],
      job('j1'),
    );
    await store.dataKeys.rotate('acme');
    const [rotated] = await codec().encode(
      [payload({ task: 't', requestId: 'r', tenantId: 'acme', n: 2 })],
      job('j2'),
    );
    expect(keyIdOf(rotated!)).toBe('tenant:acme:2');
    // The deployment keys rotate too: a new primary first, the old one kept below it.
    const next = [...parsePayloadKeys(generatePayloadKey()), ...keys];
    const later = codec({ keys: next });
    expect(await value(later, old!)).toEqual({ task: 't', requestId: 'r', tenantId: 'acme', n: 1 });
    expect(await value(later, rotated!)).toEqual({
      task: 't',
      requestId: 'r',
      tenantId: 'acme',
      n: 2,
    });
    // Without the deployment key that sealed the data keys: the sealed key does not open.
    await expect(
      codec({ keys: parsePayloadKeys(generatePayloadKey()) }).decode([old!]),
    ).rejects.toThrow(/sealed with key/);
  });

  it("shredding a tenant's keys makes its payloads undecodable, naming the key, and no other's", async () => {
    const { store, codec } = await deployment();
    const writer = codec();
    const [acme] = await writer.encode(
      [payload({ task: 't', requestId: 'r', tenantId: 'acme', input: 'A' })],
      job('a1'),
    );
    const [globex] = await writer.encode(
      [payload({ task: 't', requestId: 'r', tenantId: 'globex', input: 'G' })],
      job('g1'),
    );
    const rows = await store.eraseTenantData('acme');
    expect(rows.tenant_data_keys).toBe(1);
    const reader = codec();
    await expect(reader.decode([acme!])).rejects.toMatchObject({
      name: 'PayloadDecryptionError',
      keyId: 'tenant:acme:1',
      message: expect.stringContaining('"tenant:acme:1", which the tenant store no longer holds'),
    });
    expect(await value(reader, globex!)).toEqual({
      task: 't',
      requestId: 'r',
      tenantId: 'globex',
      input: 'G',
    });
    // Nothing is encrypted again for the erased tenant (a new key would reuse the reference).
    await expect(
      codec().encode(
        [payload({ task: 't', requestId: 'r', tenantId: 'acme', input: 'late' })],
        job('a2'),
      ),
    ).rejects.toThrow(/not in the tenant store/);
  });
});
