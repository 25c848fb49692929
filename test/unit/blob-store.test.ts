import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, utimesSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { FileBlobStore, ownerTag } from '../../shared/platform/blob-store';
import { loadConfig } from '../../shared/platform/config';
import { configuredHooks } from '../../shared/platform/temporal-connection';

const blobsIn = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.join(d.parentPath, d.name));
/** A task's start input (what names its workflow's tenant), large enough for the claim check. */
const big = (tenantId: string): Payload =>
  defaultPayloadConverter.toPayload({
    task: 'summarize',
    requestId: 'r1',
    tenantId,
    text: Array.from({ length: 2_000 }, () => randomBytes(4).toString('hex')).join(' '),
  });

/** The deployment's codec chain (claim check at 1 KiB, no encryption) over a blob dir. */
function chain() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'keel-blobs-'));
  const codecs = configuredHooks(loadConfig({ KEEL_CLAIM_CHECK_BYTES: '1024', KEEL_BLOB_DIR: dir }))
    .dataConverter!.payloadCodecs!;
  const encode = async (payloads: Payload[], workflowId?: string) => {
    const context = workflowId
      ? { type: 'workflow' as const, namespace: 'default', workflowId }
      : undefined;
    for (const c of codecs) payloads = await c.encode(payloads, context);
    return payloads;
  };
  const decode = async (payloads: Payload[], workflowId: string) => {
    for (const c of [...codecs].reverse())
      payloads = await c.decode(payloads, {
        type: 'workflow' as const,
        namespace: 'default',
        workflowId,
      });
    return payloads;
  };
  return { dir, store: new FileBlobStore(dir), encode, decode };
}

describe('the blob store files each blob under its tenant and workflow', () => {
  it('names hold tags of the ids, never the ids; the tenant comes from the workflow', async () => {
    const { dir, store, encode, decode } = chain();
    const [ref] = await encode([big('acme')], 'summarize-1');
    // A later (activity) payload of the same workflow names no tenant: the binding knows it.
    const later = defaultPayloadConverter.toPayload({ text: 'x'.repeat(5_000) });
    await encode([later], 'summarize-1');
    const files = blobsIn(dir);
    expect(files).toHaveLength(2);
    const wf = ownerTag('workflow', 'summarize-1');
    for (const f of files)
      expect(path.dirname(f)).toBe(path.join(store.tenantDir('acme'), wf.slice(0, 2), wf));
    expect(files.join('\n')).not.toMatch(/acme|summarize/);
    expect(JSON.parse(Buffer.from(ref!.data!).toString())).toMatchObject({
      scope: `${ownerTag('tenant', 'acme')}/${wf}`,
    });
    expect(defaultPayloadConverter.fromPayload((await decode([ref!], 'x'))[0]!)).toMatchObject({
      tenantId: 'acme',
    });
    // No workflow (the codec server's encode): the old layout, still readable.
    const [loose] = await encode([big('acme')]);
    expect(JSON.parse(Buffer.from(loose!.data!).toString()).scope).toBeUndefined();
    expect(blobsIn(dir)).toHaveLength(3);
  });

  it('a workflow whose binding this process forgot is looked up, and its blob filed under its tenant', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'keel-blobs-'));
    const hooks = configuredHooks(
      loadConfig({
        KEEL_CLAIM_CHECK_BYTES: '1024',
        KEEL_BLOB_DIR: dir,
        KEEL_TENANT_BINDINGS_MAX: '1',
      }),
    );
    const asked: string[] = [];
    hooks.tenantBindings!.lookUpWith((id) => {
      asked.push(id);
      return Promise.resolve(id === 'summarize-2' ? 'acme' : null);
    });
    const context = (workflowId: string) => ({
      type: 'workflow' as const,
      namespace: 'default',
      workflowId,
    });
    hooks.tenantBindings!.bind('summarize-2', 'acme');
    hooks.tenantBindings!.bind('other', 'globex'); // evicts summarize-2 (1 binding kept)
    let payloads = [defaultPayloadConverter.toPayload({ text: 'y'.repeat(5_000) })];
    for (const c of hooks.dataConverter!.payloadCodecs!)
      payloads = await c.encode(payloads, context('summarize-2'));
    const wf = ownerTag('workflow', 'summarize-2');
    expect(blobsIn(dir).map(path.dirname)).toEqual([
      path.join(new FileBlobStore(dir).tenantDir('acme'), wf.slice(0, 2), wf),
    ]);
    expect(asked).toEqual(['summarize-2']);
  });

  it('erasure deletes every blob of the tenant and only those', async () => {
    const { dir, store, encode } = chain();
    await encode([big('acme')], 'job-a1');
    await encode([big('acme')], 'job-a2');
    await encode([big('other')], 'job-o1');
    // Written by a process that did not know job-a3's tenant.
    await encode([defaultPayloadConverter.toPayload({ text: 'y'.repeat(5_000) })], 'job-a3');
    expect(blobsIn(dir)).toHaveLength(4);
    expect(await store.deleteTenant('acme', ['job-a1', 'job-a2', 'job-a3'])).toBe(3);
    expect(blobsIn(dir)).toHaveLength(1);
    expect(blobsIn(store.tenantDir('other'))).toHaveLength(1);
    expect(await store.deleteTenant('acme', [])).toBe(0);
  });

  it('retention deletes blobs of deleted workflows and those past the period, never a kept workflow’s', async () => {
    const { store, encode } = chain();
    for (const id of ['old-done', 'old-running', 'new', 'deleted']) await encode([big('acme')], id);
    await encode([big('other')], 'other-old');
    const past = new Date(Date.now() - 3 * 86_400_000);
    const age = (tenant: string, id: string) => {
      const wf = ownerTag('workflow', id);
      for (const f of blobsIn(path.join(store.tenantDir(tenant), wf.slice(0, 2), wf)))
        utimesSync(f, past, past);
    };
    age('acme', 'old-done');
    age('acme', 'old-running');
    age('other', 'other-old');
    expect(await store.deleteWorkflows('acme', ['deleted'])).toBe(1);
    const cutoff = Date.now() - 86_400_000;
    expect(await store.pruneTenant('acme', cutoff, ['old-running'])).toBe(1);
    expect(blobsIn(store.tenantDir('acme'))).toHaveLength(2); // old-running's and new's
    expect(blobsIn(store.tenantDir('other'))).toHaveLength(1);
    expect(await store.pruneTenant('nobody', cutoff, [])).toBe(0);
  });

  it("blobs of workflows of no tenant go once past the cut-off, never a kept workflow's nor a tenant's", async () => {
    const { dir, store, encode } = chain();
    const noTenant = () =>
      defaultPayloadConverter.toPayload({ text: randomBytes(3_000).toString('hex') });
    for (const id of ['breaker-old', 'queue-running', 'webhook-new'])
      await encode([noTenant()], id);
    await encode([big('acme')], 'acme-old');
    const past = new Date(Date.now() - 3 * 86_400_000);
    const recent = ownerTag('workflow', 'webhook-new');
    for (const f of blobsIn(dir).filter((f) => !f.includes(recent))) utimesSync(f, past, past);
    const none = path.join(dir, 'tenants', 'none');
    expect(blobsIn(none)).toHaveLength(3);
    expect(await store.pruneUnowned(Date.now() - 86_400_000, ['queue-running'])).toBe(1);
    expect(blobsIn(none)).toHaveLength(2); // queue-running's (kept) and webhook-new's (recent)
    expect(blobsIn(store.tenantDir('acme'))).toHaveLength(1); // a tenant's: its own retention
  });
});
