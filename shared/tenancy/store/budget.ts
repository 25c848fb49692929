import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { ledgerToRow } from './rows';
import type { StoreSchema } from './schema';
import {
  monthPeriod,
  type BudgetState,
  type LedgerEntry,
  type ReserveBudget,
  type ReserveResult,
  type SettleBudget,
} from './types';

/**
 * Budgets in integer micro-USD, exact under any number of writers. Every change to a period's
 * `spent` or `reserved` is a single UPDATE of its row inside a transaction that also writes the
 * reservation or ledger row it accounts for, so the two can never disagree; a reservation is
 * granted by one conditional UPDATE (spent + reserved + amount <= limit), which the database
 * evaluates against the row's latest committed version while holding its lock. How that holds
 * on each database: docs/tenant-store.md.
 */

type Db = Kysely<StoreSchema> | Transaction<StoreSchema>;

/** Thrown inside a reservation's transaction to roll it back; carries the state it saw. */
class Refused extends Error {
  constructor(readonly state: BudgetState) {
    super('budget reservation refused');
  }
}

async function readState(db: Db, tenantId: string, period: string): Promise<BudgetState> {
  const row = await db
    .selectFrom('budget_periods')
    .select(['spent_micros', 'reserved_micros'])
    .where('tenant_id', '=', tenantId)
    .where('period', '=', period)
    .executeTakeFirst();
  return {
    spentMicros: Number(row?.spent_micros ?? 0),
    reservedMicros: Number(row?.reserved_micros ?? 0),
  };
}

/** Adds to a period's counters, creating its row at (spent, 0) if missing. */
async function addToPeriod(
  db: Db,
  tenantId: string,
  period: string,
  delta: { spent: number; reserved: number },
): Promise<number> {
  const row = await db
    .insertInto('budget_periods')
    .values({ tenant_id: tenantId, period, spent_micros: delta.spent, reserved_micros: 0 })
    .onConflict((oc) =>
      oc.columns(['tenant_id', 'period']).doUpdateSet((eb) => ({
        spent_micros: eb('budget_periods.spent_micros', '+', delta.spent),
        reserved_micros: eb('budget_periods.reserved_micros', '+', delta.reserved),
      })),
    )
    .returning('spent_micros')
    .executeTakeFirstOrThrow();
  // The period's spend after this change, read in the same statement (PostgreSQL: a string).
  return Number(row.spent_micros);
}

export async function reserveBudget(
  db: Kysely<StoreSchema>,
  r: ReserveBudget,
): Promise<ReserveResult> {
  try {
    return await db.transaction().execute(async (trx) => {
      const recorded = await trx
        .insertInto('budget_reservations')
        .values({
          id: r.reservationId,
          tenant_id: r.tenantId,
          period: r.period,
          amount_micros: r.amountMicros,
          expires_at: r.expiresAt,
          entry: r.entry ? JSON.stringify(r.entry) : null,
        })
        .onConflict((oc) => oc.column('id').doNothing())
        .returning('id')
        .executeTakeFirst();
      if (!recorded) {
        // Held already by an earlier attempt of the same call (a retried activity).
        return { ok: true, ...(await readState(trx, r.tenantId, r.period)) };
      }
      await trx
        .insertInto('budget_periods')
        .values({ tenant_id: r.tenantId, period: r.period, spent_micros: 0, reserved_micros: 0 })
        .onConflict((oc) => oc.columns(['tenant_id', 'period']).doNothing())
        .execute();
      const limit = r.limitMicros;
      const granted = await trx
        .updateTable('budget_periods')
        .set((eb) => ({ reserved_micros: eb('reserved_micros', '+', r.amountMicros) }))
        .where('tenant_id', '=', r.tenantId)
        .where('period', '=', r.period)
        .$if(limit !== null, (qb) =>
          qb.where((eb) =>
            eb(
              eb(eb('spent_micros', '+', eb.ref('reserved_micros')), '+', r.amountMicros),
              '<=',
              limit,
            ),
          ),
        )
        .returning(['spent_micros', 'reserved_micros'])
        .executeTakeFirst();
      if (!granted) throw new Refused(await readState(trx, r.tenantId, r.period));
      return {
        ok: true,
        spentMicros: Number(granted.spent_micros),
        reservedMicros: Number(granted.reserved_micros),
      };
    });
  } catch (err) {
    if (err instanceof Refused) return { ok: false, ...err.state };
    throw err;
  }
}

/**
 * Returns the period's spend right after this settle (`undefined` when it had settled already):
 * the settles of one period are serialised, so `spentMicros - entry.costMicros` is the spend
 * just before it, and a threshold is crossed by exactly one settle.
 */
