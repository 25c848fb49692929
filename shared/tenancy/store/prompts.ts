import type { Kysely, Selectable } from 'kysely';
import { assignVersion, PromptRollout } from '../prompt-rollout';
import { promptStats, type PromptVersionStats } from './prompt-stats';
import type { StoreSchema } from './schema';
import type { PromptVersionsTable } from './schema-lifecycle';

/**
 * The prompt registry's rows (docs/prompt-registry.md): versions per task, global or a tenant's
 * override, append-only (a version is never updated or deleted, so whatever ran with it can
 * always be read back); one rollout per task and scope. The hot path (`resolve`, `version`) reads
 * through a small cache: versions forever (immutable), rollouts for `rolloutTtlMs`.
 */

export interface PromptVersion {
  /** `<task>@r<seq>` (global) or `<task>@<tenant>.r<seq>` (a tenant's override). */
  id: string;
  task: string;
  /** null: global (the platform operator's); else the tenant whose override it is. */
  tenantId: string | null;
  seq: number;
  system: string;
  userTemplate: string;
  note: string | null;
  createdBy: string;
  createdAt: number;
}

export interface StoredRollout {
  task: string;
  /** null: the global rollout. */
  tenantId: string | null;
  rollout: PromptRollout;
  updatedAt: number;
}

/** How long a process trusts a rollout it read: a change reaches every worker within this. */
export const ROLLOUT_TTL_MS = 1_000;
/** Tries at a version number two writers raced for. */
const CREATE_TRIES = 5;

/** The id of a version: its task, its scope and its number. */
export const promptVersionId = (task: string, tenantId: string | null, seq: number): string =>
  tenantId === null ? `${task}@r${seq}` : `${task}@${tenantId}.r${seq}`;

const GLOBAL = '';

const fromRow = (r: Selectable<PromptVersionsTable>): PromptVersion => ({
  id: r.id,
  task: r.task,
  tenantId: r.tenant_id,
  seq: Number(r.seq),
  system: r.system,
  userTemplate: r.user_template,
  note: r.note,
  createdBy: r.created_by,
  createdAt: Number(r.created_at),
});

export class PromptStore {
  private readonly versions = new Map<string, PromptVersion>();
  private readonly rollouts = new Map<
    string,
    { at: number; tenant?: PromptRollout; global?: PromptRollout }
  >();

