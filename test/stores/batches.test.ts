import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useStoreSuite } from '../support/store-suite';

/** store.batches on a real SQLite file and a real PostgreSQL: what the batch workflow relies on. */

const { open } = useStoreSuite('batches');

const header = (id: string, total: number) => ({
  id,
  tenantId: 'acme',
  task: 'classify-ticket',
  options: {},
  total,
  invalid: 1,
  fingerprint: 'f',
  createdAt: 1_000,
});

describe.each(['sqlite', 'postgres'] as const)('store.batches on %s', (kind) => {
  it('stores items in order, runs each once, records outcomes, counts, and cancels the rest', async () => {
    const { batches } = await open(kind);
    const id = `batch_${randomUUID()}`;
    const items = Array.from({ length: 600 }, (_, index) =>
      index === 3
        ? { index, jobId: `job-${index}`, problem: { slug: 'invalid-request' } }
        : { index, jobId: `job-${index}`, input: { n: index } },
    );
    await batches.insertItems(id, items);
    // A retried write of the same items changes nothing.
    await batches.insertItems(id, items.slice(0, 10));
    expect(await batches.get(id)).toBeUndefined(); // no header yet: not a batch
    expect(await batches.create(header(id, 600))).toBe(true);
    expect(await batches.create(header(id, 600))).toBe(false);

    const page = await batches.loadForRun(id, 0, 5);
    // The refused item never runs.
    expect(page.map((i) => i.index)).toEqual([0, 1, 2, 4]);
    expect(page[1]).toEqual({ index: 1, jobId: 'job-1', input: { n: 1 } });
    await batches.recordOutcomes(
      id,
      [
        { index: 0, status: 'completed', costMicros: 1_500 },
        { index: 1, status: 'failed', costMicros: 0, problem: { slug: 'all-candidates-failed' } },
      ],
      2_000,
    );
    // Run again (a worker died after recording): the ended items are not handed out twice.
    expect((await batches.loadForRun(id, 0, 5)).map((i) => i.index)).toEqual([2, 4]);

    const { counts, costMicros, lastFinishedAt } = await batches.counts(id);
    expect(counts).toEqual({ pending: 595, running: 2, completed: 1, failed: 2, cancelled: 0 });
    expect(costMicros).toBe(1_500);
    expect(lastFinishedAt).toBe(2_000);

    expect(await batches.claimProgress(id, 5_000, 1_000)).toBe(true);
    expect(await batches.claimProgress(id, 5_500, 1_000)).toBe(false);
    expect(await batches.claimProgress(id, 6_000, 1_000)).toBe(true);

    expect(await batches.finish(id, 'cancelled', 7_000)).toBe(true);
    expect(await batches.finish(id, 'cancelled', 7_000)).toBe(false);
    expect((await batches.counts(id)).counts).toEqual({
      pending: 0,
      running: 0,
      completed: 1,
      failed: 2,
      cancelled: 597,
    });
    expect(await batches.get(id)).toMatchObject({ status: 'cancelled', finishedAt: 7_000 });

    // Results page by page, in index order, every item once.
    const seen: number[] = [];
    for (let after = -1; ;) {
      const rows = await batches.items(id, after, 250);
      if (rows.length === 0) break;
      seen.push(...rows.map((r) => r.index));
      after = rows.at(-1)!.index;
    }
    expect(seen).toEqual(Array.from({ length: 600 }, (_, i) => i));
    expect((await batches.items(id, 0, 1))[0]).toMatchObject({
      index: 1,
      status: 'failed',
      problem: { slug: 'all-candidates-failed' },
    });
  });

  it('discards the items of a submission that never got its header, and only those', async () => {
    const { batches } = await open(kind);
    const orphan = `batch_${randomUUID()}`;
    const kept = `batch_${randomUUID()}`;
    for (const id of [orphan, kept])
      await batches.insertItems(id, [{ index: 0, jobId: 'j', input: {} }]);
    await batches.create(header(kept, 1));
    await batches.discardItems(orphan);
    await batches.discardItems(kept);
    expect(await batches.items(orphan, -1, 10)).toEqual([]);
    expect(await batches.items(kept, -1, 10)).toHaveLength(1);
  });
});
