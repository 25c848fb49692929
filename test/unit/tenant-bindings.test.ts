import { defaultPayloadConverter, type SerializationContext } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { nexusRunnerId } from '../../shared/contracts/nexus';
import { TenantBindings, type TenantLookup } from '../../shared/platform/tenant-bindings';

/**
 * Which tenant a workflow's payloads belong to (docs/encryption.md#which-tenant-a-payload-belongs-to):
 * bounded bindings, and the lookup that covers a workflow this process has forgotten.
 */
const job = (workflowId: string): SerializationContext => ({
  type: 'workflow',
  namespace: 'default',
  workflowId,
});
const payload = (value: unknown) => defaultPayloadConverter.toPayload(value);

/** A lookup over a fixed table of workflows, counting its calls. */
function temporalKnows(table: Record<string, string | null>) {
  const asked: string[] = [];
  const lookup: TenantLookup = (id) => {
    asked.push(id);
    return Promise.resolve(id in table ? table[id] : undefined);
  };
  return { lookup, asked };
}

describe('TenantBindings', () => {
  it('forgets the least recently used workflow past its bound', () => {
    const b = new TenantBindings(2);
    b.bind('a', 'acme');
    b.bind('b', 'globex');
    expect(b.get('a')).toBe('acme'); // touched: b is now the oldest
    b.bind('c', null);
    expect(b.get('b')).toBeUndefined();
    expect(b.get('a')).toBe('acme');
    expect(b.get('c')).toBeNull();
  });

  it('without a lookup, a forgotten workflow is the deployment key (undefined)', () => {
    const b = new TenantBindings(1);
    b.bind('a', 'acme');
    b.bind('b', 'globex');
    expect(b.resolve(job('a'), [payload({ output: 'x' })])).toBeUndefined();
  });

  it('asks Temporal once for a workflow it forgot, and remembers the answer', async () => {
    const { lookup, asked } = temporalKnows({ a: 'acme', breaker: null });
    const b = new TenantBindings(1, lookup);
    b.bind('a', 'acme');
    b.bind('other', 'globex'); // evicts a
    const twice = [
      b.resolve(job('a'), [payload({ output: 'x' })]),
      b.resolve(job('a'), [payload({ output: 'y' })]),
    ];
    expect(twice[0]).toBeInstanceOf(Promise);
    expect(await Promise.all(twice.map((t) => Promise.resolve(t)))).toEqual(['acme', 'acme']);
    expect(asked).toEqual(['a']); // concurrent asks share one call
    expect(b.resolve(job('a'), [])).toBe('acme'); // bound: synchronous, no call
    // A workflow without a tenant is bound to none: the deployment key, asked once.
    expect(await b.resolve(job('breaker'), [])).toBeUndefined();
    expect(b.resolve(job('breaker'), [])).toBeUndefined();
    expect(asked).toEqual(['a', 'breaker']);
  });

  it('does not ask when the process knows, or the payloads name the tenant', () => {
    const { lookup, asked } = temporalKnows({});
    const b = new TenantBindings(10, lookup);
    b.bind('known', 'acme');
    b.bind('none', null);
    expect(b.resolve(job('known'), [])).toBe('acme');
    expect(b.resolve(job('none'), [])).toBeUndefined();
    expect(
      b.resolve(job('child'), [
        payload({ task: 'summarize', tenantId: 'globex', requestId: 'r1', input: {} }),
      ]),
    ).toBe('globex');
    expect(b.resolve(undefined, [])).toBeUndefined(); // no workflow (`/codec/encode`)
    expect(asked).toEqual([]);
  });

  it('a workflow Temporal does not know, or a failed call, is the deployment key and asked again', async () => {
    let fail = true;
    const asked: string[] = [];
    const b = new TenantBindings(10, (id) => {
      asked.push(id);
      return fail ? Promise.reject(new Error('unavailable')) : Promise.resolve(undefined);
    });
    expect(await b.resolve(job('w'), [])).toBeUndefined();
    fail = false;
    expect(await b.resolve(job('w'), [])).toBeUndefined();
    expect(await b.resolve(job('w'), [])).toBeUndefined();
    expect(asked).toEqual(['w', 'w', 'w']);
  });

  it("only a task's start input names the tenant: an erasure's activity input does not", async () => {
    const { lookup, asked } = temporalKnows({ 'erase-tenant-acme': null });
    const b = new TenantBindings(10, lookup);
    const activity = {
      type: 'activity' as const,
      namespace: 'default',
      workflowId: 'erase-tenant-acme',
      isLocal: false,
    };
    // The erasure's first step names the tenant it erases; Temporal says the erasure has none.
    expect(await b.resolve(activity, [payload({ tenantId: 'acme' })])).toBeUndefined();
    // Its result names the tenant too, but the workflow is bound to none by then.
    expect(b.resolve(job('erase-tenant-acme'), [payload({ tenantId: 'acme', rows: {} })])).toBe(
      undefined,
    );
    expect(asked).toEqual(['erase-tenant-acme']);
    // Not a task request (no task, no requestId): nothing named.
    expect(b.tenantFor(job('other'), [payload({ tenantId: 'acme' })])).toBeUndefined();
  });

  it("a Nexus operation's runner is no tenant's: its result goes to the caller's namespace", () => {
    const { lookup, asked } = temporalKnows({ [nexusRunnerId('j1')]: 'acme' });
    const b = new TenantBindings(10, lookup);
    const input = [payload({ task: 'summarize', tenantId: 'acme', requestId: 'r1', input: {} })];
    expect(b.resolve(job(nexusRunnerId('j1')), input)).toBeUndefined();
    expect(b.resolve(job('j1'), input)).toBe('acme'); // the job it starts is the tenant's
    expect(asked).toEqual([]);
  });

  it('keeps the first lookup given, until it is detached', async () => {
    const b = new TenantBindings(10);
    const detach = b.lookUpWith(() => Promise.resolve('first'));
    b.lookUpWith(() => Promise.resolve('second'));
    expect(await b.resolve(job('x'), [])).toBe('first');
    detach();
    b.lookUpWith(() => Promise.resolve('third'));
    expect(await b.resolve(job('y'), [])).toBe('third');
  });
});