export async function settleBudget(
  db: Kysely<StoreSchema>,
  s: SettleBudget,
): Promise<{ spentMicros: number } | undefined> {
  return db.transaction().execute(async (trx) => {
    // The ledger row carries the reservation's id: a settle that ran already changes nothing.
    const first = await trx
      .insertInto('usage_ledger')
      .values(ledgerToRow(s.reservationId, s.entry))
      .onConflict((oc) => oc.column('id').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!first) {
      // Swept while the call ran on past its hold: the sweep's `interrupted` row becomes the
      // call's real one, and its cost is added now. Settled already: nothing changes.
      const swept = await trx
        .updateTable('usage_ledger')
        .set({
          input_tokens: s.entry.inputTokens,
          output_tokens: s.entry.outputTokens,
          cached_input_tokens: s.entry.cachedInputTokens,
          cost_micros: s.entry.costMicros,
          outcome: s.entry.outcome,
        })
        .where('id', '=', s.reservationId)
        .where('outcome', '=', 'interrupted')
        .where('cost_micros', '=', 0)
        .returning(['tenant_id', 'at'])
        .executeTakeFirst();
      if (!swept) return undefined;
      const spentMicros = await addToPeriod(
        trx,
        swept.tenant_id,
        s.period ?? monthPeriod(Number(swept.at)),
        { spent: s.entry.costMicros, reserved: 0 },
      );
      return { spentMicros };
    }
    const held = await trx
      .deleteFrom('budget_reservations')
      .where('id', '=', s.reservationId)
      .returning(['tenant_id', 'period', 'amount_micros'])
      .executeTakeFirst();
    // Absent: swept while the call ran long. The vendor billed it all the same.
    const spentMicros = await addToPeriod(
      trx,
      held?.tenant_id ?? s.entry.tenantId,
      held?.period ?? s.period ?? monthPeriod(s.entry.at),
      { spent: s.entry.costMicros, reserved: -Number(held?.amount_micros ?? 0) },
    );
    return { spentMicros };
  });
}

export async function releaseBudget(db: Kysely<StoreSchema>, reservationId: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const held = await trx
      .deleteFrom('budget_reservations')
      .where('id', '=', reservationId)
      .returning(['tenant_id', 'period', 'amount_micros'])
      .executeTakeFirst();
    if (held)
      await addToPeriod(trx, held.tenant_id, held.period, {
        spent: 0,
        reserved: -Number(held.amount_micros),
      });
  });
}

export async function sweepExpiredReservations(
  db: Kysely<StoreSchema>,
  now: number,
): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const gone = await trx
      .deleteFrom('budget_reservations')
      .where('expires_at', '<=', now)
      .returning(['id', 'tenant_id', 'period', 'amount_micros', 'entry'])
      .execute();
    // The calls whose process died mid-call: counted as interrupted, their usage unknown.
    for (const g of gone) {
      if (!g.entry) continue;
      const entry = JSON.parse(g.entry) as LedgerEntry;
      await trx
        .insertInto('usage_ledger')
        .values(
          ledgerToRow(g.id, {
            ...entry,
            inputTokens: 0,
            outputTokens: 0,
            cachedInputTokens: 0,
            costMicros: 0,
            outcome: 'interrupted',
          }),
        )
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
    }
    const perPeriod = new Map<string, { tenantId: string; period: string; amount: number }>();
    for (const g of gone) {
      const key = JSON.stringify([g.tenant_id, g.period]);
      const sum = perPeriod.get(key) ?? { tenantId: g.tenant_id, period: g.period, amount: 0 };
      sum.amount += Number(g.amount_micros);
      perPeriod.set(key, sum);
    }
    // In key order, so two sweepers on PostgreSQL lock period rows in the same order.
    for (const [, p] of [...perPeriod].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      await addToPeriod(trx, p.tenantId, p.period, { spent: 0, reserved: -p.amount });
    return gone.length;
  });
}

export async function budgetState(
  db: Kysely<StoreSchema>,
  tenantId: string,
  period: string,
): Promise<BudgetState> {
  return readState(db, tenantId, period);
}

/** A billed call of a tenant without a budget: ledger and spend, no reservation. */
export async function recordUsage(
  db: Kysely<StoreSchema>,
  entry: LedgerEntry,
  opts: { id?: string; period?: string } = {},
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const first = await trx
      .insertInto('usage_ledger')
      .values(ledgerToRow(opts.id ?? randomUUID(), entry))
      .onConflict((oc) => oc.column('id').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (first)
      await addToPeriod(trx, entry.tenantId, opts.period ?? monthPeriod(entry.at), {
        spent: entry.costMicros,
        reserved: 0,
      });
  });
}
