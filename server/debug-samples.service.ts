import { Inject, Injectable } from '@nestjs/common';
import {
  DebugSamplesQuery,
  type DebugSampleBody,
  type DebugSamplePageBody,
} from '../shared/contracts/debug-samples';
import type { Tenant } from '../shared/tenancy/directory';
import type { Tenancy } from '../shared/tenancy/open';
import type { DebugSample } from '../shared/tenancy/store';
import { parse } from './problem';
import { scopedTenant } from './tenant-scope';
import { TENANCY } from './tokens';

/**
 * `GET /v1/admin/debug-samples` (docs/debug-samples.md): a tenant admin reads its own tenant's
 * samples; the platform operator any tenant's (`?tenant=`) or every tenant's. Naming another
 * tenant is 403 naming `query.tenant` (server/tenant-scope.ts).
 */
@Injectable()
export class DebugSamplesService {
  constructor(@Inject(TENANCY) private readonly tenancy: Tenancy) {}

  async list(actor: Tenant, query: unknown): Promise<DebugSamplePageBody> {
    const q = parse(DebugSamplesQuery, query, 'query');
    const tenantId = scopedTenant(actor, q.tenant);
    const page = await this.tenancy.store.debugSamples.list({
      limit: q.limit,
      ...(tenantId !== undefined ? { tenantId } : {}),
      ...(q.task !== undefined ? { task: q.task } : {}),
      ...(q.from !== undefined ? { from: q.from } : {}),
      ...(q.to !== undefined ? { to: q.to } : {}),
      ...(q.before !== undefined ? { before: q.before } : {}),
    });
    return {
      items: page.items.map(sampleBody),
      ...(page.next !== undefined ? { next: String(page.next) } : {}),
    };
  }
}

function sampleBody(s: DebugSample): DebugSampleBody {
  return {
    id: String(s.id),
    tenant: s.tenantId,
    jobId: s.jobId,
    task: s.task,
    provider: s.provider,
    model: s.model,
    promptVersion: s.promptVersion,
    outcome: s.outcome,
    latencyMs: s.latencyMs,
    inputTokens: s.inputTokens,
    outputTokens: s.outputTokens,
    at: new Date(s.at).toISOString(),
    expiresAt: new Date(s.expiresAt).toISOString(),
    messages: s.messages,
    droppedMessages: s.droppedMessages,
    output: s.output,
  };
}
