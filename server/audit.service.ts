import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  AuditQuery,
  AuditVerifyQuery,
  type AuditPageBody,
  type AuditRecordBody,
  type AuditVerificationBody,
} from '../shared/contracts/audit';
import type { Tenant } from '../shared/tenancy/directory';
import type { Tenancy } from '../shared/tenancy/open';
import { keyActor, type AuditAction, type AuditRecord } from '../shared/tenancy/store';
import { parse } from './problem';
import { scopedTenant } from './tenant-scope';
import { TENANCY } from './tokens';

/**
 * The API's side of the audit trail (docs/audit.md): records what a caller with a key changed or
 * decided, and answers `GET /v1/audit` and `GET /v1/audit/verify` — a tenant admin its own chain,
 * the platform operator any (or all).
 */
@Injectable()
export class AuditService {
  constructor(@Inject(TENANCY) private readonly tenancy: Tenancy) {}

  /** One record in `tenantId`'s chain, acted by `actor`'s key. `detail`: ids and enums only. */
  async record(
    actor: Pick<Tenant, 'keyId'>,
    tenantId: string,
    action: AuditAction,
    detail: Record<string, unknown>,
    now: number,
    jobId?: string,
  ): Promise<void> {
    await this.tenancy.store.audit.append(
      { key: randomUUID(), tenantId, actor: keyActor(actor.keyId), action, detail, jobId },
      now,
    );
  }

  async list(actor: Tenant, query: unknown): Promise<AuditPageBody> {
    const q = parse(AuditQuery, query, 'query');
    const page = await this.tenancy.store.audit.list(this.chainOf(actor, q.tenant), {
      limit: q.limit,
      ...(q.before !== undefined ? { before: q.before } : {}),
      ...(q.action ? { action: q.action } : {}),
      ...(q.jobId ? { jobId: q.jobId } : {}),
    });
    return {
      items: page.items.map(recordBody),
      ...(page.next !== undefined ? { next: String(page.next) } : {}),
    };
  }

  /** Walks the chain(s): the operator all of them unless `tenant` is named, an admin its own. */
  async verify(actor: Tenant, query: unknown): Promise<AuditVerificationBody> {
    const q = parse(AuditVerifyQuery, query, 'query');
    // The operator naming no tenant walks every chain.
    const tenantId = scopedTenant(actor, q.tenant);
    const report = await this.tenancy.store.audit.verify(tenantId ? { tenantId } : {});
    return {
      ok: report.ok,
      tenants: report.tenants,
      records: report.records,
      problems: report.problems.map((p) => ({
        tenant: p.tenantId,
        seq: p.seq,
        problem: p.problem,
      })),
    };
  }

  /** The chain a query reads: the one it names (the operator's to name), else the actor's own. */
  private chainOf(actor: Tenant, tenant: string | undefined): string {
    return scopedTenant(actor, tenant) ?? actor.id;
  }
}

function recordBody(r: AuditRecord): AuditRecordBody {
  return {
    tenant: r.tenantId,
    seq: r.seq,
    at: new Date(r.at).toISOString(),
    actor: r.actor,
    action: r.action as AuditRecordBody['action'],
    jobId: r.jobId,
    detail: r.detail,
    prevHash: r.prevHash,
    hash: r.hash,
    keyId: r.keyId,
  };
}
