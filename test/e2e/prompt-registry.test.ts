import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyTicket } from '../../shared/tasks/classify-ticket';
import { startMockUpstream, type MockUpstream } from '../mock-upstream';
import { startEmbeddedStack, upstreamEnv, type EmbeddedStack } from '../support/stack';
import { tenantApi } from '../support/tenant-api';

/**
 * The prompt registry on the real stack (API with its worker inside, SQLite tenant store, the
 * mock upstream as OpenAI): a tenant admin adds a version of classify-ticket's prompt and rolls it
 * out to 100 % of its tenant; the next task sends the new system prompt and template upstream
 * (the mock's attempt log shows what left Keel), the result and the stats name the version; a
 * rollback to the built-in prompt takes effect on the next task, without a restart.
 */
let mock: MockUpstream;
let stack: EmbeddedStack;
const { call, tenant } = tenantApi(() => stack);

beforeAll(async () => {
  mock = await startMockUpstream({ port: 0 });
  stack = await startEmbeddedStack(upstreamEnv(mock.url));
}, 120_000);
afterAll(async () => {
  await stack?.stop();
  await mock?.close();
});

const SYSTEM_V2 =
  'You are Keel prompt v2 (registry test). Classify support tickets as BILLING, TECHNICAL, ' +
  'ACCOUNT or OTHER. Answer with JSON: {"category", "confidence", "rationale"}.';
const TEMPLATE_V2 = 'Subject line: {{subject}}\nThe whole ticket: {{input}}';
const ticket = { subject: 'Refund please', body: 'I was charged twice for my subscription' };

/** classify-ticket as `key` on the mock's `ok` model; the system prompt the mock received. */
async function classify(key: string): Promise<{ body: any; system: string; user: string }> {
  await fetch(`${mock.url}/_mock/attempts`, { method: 'DELETE' });
  const res = await call(
    'POST',
    '/v1/tasks/classify-ticket',
    { input: ticket, options: { route: ['openai:ok'], allowDegraded: false } },
    key,
  );
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const { attempts } = (await (await fetch(`${mock.url}/_mock/attempts`)).json()) as {
    attempts: Array<{ request: { messages: Array<{ role: string; content: string }> } }>;
  };
  expect(attempts).toHaveLength(1);
  const messages = attempts[0]!.request.messages;
  return {
    body: res.body,
    system: messages.find((m) => m.role === 'system')!.content,
    user: messages.find((m) => m.role === 'user')!.content,
  };
}

