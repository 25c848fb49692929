import type { Kysely, Selectable } from 'kysely';
import type { PayloadKey } from '../../platform/payload-codec';
import { openSecret, sealSecret } from '../../platform/sealed-secret';
import type { StoreSchema } from './schema';
import type { DebugSamplesTable } from './schema-lifecycle';

/**
 * Debug samples (docs/debug-samples.md): for a tenant that opted in, a sampled model call's
 * prompt messages and raw answer, masked as log lines are, with its task, model, prompt version,
 * outcome, latency and tokens. The text is sealed with the payload keys when they are configured
 * (as webhook secrets are); each row carries its own expiry, which the retention run enforces.
 */

const DAY_MS = 24 * 3600 * 1000;
/** The sealed text's purpose (authenticated with it: a sample never opens as something else). */
const PURPOSE = 'debug-sample';

export interface DebugSampleMessage {
  role: string;
  content: string;
}

export interface DebugSample {
  id: number;
  tenantId: string;
  jobId: string;
  task: string;
  provider: string;
  model: string;
  promptVersion: string;
  /** `ok`, or the call's failure type (`RateLimited`, `Timeout`, …). */
  outcome: string;
  latencyMs: number;
  inputTokens: number | null;
  outputTokens: number | null;
  at: number;
  /** Epoch ms after which the retention run deletes it (`at` + the tenant's retentionDays). */
  expiresAt: number;
  /** What the model was sent, masked and cut (docs/debug-samples.md#limits). */
  messages: DebugSampleMessage[];
  /** Messages past the kept ones, not stored. */
  droppedMessages: number;
  /** The model's raw answer, masked and cut; null when the call failed. */
  output: string | null;
}

export type NewDebugSample = Omit<DebugSample, 'id'>;

export interface DebugSampleQuery {
  /** Omitted: every tenant (the platform operator's view). */
  tenantId?: string;
  task?: string;
  /** Epoch ms, inclusive. */
  from?: number;
  /** Epoch ms, exclusive. */
  to?: number;
  /** A previous page's `next`: samples with a smaller id. */
  before?: number;
  limit: number;
}

interface SampleText {
  messages: DebugSampleMessage[];
  droppedMessages: number;
  output: string | null;
}

export class DebugSampleStore {
  constructor(
    private readonly db: Kysely<StoreSchema>,
    private readonly keys: readonly PayloadKey[] = [],
  ) {}

  async record(s: NewDebugSample): Promise<void> {
    const text: SampleText = {
      messages: s.messages,
      droppedMessages: s.droppedMessages,
      output: s.output,
    };
    const json = JSON.stringify(text);
    await this.db
      .insertInto('debug_samples')
      .values({
        tenant_id: s.tenantId,
        job_id: s.jobId,
        task: s.task,
        provider: s.provider,
        model: s.model,
        prompt_version: s.promptVersion,
        outcome: s.outcome,
        latency_ms: s.latencyMs,
        input_tokens: s.inputTokens,
        output_tokens: s.outputTokens,
        at: s.at,
        expires_at: s.expiresAt,
        content: this.keys.length ? sealSecret(this.keys, PURPOSE, json) : json,
      })
      .execute();
  }

  /** Newest first; `next` (the last id) when there may be more. */
  async list(q: DebugSampleQuery): Promise<{ items: DebugSample[]; next?: number }> {
    let query = this.db.selectFrom('debug_samples').selectAll();
    if (q.tenantId !== undefined) query = query.where('tenant_id', '=', q.tenantId);
    if (q.task !== undefined) query = query.where('task', '=', q.task);
    if (q.from !== undefined) query = query.where('at', '>=', q.from);
    if (q.to !== undefined) query = query.where('at', '<', q.to);
    if (q.before !== undefined) query = query.where('id', '<', q.before);
    const rows = await query
      .orderBy('id', 'desc')
      .limit(q.limit + 1)
      .execute();
    const items = rows.slice(0, q.limit).map((r) => this.fromRow(r));
    return rows.length > q.limit ? { items, next: items.at(-1)!.id } : { items };
  }

  /** The tenant's samples expire `days` after they were taken (a changed retentionDays). */
  async redate(tenantId: string, days: number): Promise<number> {
    const result = await this.db
      .updateTable('debug_samples')
      .set((eb) => ({ expires_at: eb('at', '+', days * DAY_MS) }))
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /**
   * Deletes up to `limit` samples expired at `asOf`, whatever their tenant (call again until it
   * deletes none); the count per tenant.
   */
  async prune(asOf: number, limit = 5_000): Promise<Record<string, number>> {
    return this.db.transaction().execute(async (trx) => {
      const rows = await trx
        .selectFrom('debug_samples')
        .select(['id', 'tenant_id'])
        .where('expires_at', '<=', asOf)
        .orderBy('id')
        .limit(limit)
        .execute();
      if (rows.length === 0) return {};
      await trx
        .deleteFrom('debug_samples')
        .where(
          'id',
          'in',
          rows.map((r) => r.id),
        )
        .execute();
      const counts: Record<string, number> = {};
      for (const r of rows) counts[r.tenant_id] = (counts[r.tenant_id] ?? 0) + 1;
      return counts;
    });
  }

  private fromRow(r: Selectable<DebugSamplesTable>): DebugSample {
    const text = JSON.parse(openSecret(this.keys, PURPOSE, r.content)) as SampleText;
    return {
      id: Number(r.id),
      tenantId: r.tenant_id,
      jobId: r.job_id,
      task: r.task,
      provider: r.provider,
      model: r.model,
      promptVersion: r.prompt_version,
      outcome: r.outcome,
      latencyMs: Number(r.latency_ms),
      inputTokens: r.input_tokens === null ? null : Number(r.input_tokens),
      outputTokens: r.output_tokens === null ? null : Number(r.output_tokens),
      at: Number(r.at),
      expiresAt: Number(r.expires_at),
      messages: text.messages,
      droppedMessages: text.droppedMessages,
      output: text.output,
    };
  }
}
