import { TenantStore, type OpenTenantStore } from '../../shared/tenancy/store';

/**
 * Reserve → call → settle cycles against one tenant's budget, as a worker does around each model
 * call: by the tenant-store race tests in this process, and as a separate process (run this
 * file) to race them across processes. The worst case is 1,000 µUSD; the actual cost is less.
 */
export interface BudgetCycles {
  tenantId: string;
  period: string;
  limitMicros: number;
  /** One cycle per id: the reservation id. */
  ids: string[];
  /** When the cycle's call ends. @default a 0–6 ms pause */
  call?: (i: number) => Promise<void>;
}

export interface CycleResult {
  id: string;
  ok: boolean;
  costMicros: number;
  /** spent + reserved the store reported when it granted the reservation. */
  heldAfterGrant: number;
}

export const WORST_CASE_MICROS = 1_000;
export const costOf = (i: number): number => 600 + ((i * 37) % 401);

export async function runBudgetCycles(store: TenantStore, c: BudgetCycles): Promise<CycleResult[]> {
  const call = c.call ?? ((i: number) => new Promise<void>((r) => setTimeout(r, i % 7)));
  return Promise.all(
    c.ids.map(async (id, i) => {
      const r = await store.reserveBudget({
        reservationId: id,
        tenantId: c.tenantId,
        period: c.period,
        amountMicros: WORST_CASE_MICROS,
        limitMicros: c.limitMicros,
        expiresAt: Date.now() + 60_000,
      });
      if (!r.ok) return { id, ok: false, costMicros: 0, heldAfterGrant: 0 };
      await call(i);
      const costMicros = costOf(i);
      await store.settleBudget({
        reservationId: id,
        entry: {
          at: Date.UTC(2026, 0, 15),
          tenantId: c.tenantId,
          keyId: null,
          jobId: `job-${id}`,
          task: 'summarize',
          provider: 'openai',
          model: 'gpt-4o-mini',
          promptVersion: 'v1',
          inputTokens: 100,
          outputTokens: 20,
          cachedInputTokens: 0,
          costMicros,
          outcome: 'ok',
        },
      });
      return { id, ok: true, costMicros, heldAfterGrant: r.spentMicros + r.reservedMicros };
    }),
  );
}

/**
 * As a process: argv[2] is JSON `{ target, cycles }`. Opens the store, prints `ready`, runs the
 * cycles on SIGUSR2 (so both sides start together), prints `result <json>` and exits.
 */
async function main(): Promise<void> {
  const { target, cycles } = JSON.parse(process.argv[2] ?? '{}') as {
    target: OpenTenantStore;
    cycles: BudgetCycles;
  };
  const store = await TenantStore.open(target);
  // A signal listener alone does not keep the process alive.
  const idle = setInterval(() => undefined, 1_000);
  const go = new Promise<void>((resolve) => process.once('SIGUSR2', () => resolve()));
  process.stdout.write('ready\n');
  await go;
  clearInterval(idle);
  const results = await runBudgetCycles(store, cycles);
  await store.close();
  process.stdout.write(`result ${JSON.stringify(results)}\n`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : 'failed'}\n`);
    process.exit(1);
  });
}
