import { expect } from 'vitest';
import { waitFor } from './processes';

/** What a test reads of an answer: its status, headers and parsed JSON body. */
export interface ApiAnswer {
  status: number;
  headers: Headers;
  body: any;
}

/** A running stack's API (test/support/stack.ts): the demo key unless `auth: false`. */
interface StackApi {
  call(path: string, init?: RequestInit & { auth?: boolean }): Promise<Response>;
}

/**
 * JSON calls to a stack's API, as the demo key (the platform operator) or as `key`, and the
 * tenants the tests make through the admin API. `stack` is read at each call (set in beforeAll).
 */
export function tenantApi(stack: () => StackApi) {
  async function call(method: string, path: string, body?: unknown, key?: string) {
    const res = await stack().call(path, {
      method,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      ...(key ? { headers: { authorization: `Bearer ${key}` }, auth: false } : {}),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : {} };
  }

  /** A tenant on `plan` (plus `extra` fields) and a new key for it with `roles`. */
  async function tenant(
    id: string,
    plan: string,
    opts: { roles?: string[]; extra?: object } = {},
  ): Promise<string> {
    const made = await call('POST', '/v1/admin/tenants', { id, plan, ...opts.extra });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const key = await call('POST', `/v1/admin/tenants/${id}/keys`, {
      name: 'svc',
      roles: opts.roles ?? ['caller'],
    });
    expect(key.status, JSON.stringify(key.body)).toBe(201);
    return key.body.key as string;
  }

  /** A `classify-ticket` batch of `items` submitted as `key` and waited for: its id once completed. */
  async function completedBatch(items: readonly object[], key: string): Promise<string> {
    const batch = await call('POST', '/v1/batches', { task: 'classify-ticket', items }, key);
    expect(batch.status, JSON.stringify(batch.body)).toBe(202);
    const id = batch.body.batchId as string;
    await waitFor(
      'batch done',
      async () =>
        (await call('GET', `/v1/batches/${id}`, undefined, key)).body.status === 'completed',
      { timeoutMs: 60_000 },
    );
    return id;
  }

  return { call, tenant, completedBatch };
}
