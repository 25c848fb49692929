import { describe, expect, it } from 'vitest';
import { Role, type Tenant } from '../../shared/tenancy/directory';
import { scopedTenant } from '../../server/tenant-scope';

const admin: Tenant = { id: 'acme', roles: [Role.admin], keyName: 'admin' };
const operator: Tenant = { id: 'demo', roles: [Role.operator], keyName: 'ops' };

describe('scopedTenant', () => {
  it('gives a tenant key its own tenant, named or not', () => {
    expect(scopedTenant(admin, undefined)).toBe('acme');
    expect(scopedTenant(admin, 'acme')).toBe('acme');
  });

  it('refuses another tenant with 403 naming the field, whether it exists or not', () => {
    for (const [named, field] of [
      ['globex', 'query.tenant'],
      ['no-such-tenant', 'tenant'],
    ] as const) {
      try {
        scopedTenant(admin, named, field);
        expect.fail('not refused');
      } catch (err) {
        expect((err as { toProblem(): unknown }).toProblem()).toMatchObject({
          status: 403,
          type: 'https://keel.dev/problems/forbidden',
          errors: [{ field, message: 'operator only' }],
        });
      }
    }
  });

  it('lets the operator name any tenant, or none (every tenant)', () => {
    expect(scopedTenant(operator, 'globex')).toBe('globex');
    expect(scopedTenant(operator, undefined)).toBeUndefined();
  });
});
