import type { RequestOptions, Transport } from './transport.js';
import type { BodyOf, QueryOf, ResponseOf } from './types.js';

const seg = encodeURIComponent;
const tenantPath = (id: string): string => `/v1/admin/tenants/${seg(id)}`;
const keyPath = (id: string, keyId: string): string => `${tenantPath(id)}/keys/${seg(keyId)}`;

type T = '/v1/admin/tenants';
type OneT = '/v1/admin/tenants/{id}';
type Keys = '/v1/admin/tenants/{id}/keys';
type Rotate = '/v1/admin/tenants/{id}/keys/{keyId}/rotate';
type Key = '/v1/admin/tenants/{id}/keys/{keyId}';

/** `/v1/admin/tenants`: the platform operator's tenants (admin role; docs/tenants.md). */
export class Tenants {
  constructor(private readonly http: Transport) {}

  /** 409 `ConflictError` (`tenant-exists`) when the id is taken. */
  create(tenant: BodyOf<T, 'post'>, opts?: RequestOptions): Promise<ResponseOf<T, 'post', 201>> {
    return this.http.body({ method: 'POST', path: '/v1/admin/tenants', json: tenant }, opts);
  }

  /** A page of tenants; `next` is the `after` of the next page. */
  list(query: QueryOf<T, 'get'> = {}, opts?: RequestOptions): Promise<ResponseOf<T, 'get'>> {
    return this.http.body({ method: 'GET', path: '/v1/admin/tenants', query }, opts);
  }

  get(id: string, opts?: RequestOptions): Promise<ResponseOf<OneT, 'get'>> {
    return this.http.body({ method: 'GET', path: tenantPath(id) }, opts);
  }

  /** Changes the plan, name, overrides or status (`suspended`, `active`). */
  update(
    id: string,
    change: BodyOf<OneT, 'patch'>,
    opts?: RequestOptions,
  ): Promise<ResponseOf<OneT, 'patch'>> {
    return this.http.body({ method: 'PATCH', path: tenantPath(id), json: change }, opts);
  }
}

/** `/v1/admin/tenants/{id}/keys`: a tenant's API keys. The key itself is shown once. */
export class ApiKeys {
  constructor(private readonly http: Transport) {}

  create(
    tenantId: string,
    key: BodyOf<Keys, 'post'>,
    opts?: RequestOptions,
  ): Promise<ResponseOf<Keys, 'post', 201>> {
    return this.http.body(
      { method: 'POST', path: `${tenantPath(tenantId)}/keys`, json: key },
      opts,
    );
  }

  list(tenantId: string, opts?: RequestOptions): Promise<ResponseOf<Keys, 'get'>> {
    return this.http.body({ method: 'GET', path: `${tenantPath(tenantId)}/keys` }, opts);
  }

  /** A new key; the old one keeps working for `overlapSeconds`. */
  rotate(
    tenantId: string,
    keyId: string,
    options: BodyOf<Rotate, 'post'> = {},
    opts?: RequestOptions,
  ): Promise<ResponseOf<Rotate, 'post', 201>> {
    const path = `${keyPath(tenantId, keyId)}/rotate`;
    return this.http.body({ method: 'POST', path, json: options }, opts);
  }

  revoke(
    tenantId: string,
    keyId: string,
    opts?: RequestOptions,
  ): Promise<ResponseOf<Key, 'delete'>> {
    return this.http.body({ method: 'DELETE', path: keyPath(tenantId, keyId) }, opts);
  }
}

/** `/v1/admin/plans`: what tenants on each plan may run, and their limits and budget. */
export class Plans {
  constructor(private readonly http: Transport) {}

  list(opts?: RequestOptions): Promise<ResponseOf<'/v1/admin/plans', 'get'>> {
    return this.http.body({ method: 'GET', path: '/v1/admin/plans' }, opts);
  }

  /** Creates or replaces the plan. */
  put(
    id: string,
    plan: BodyOf<'/v1/admin/plans/{id}', 'put'>,
    opts?: RequestOptions,
  ): Promise<ResponseOf<'/v1/admin/plans/{id}', 'put'>> {
    return this.http.body({ method: 'PUT', path: `/v1/admin/plans/${seg(id)}`, json: plan }, opts);
  }
}

/** The admin API (keys with the `admin` role). */
export class Admin {
  readonly tenants: Tenants;
  readonly keys: ApiKeys;
  readonly plans: Plans;

  constructor(http: Transport) {
    this.tenants = new Tenants(http);
    this.keys = new ApiKeys(http);
    this.plans = new Plans(http);
  }
}