  constructor(
    private readonly db: Kysely<StoreSchema>,
    private readonly rolloutTtlMs = ROLLOUT_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** A new version, numbered after the scope's last one. Versions are never changed afterwards. */
  async create(v: {
    task: string;
    tenantId: string | null;
    system: string;
    userTemplate: string;
    note?: string;
    createdBy: string;
    now: number;
  }): Promise<PromptVersion> {
    for (let tries = 0; tries < CREATE_TRIES; tries++) {
      const last = await this.db
        .selectFrom('prompt_versions')
        .select((eb) => eb.fn.max<number>('seq').as('seq'))
        .where('task', '=', v.task)
        .where((eb) =>
          v.tenantId === null ? eb('tenant_id', 'is', null) : eb('tenant_id', '=', v.tenantId),
        )
        .executeTakeFirst();
      const seq = Number(last?.seq ?? 0) + 1;
      const inserted = await this.db
        .insertInto('prompt_versions')
        .values({
          id: promptVersionId(v.task, v.tenantId, seq),
          task: v.task,
          tenant_id: v.tenantId,
          seq,
          system: v.system,
          user_template: v.userTemplate,
          note: v.note ?? null,
          created_by: v.createdBy,
          created_at: v.now,
        })
        .onConflict((oc) => oc.column('id').doNothing())
        .returningAll()
        .executeTakeFirst();
      if (inserted) return fromRow(inserted);
    }
    throw new Error(`could not number a new version of ${v.task}: too many concurrent writers`);
  }

  /** The global versions and, with `tenantId`, that tenant's overrides; oldest first. */
  async list(task: string, tenantId: string | null): Promise<PromptVersion[]> {
    const rows = await this.db
      .selectFrom('prompt_versions')
      .selectAll()
      .where('task', '=', task)
      .where((eb) =>
        tenantId === null
          ? eb('tenant_id', 'is', null)
          : eb.or([eb('tenant_id', 'is', null), eb('tenant_id', '=', tenantId)]),
      )
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(fromRow);
  }

  /** One version by id (cached: versions never change). */
  async version(id: string): Promise<PromptVersion | undefined> {
    const cached = this.versions.get(id);
    if (cached) return cached;
    const row = await this.db
      .selectFrom('prompt_versions')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    const version = row && fromRow(row);
    if (version) this.versions.set(id, version);
    return version;
  }

  /** The rollout of one scope as stored (null: global), read now. */
  async rollout(task: string, tenantId: string | null): Promise<StoredRollout | undefined> {
    const row = await this.db
      .selectFrom('prompt_rollouts')
      .selectAll()
      .where('task', '=', task)
      .where('tenant_id', '=', tenantId ?? GLOBAL)
      .executeTakeFirst();
    return (
      row && {
        task: row.task,
        tenantId: row.tenant_id === GLOBAL ? null : row.tenant_id,
        rollout: PromptRollout.parse(JSON.parse(row.rollout)),
        updatedAt: Number(row.updated_at),
      }
    );
  }

  /** Replaces a scope's rollout; `undefined` removes it (the scope follows the next one up). */
  async setRollout(
    task: string,
    tenantId: string | null,
    rollout: PromptRollout | undefined,
    now: number,
  ): Promise<void> {
    const scope = tenantId ?? GLOBAL;
    if (rollout === undefined) {
      await this.db
        .deleteFrom('prompt_rollouts')
        .where('task', '=', task)
        .where('tenant_id', '=', scope)
        .execute();
    } else {
      const json = JSON.stringify(rollout);
      await this.db
        .insertInto('prompt_rollouts')
        .values({ task, tenant_id: scope, rollout: json, updated_at: now })
        .onConflict((oc) =>
          oc.columns(['task', 'tenant_id']).doUpdateSet({ rollout: json, updated_at: now }),
        )
        .execute();
    }
    // This process sees the change at once; the others within ROLLOUT_TTL_MS.
    this.rollouts.clear();
  }

  /**
   * The version a job runs with: the tenant's rollout, else the global one, else `builtIn` (the
   * task's prompt in code). The stickiness unit's bucket picks within the rollout.
   */
  async resolve(args: {
    task: string;
    builtIn: string;
    tenantId: string;
    keyId?: string | undefined;
  }): Promise<string> {
    const { tenant, global } = await this.effective(args.task, args.tenantId);
    const rollout = tenant ?? global;
    return rollout ? assignVersion({ ...args, rollout }) : args.builtIn;
  }

  /** Per-version figures of a task from job outcomes and the ledger (prompt-stats.ts). */
  stats(task: string, tenantId: string | undefined): Promise<PromptVersionStats[]> {
    return promptStats(this.db, task, tenantId);
  }

  private async effective(
    task: string,
    tenantId: string,
  ): Promise<{ tenant?: PromptRollout; global?: PromptRollout }> {
    const key = `${task}\n${tenantId}`;
    const now = this.now();
    const cached = this.rollouts.get(key);
    if (cached && now - cached.at < this.rolloutTtlMs) return cached;
    const rows = await this.db
      .selectFrom('prompt_rollouts')
      .select(['tenant_id', 'rollout'])
      .where('task', '=', task)
      .where('tenant_id', 'in', [GLOBAL, tenantId])
      .execute();
    const parse = (scope: string): PromptRollout | undefined => {
      const row = rows.find((r) => r.tenant_id === scope);
      return row && PromptRollout.parse(JSON.parse(row.rollout));
    };
    const tenant = parse(tenantId);
    const global = parse(GLOBAL);
    const entry = { at: now, ...(tenant ? { tenant } : {}), ...(global ? { global } : {}) };
    this.rollouts.set(key, entry);
    return entry;
  }
}
