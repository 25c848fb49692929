import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { ledgerToRow } from './rows';
import type { StoreSchema } from './schema';
import {
  monthPeriod,
  type BudgetState,
  type CallLedgerRow,
  type InterruptedCall,
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
          call_key: r.callKey ?? null,
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
      // Charged as interrupted while the call ran on (swept past its hold, or charged by its
      // retry): the vendor's usage replaces the estimate, and the spend moves by the difference.
      // A settle that brings no usage (cancelled: the vendor said nothing) keeps the estimate.
      // Settled already: nothing changes.
      if (s.entry.outcome === 'interrupted' && s.entry.costMicros === 0) return undefined;
      const row = await trx
        .selectFrom('usage_ledger')
        .select(['tenant_id', 'at', 'cost_micros'])
        .where('id', '=', s.reservationId)
        .where('outcome', '=', 'interrupted')
        // Rows swept before migration 0003 were written at cost 0, not flagged.
        .where((eb) => eb.or([eb('estimated', '=', 1), eb('cost_micros', '=', 0)]))
        .executeTakeFirst();
      if (!row) return undefined;
      await trx
        .updateTable('usage_ledger')
        .set({
          input_tokens: s.entry.inputTokens,
          output_tokens: s.entry.outputTokens,
          cached_input_tokens: s.entry.cachedInputTokens,
          cost_micros: s.entry.costMicros,
          outcome: s.entry.outcome,
          estimated: 0,
        })
        .where('id', '=', s.reservationId)
        .execute();
      const spentMicros = await addToPeriod(
        trx,
        row.tenant_id,
        s.period ?? monthPeriod(Number(row.at)),
        { spent: s.entry.costMicros - Number(row.cost_micros), reserved: 0 },
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

interface Abandoned {
  id: string;
  tenant_id: string;
  period: string;
  amount_micros: number;
  entry: string | null;
}

/**
 * Reservations taken out (deleted in `trx`) whose call never settled: each with its ledger row is
 * charged its reserved worst case as an `interrupted`, `estimated` ledger row, the amount moving
 * from reserved to spent. The vendor's answer, if there was one, never reached Keel: the worst
 * case is the bound its bill cannot pass, so the budget never counts less than was billed.
 * One without a ledger row (made without `entry`) is only released. Returns the charged calls,
 * and the spend of the last period changed, after.
 */
async function chargeAbandonedRows(
  trx: Transaction<StoreSchema>,
  gone: readonly Abandoned[],
): Promise<{ calls: InterruptedCall[]; spentMicros?: number }> {
  const calls: InterruptedCall[] = [];
  const perPeriod = new Map<
    string,
    { tenantId: string; period: string; reserved: number; spent: number }
  >();
  for (const g of gone) {
    const amount = Number(g.amount_micros);
    let charged = false;
    if (g.entry) {
      const entry = JSON.parse(g.entry) as LedgerEntry;
      const row = await trx
        .insertInto('usage_ledger')
        .values(
          ledgerToRow(g.id, {
            ...entry,
            inputTokens: 0,
            outputTokens: 0,
            cachedInputTokens: 0,
            costMicros: amount,
            outcome: 'interrupted',
            estimated: true,
          }),
        )
        .onConflict((oc) => oc.column('id').doNothing())
        .returning('id')
        .executeTakeFirst();
      charged = row !== undefined;
    }
    if (charged) calls.push({ reservationId: g.id, costMicros: amount });
    const key = JSON.stringify([g.tenant_id, g.period]);
    const sum = perPeriod.get(key) ?? {
      tenantId: g.tenant_id,
      period: g.period,
      reserved: 0,
      spent: 0,
    };
    sum.reserved -= amount;
    if (charged) sum.spent += amount;
    perPeriod.set(key, sum);
  }
  let spentMicros: number | undefined;
  // In key order, so two sweepers on PostgreSQL lock period rows in the same order.
  for (const [, p] of [...perPeriod].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    spentMicros = await addToPeriod(trx, p.tenantId, p.period, {
      spent: p.spent,
      reserved: p.reserved,
    });
  return { calls, ...(spentMicros !== undefined ? { spentMicros } : {}) };
}

const ABANDONED_COLUMNS = ['id', 'tenant_id', 'period', 'amount_micros', 'entry'] as const;

/** Charges the reservations past their `expiresAt` (their process died mid-call). */
export async function sweepExpiredReservations(
  db: Kysely<StoreSchema>,
  now: number,
): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const gone = await trx
      .deleteFrom('budget_reservations')
      .where('expires_at', '<=', now)
      .returning([...ABANDONED_COLUMNS])
      .execute();
    await chargeAbandonedRows(trx, gone);
    return gone.length;
  });
}

/**
 * Charges the earlier attempts of a call still holding a reservation (every one with `callKey`
 * but `except`, the caller's own): a new attempt of a call means Temporal has given up on them,
 * so the process that made them died or lost the call.
 */
export async function chargeAbandoned(
  db: Kysely<StoreSchema>,
  a: { callKey: string; except?: string },
): Promise<{ calls: InterruptedCall[]; spentMicros?: number }> {
  // Every billed call asks, and almost always there is nothing: one read by index, no write lock.
  const open = await db
    .selectFrom('budget_reservations')
    .select('id')
    .where('call_key', '=', a.callKey)
    .$if(a.except !== undefined, (qb) => qb.where('id', '!=', a.except!))
    .executeTakeFirst();
  if (!open) return { calls: [] };
  return db.transaction().execute(async (trx) => {
    const gone = await trx
      .deleteFrom('budget_reservations')
      .where('call_key', '=', a.callKey)
      .$if(a.except !== undefined, (qb) => qb.where('id', '!=', a.except!))
      .returning([...ABANDONED_COLUMNS])
      .execute();
    return gone.length ? chargeAbandonedRows(trx, gone) : { calls: [] };
  });
}

/** Every attempt of a call in the ledger, by its `callKey`. */
export async function callLedger(
  db: Kysely<StoreSchema>,
  callKey: string,
): Promise<CallLedgerRow[]> {
  const rows = await db
    .selectFrom('usage_ledger')
    .select(['id', 'outcome', 'cost_micros', 'estimated'])
    .where('call_key', '=', callKey)
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    outcome: r.outcome as LedgerEntry['outcome'],
    costMicros: Number(r.cost_micros),
    estimated: Number(r.estimated) === 1,
  }));
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