describe('the prompt registry', () => {
  let admin: string;
  let caller: string;
  let otherAdmin: string;

  beforeAll(async () => {
    admin = await tenant('prompt-acme', 'pro', { roles: ['admin'] });
    const made = await call('POST', '/v1/admin/tenants/prompt-acme/keys', {
      name: 'app',
      roles: ['caller'],
    });
    caller = made.body.key as string;
    otherAdmin = await tenant('prompt-other', 'pro', { roles: ['admin'] });
  });

  it('runs the built-in prompt while no rollout exists', async () => {
    const run = await classify(caller);
    expect(run.body.meta.promptVersion).toBe(classifyTicket.prompt.version);
    expect(run.system).toBe(classifyTicket.prompt.system);
    const list = await call('GET', '/v1/admin/prompts/classify-ticket/versions', undefined, admin);
    expect(list.status, JSON.stringify(list.body)).toBe(200);
    expect(list.body).toMatchObject({ rollout: null, inEffect: 'built-in' });
    expect(list.body.items[0]).toMatchObject({ id: 'classify-ticket@1', builtIn: true });
  });

  it('refuses a template naming a field the input lacks, naming it', async () => {
    const bad = await call(
      'POST',
      '/v1/admin/prompts/classify-ticket/versions',
      { system: SYSTEM_V2, userTemplate: '{{subject}} {{priority}}' },
      admin,
    );
    expect(bad.status, JSON.stringify(bad.body)).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect(bad.body.errors).toEqual([
      { field: 'userTemplate', message: expect.stringContaining('{{priority}}') },
    ]);
    // A tenant admin acts on its own tenant only.
    const other = await call(
      'POST',
      '/v1/admin/prompts/classify-ticket/versions',
      { system: SYSTEM_V2, userTemplate: TEMPLATE_V2, tenant: 'prompt-acme' },
      otherAdmin,
    );
    expect(other.status).toBe(403);
    expect(other.body.errors).toEqual([{ field: 'tenant', message: 'operator only' }]);
  });

  it('a version rolled out to 100 % is what goes upstream; a rollback needs no restart', async () => {
    const created = await call(
      'POST',
      '/v1/admin/prompts/classify-ticket/versions',
      { system: SYSTEM_V2, userTemplate: TEMPLATE_V2, note: 'shorter instructions' },
      admin,
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const version = created.body.id as string;
    expect(version).toBe('classify-ticket@prompt-acme.r1');

    const rolled = await call(
      'PUT',
      '/v1/admin/prompts/classify-ticket/rollout',
      { versions: [{ version, percent: 100 }] },
      admin,
    );
    expect(rolled.status, JSON.stringify(rolled.body)).toBe(200);
    expect(rolled.body).toMatchObject({ inEffect: 'tenant', rollout: { stickiness: 'tenant' } });

    const v2 = await classify(caller);
    expect(v2.body.meta.promptVersion).toBe(version);
    expect(v2.system).toBe(SYSTEM_V2);
    expect(v2.user).toBe(
      `Subject line: Refund please\nThe whole ticket: <input>${JSON.stringify(ticket)}</input>`,
    );
    expect(v2.body.output.category).toBe('BILLING');
    // Another tenant keeps the built-in prompt.
    const otherCaller = await tenant('prompt-third', 'pro');
    expect((await classify(otherCaller)).body.meta.promptVersion).toBe('classify-ticket@1');

    const stats = await call('GET', '/v1/admin/prompts/classify-ticket/stats', undefined, admin);
    expect(stats.status, JSON.stringify(stats.body)).toBe(200);
    const row = stats.body.versions.find((v: any) => v.version === version);
    expect(row).toMatchObject({ jobs: 1, calls: 1, failedCalls: 0, validRate: 1, reaskRate: 0 });
    expect(row.latencyP50Ms).toBeGreaterThanOrEqual(0);
    expect(stats.body.versions.find((v: any) => v.version === 'classify-ticket@1')).toMatchObject({
      jobs: 1,
    });

    // Rollback: 100 % on the built-in version, applied by the running process.
    const back = await call(
      'PUT',
      '/v1/admin/prompts/classify-ticket/rollout',
      { versions: [{ version: 'classify-ticket@1', percent: 100 }] },
      admin,
    );
    expect(back.status, JSON.stringify(back.body)).toBe(200);
    const v1 = await classify(caller);
    expect(v1.body.meta.promptVersion).toBe('classify-ticket@1');
    expect(v1.system).toBe(classifyTicket.prompt.system);

    // The version is still there, unchanged (append-only), and the audit trail has both acts.
    const list = await call('GET', '/v1/admin/prompts/classify-ticket/versions', undefined, admin);
    expect(list.body.items.map((v: any) => v.id)).toEqual(['classify-ticket@1', version]);
    const audit = await call('GET', '/v1/audit?action=prompt.rollout-set', undefined, admin);
    expect(audit.body.items).toHaveLength(2);
  });

  it('a cached answer is per prompt version: a rollout misses it, a rollback finds it again', async () => {
    const key = await tenant('prompt-cache', 'pro', { roles: ['caller', 'admin'] });
    const cached = async (): Promise<any> => {
      const res = await call(
        'POST',
        '/v1/tasks/classify-ticket',
        { input: ticket, options: { route: ['openai:ok'], cacheTtlMs: 600_000 } },
        key,
      );
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body.meta;
    };
    expect(await cached()).toMatchObject({ path: 'primary', promptVersion: 'classify-ticket@1' });
    expect(await cached()).toMatchObject({ path: 'cache', promptVersion: 'classify-ticket@1' });
    const created = await call(
      'POST',
      '/v1/admin/prompts/classify-ticket/versions',
      { system: SYSTEM_V2, userTemplate: TEMPLATE_V2 },
      key,
    );
    const rollout = (version: string) =>
      call(
        'PUT',
        '/v1/admin/prompts/classify-ticket/rollout',
        { versions: [{ version, percent: 100 }] },
        key,
      );
    expect((await rollout(created.body.id as string)).status).toBe(200);
    expect(await cached()).toMatchObject({ path: 'primary', promptVersion: created.body.id });
    expect((await rollout('classify-ticket@1')).status).toBe(200);
    expect(await cached()).toMatchObject({ path: 'cache', promptVersion: 'classify-ticket@1' });
  });

  it('a global version from the operator reaches tenants without an override of their own', async () => {
    const created = await call('POST', '/v1/admin/prompts/classify-ticket/versions', {
      system: `${SYSTEM_V2} (global)`,
      userTemplate: '{{input}}',
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const global = created.body.id as string;
    expect(global).toMatch(/^classify-ticket@r\d+$/);
    const set = await call('PUT', '/v1/admin/prompts/classify-ticket/rollout', {
      versions: [{ version: global, percent: 100 }],
    });
    expect(set.body).toMatchObject({ inEffect: 'global' });
    const plain = await tenant('prompt-plain', 'pro');
    const run = await classify(plain);
    expect(run.body.meta.promptVersion).toBe(global);
    expect(run.system).toBe(`${SYSTEM_V2} (global)`);
    // prompt-acme's own rollout (100 % built-in since the rollback) wins over the global one.
    expect((await classify(caller)).body.meta.promptVersion).toBe('classify-ticket@1');
    // A tenant admin sees the global version and that the global rollout applies to it.
    const seen = await call(
      'GET',
      '/v1/admin/prompts/classify-ticket/versions',
      undefined,
      otherAdmin,
    );
    expect(seen.body.items.map((v: any) => v.id)).toContain(global);
    expect(seen.body.inEffect).toBe('global');
    // Back to the built-in prompt for everyone: the global rollout removed.
    const removed = await call('PUT', '/v1/admin/prompts/classify-ticket/rollout', {
      versions: [],
    });
    expect(removed.body).toMatchObject({ rollout: null, inEffect: 'built-in' });
    expect((await classify(plain)).body.meta.promptVersion).toBe('classify-ticket@1');
  });

  it('refuses rollouts that do not add up or name versions out of scope', async () => {
    const bad = await call(
      'PUT',
      '/v1/admin/prompts/classify-ticket/rollout',
      {
        versions: [
          { version: 'classify-ticket@1', percent: 60 },
          { version: 'classify-ticket@prompt-acme.r1', percent: 30 },
        ],
      },
      otherAdmin,
    );
    expect(bad.status, JSON.stringify(bad.body)).toBe(400);
    expect(bad.body.errors).toEqual([
      { field: 'versions.1.version', message: expect.stringContaining('no version') },
      { field: 'versions', message: 'the percentages add up to 90, not 100' },
    ]);
    const unknown = await call('GET', '/v1/admin/prompts/chat/versions', undefined, admin);
    expect(unknown.status).toBe(404);
    expect(unknown.body.type).toContain('unknown-task');
  });
});
