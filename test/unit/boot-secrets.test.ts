import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createActivities, type ActivityDeps } from '../../activities';
import { createLogger } from '../../shared/platform/logger';
import { DEMO_TENANT, TenantDirectory } from '../../server/tenants';

const logger = createLogger({ name: 'test', level: 'silent' });

describe('TenantDirectory.fromConfig', () => {
  const acme = {
    id: 'acme',
    keys: [
      {
        name: 'ops',
        sha256: createHash('sha256').update('acme-key').digest('hex'),
        roles: ['caller' as const],
      },
    ],
  };

  it('has no demo tenant without a demo key', () => {
    const tenants = TenantDirectory.fromConfig(undefined, [acme]);
    expect(tenants.size).toBe(1);
    expect(tenants.authenticate('acme-key')?.id).toBe('acme');
    expect(TenantDirectory.fromConfig(undefined, []).size).toBe(0);
  });

  it('adds the demo tenant, with every role, only for its key', () => {
    const tenants = TenantDirectory.fromConfig('demo-key-0123456789', [acme]);
    expect(tenants.authenticate('demo-key-0123456789')).toEqual(DEMO_TENANT);
    expect(tenants.authenticate('acme-key')?.id).toBe('acme');
  });
});

describe('createActivities', () => {
  it('has no built-in input-key secret', () => {
    const deps = { logger } as ActivityDeps;
    expect(() => createActivities(deps)).toThrow(/inputKeySecret is required/);
    expect(() => createActivities({ logger, inputKeySecret: 'a-test-secret-0123' })).not.toThrow();
  });
});
