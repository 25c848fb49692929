import {
  Inject,
  Injectable,
  SetMetadata,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { ProblemError } from './problem';
import { TENANTS } from './tokens';
import type { Tenant, TenantDirectory } from './tenants';

const PUBLIC = 'keel:public';
/** Marks a route that needs no API key (health, docs). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC, true);

export interface AuthedRequest extends Request {
  tenant: Tenant;
}

const unauthorized = (detail: string): ProblemError =>
  new ProblemError(
    401,
    'unauthorized',
    'Unauthorized',
    detail,
    {},
    { 'www-authenticate': 'Bearer realm="keel"' },
  );

/** `Authorization: Bearer <api key>` → the caller's tenant, on `req.tenant`. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(TENANTS) private readonly tenants: TenantDirectory,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const isPublic = this.reflector.getAllAndOverride<boolean>(PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;
    const req = context.switchToHttp().getRequest<AuthedRequest>();
    const header = req.header('authorization');
    if (!header) throw unauthorized('Send `Authorization: Bearer <api key>`.');
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match?.[1]) throw unauthorized('The Authorization header must be `Bearer <api key>`.');
    const tenant = this.tenants.authenticate(match[1]);
    if (!tenant) throw unauthorized('The API key is not valid.');
    req.tenant = tenant;
    return true;
  }
}
