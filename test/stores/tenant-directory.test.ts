import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeelConfig } from '../../shared/platform/config';
import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiKeyGuard } from '../../server/auth.guard';
import { ProblemError } from '../../server/problem';
import { TenantDirectory } from '../../shared/tenancy/directory';
import { generateKey, hashKey } from '../../shared/tenancy/keys';
import { seedTenantStore } from '../../shared/tenancy/seed';
import { TenantStore } from '../../shared/tenancy/store';

/** The API's key lookup over a real SQLite tenant store, seeded as a start seeds it. */
describe('TenantDirectory over the tenant store', () => {
  let dir: string;
  let store: TenantStore;
  let clock = 1_000_000;
  const now = (): number => clock;
  const acmeKey = 'acme-key-0123456789';

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'keel-directory-'));
    store = await TenantStore.open({ sqlitePath: path.join(dir, 'keel.db') });
    await seedTenantStore(store, {
      tenants: [
        {
          id: 'acme',
          plan: 'pro',
          keys: [{ name: 'ops', sha256: hashKey(acmeKey), roles: ['caller'] }],
        },
      ],
      demoKey: 'demo-key-0123456789',
      now: clock,
    });
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds a config-file key with its tenant, roles and plan terms', async () => {
    const auth = await new TenantDirectory(store, { now }).authenticate(acmeKey);
    expect(auth.ok && auth.tenant).toMatchObject({
      id: 'acme',
      roles: ['caller'],
      keyName: 'ops',
      terms: { planId: 'pro', monthlyBudgetUsd: 200, overBudget: 'downgrade' },
    });
  });

  it('gives the demo key every role, the operator’s included, on the unlimited plan', async () => {
    const auth = await new TenantDirectory(store, { now }).authenticate('demo-key-0123456789');
    expect(auth.ok && auth.tenant).toMatchObject({
      id: 'demo',
      roles: ['caller', 'reviewer', 'admin', 'operator'],
      terms: { planId: 'unlimited', monthlyBudgetUsd: null, limits: {} },
    });
  });

  it('does not know a key it never saw', async () => {
    expect(await new TenantDirectory(store, { now }).authenticate('nope-0123456789')).toEqual({
      ok: false,
    });
  });

  it('seeding again changes nothing an admin changed', async () => {
    await store.updateTenant('acme', { planId: 'enterprise' }, clock);
    await seedTenantStore(store, {
      tenants: [
        {
          id: 'acme',
          plan: 'pro',
          keys: [{ name: 'ops', sha256: hashKey(acmeKey), roles: ['caller'] }],
        },
      ],
      now: clock,
    });
    expect((await store.getTenant('acme'))?.planId).toBe('enterprise');
    expect((await store.listKeys('acme')).length).toBe(1);
  });

  it('a revoked key stops working once the cache window (1 s) has passed', async () => {
    const made = generateKey('live');
    await store.insertKey({
      id: made.id,
      tenantId: 'acme',
      name: 'ci',
      prefix: made.prefix,
      hash: made.hash,
      roles: ['caller'],
      env: 'live',
      createdAt: clock,
      expiresAt: null,
      revokedAt: null,
    });
    const directory = new TenantDirectory(store, { now, cacheMs: 1_000 });
    expect((await directory.authenticate(made.key)).ok).toBe(true);
    await store.revokeKey('acme', made.id, clock);
    // Within the window this replica may still answer from its cache; after it, never.
    clock += 1_000;
    expect(await directory.authenticate(made.key)).toEqual({ ok: false, refusal: 'revoked' });
  });

  it('a suspended tenant’s keys are refused as suspended', async () => {
    const directory = new TenantDirectory(store, { now, cacheMs: 0 });
    await store.updateTenant('acme', { status: 'suspended' }, clock);
    expect(await directory.authenticate(acmeKey)).toEqual({ ok: false, refusal: 'suspended' });
    await store.updateTenant('acme', { status: 'active' }, clock);
    expect((await directory.authenticate(acmeKey)).ok).toBe(true);
  });
});

const GUARD_CONFIG = { authFailuresPerMinute: 60 } as KeelConfig;

describe('the API key guard when the tenant store is down', () => {
  it('answers 503 tenant-store-unavailable with Retry-After, and lets nothing through', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'keel-directory-down-'));
    const store = await TenantStore.open({ sqlitePath: path.join(dir, 'keel.db') });
    await seedTenantStore(store, { tenants: [], demoKey: 'demo-key-0123456789', now: 0 });
    const guard = new ApiKeyGuard(new Reflector(), new TenantDirectory(store), GUARD_CONFIG);
    const request = {
      header: (name: string) =>
        name === 'authorization' ? 'Bearer demo-key-0123456789' : undefined,
    };
    const context = {
      // A route with no @Public/@Roles metadata: the default (caller) role.
      getHandler: () => function handler() {},
      getClass: () => class Controller {},
      switchToHttp: () => ({ getRequest: () => request }),
    } as unknown as ExecutionContext;
    expect(await guard.canActivate(context)).toBe(true);
    await store.close();
    const refused = await new ApiKeyGuard(new Reflector(), new TenantDirectory(store), GUARD_CONFIG)
      .canActivate(context)
      .catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(ProblemError);
    expect(refused).toMatchObject({
      status: 503,
      slug: 'tenant-store-unavailable',
      headers: { 'retry-after': '5' },
    });
    rmSync(dir, { recursive: true, force: true });
  });
});
