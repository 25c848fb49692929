import {
  Inject,
  Injectable,
  SetMetadata,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import type { KeelConfig } from '../shared/platform/config';
import { AuthFailureLimiter } from './auth-failures';
import { ProblemError } from './problem';
import { CONFIG, TENANTS } from './tokens';
import { Role, type Tenant, type TenantDirectory } from '../shared/tenancy/directory';

const PUBLIC = 'keel:public';
const ROLES = 'keel:roles';
/** Marks a route that needs no API key (health, docs). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC, true);
/** The key must carry one of these roles (default: `caller`). */
export const Roles = (...roles: Role[]): MethodDecorator & ClassDecorator =>
  SetMetadata(ROLES, roles);

export interface AuthedRequest extends Request {
  tenant: Tenant;
}

const unauthorized = (detail: string): ProblemError =>
  ProblemError.of(
    'unauthorized',
    detail,
    {},
    {
      headers: { 'www-authenticate': 'Bearer realm="keel"' },
    },
  );

/**
 * The key a request carries: `Authorization: Bearer <api key>`, or `x-api-key: <api key>` (what
 * Anthropic's clients send) when there is no Authorization header.
 */
function apiKeyOf(req: AuthedRequest): string {
  const header = req.header('authorization');
  if (!header) {
    const key = req.header('x-api-key')?.trim();
    if (key) return key;
    throw unauthorized('Send `Authorization: Bearer <api key>` (or `x-api-key: <api key>`).');
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match?.[1]) throw unauthorized('The Authorization header must be `Bearer <api key>`.');
  return match[1];
}

/**
 * The request's API key (apiKeyOf) → the caller's tenant, on `req.tenant`. An address that keeps
 * failing is refused for the rest of its minute (AuthFailureLimiter).
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly failures: AuthFailureLimiter;

  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(TENANTS) private readonly tenants: TenantDirectory,
    @Inject(CONFIG) config: KeelConfig,
  ) {
    this.failures = new AuthFailureLimiter(config.authFailuresPerMinute);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;
    const req = context.switchToHttp().getRequest<AuthedRequest>();
    const address = req.socket?.remoteAddress ?? 'unknown';
    const wait = this.failures.blockedFor(address);
    if (wait !== undefined)
      throw ProblemError.of(
        'too-many-auth-failures',
        `Too many failed authentications from this address; retry after ${wait} s.`,
        {},
        { headers: { 'retry-after': String(wait) } },
      );
    let key: string;
    try {
      key = apiKeyOf(req);
    } catch (err) {
      this.failures.fail(address);
      throw err;
    }
    let auth;
    try {
      auth = await this.tenants.authenticate(key);
    } catch (err) {
      // Fail closed: a key that cannot be checked (revoked, suspended?) runs nothing.
      throw ProblemError.of(
        'tenant-store-unavailable',
        undefined,
        {},
        {
          headers: { 'retry-after': '5' },
          cause: err,
        },
      );
    }
    if (!auth.ok) {
      if (auth.refusal === 'suspended') throw ProblemError.of('tenant-suspended');
      this.failures.fail(address);
      throw unauthorized(
        auth.refusal === 'revoked'
          ? 'The API key was revoked.'
          : auth.refusal === 'expired'
            ? 'The API key expired (it was rotated; use its successor).'
            : 'The API key is not valid.',
      );
    }
    const { tenant } = auth;
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES, [
      context.getHandler(),
      context.getClass(),
    ]) ?? [Role.caller];
    // The platform operator acts for every tenant, in every role.
    if (!tenant.roles.includes(Role.operator) && !roles.some((r) => tenant.roles.includes(r))) {
      throw ProblemError.of('forbidden', `This route needs the ${roles.join(' or ')} role.`);
    }
    req.tenant = tenant;
    return true;
  }
}
