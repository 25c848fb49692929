import { Role, type Tenant } from '../shared/tenancy/directory';
import { ProblemError } from './problem';

/** The platform operator: every tenant, every role. */
export const isOperator = (actor: Pick<Tenant, 'roles'>): boolean =>
  actor.roles.includes(Role.operator);

/**
 * The tenant a request may name (`?tenant=`, a body's `tenant`): the platform operator any, or
 * none for every tenant (undefined); anyone else its own only (undefined: its own). Another
 * tenant is a 403 naming the field, the same whether that tenant exists or not.
 */
export function scopedTenant(
  actor: Tenant,
  named: string | undefined,
  field = 'query.tenant',
): string | undefined {
  if (isOperator(actor)) return named;
  if (named === undefined || named === actor.id) return actor.id;
  throw ProblemError.of('forbidden', 'Only the platform operator names another tenant.', {
    errors: [{ field, message: 'operator only' }],
  });
}
