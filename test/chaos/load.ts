import { randomUUID } from 'node:crypto';

/**
 * The chaos suite's steady load: sync callers in closed loops and async submissions at a fixed
 * pace, each request a well-behaved client would send — an `Idempotency-Key`, retried with the
 * same key after a refused connection, a reset, a 5xx or a 429 (honouring Retry-After). Every
 * request carries a marker in its input, so the upstream's attempt log says which task a model
 * call belonged to.
 */
export interface LoadOptions {
  apis: readonly string[];
  apiKey: string;
  /** Closed-loop sync callers. */
  syncCallers: number;
  /** Async submissions per second (maxSyncMs 0 → 202). */
  asyncPerSecond: number;
  /** The route each task takes (a mock-upstream model). */
  route: readonly string[];
  /** Pause between retries of one request. @default 250 */
  retryMs?: number;
}

export interface RequestRecord {
  key: string;
  marker: string;
  kind: 'sync' | 'async';
  sentAt: number;
  /** First 200/202 with a job id; undefined while not accepted. */
  acceptedAt?: number;
  /** Every job id any response named (more than one would be a duplicate). */
  jobIds: Set<string>;
  /** A sync 200: when the answer arrived. */
  completedAt?: number;
  tries: number;
  /** Responses that were neither accepted nor retryable (should stay empty). */
  errors: string[];
}

export class Load {
  readonly records: RequestRecord[] = [];
  private running = false;
  private loops: Promise<void>[] = [];
  private seq = 0;
  private readonly runId = randomUUID().slice(0, 8);

  constructor(private readonly options: LoadOptions) {}

  start(): void {
    this.running = true;
    for (let i = 0; i < this.options.syncCallers; i += 1) this.loops.push(this.syncLoop());
    if (this.options.asyncPerSecond > 0) this.loops.push(this.asyncPacer());
  }

  /** Stops sending new requests and waits until every request in progress is accepted or given up. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  /**
   * One extra sync request outside the closed loops (whose callers may all be stuck on tasks a
   * fault cut off): what a new user sees right now. It joins the ledger like any other.
   */
  probe(): RequestRecord {
    const sending = this.send('sync');
    this.loops.push(sending);
    return this.records.at(-1)!;
  }

  /** Sync answers that arrived in [from, to). */
  completions(from: number, to: number): number {
    return this.records.filter(
      (r) => r.completedAt !== undefined && r.completedAt >= from && r.completedAt < to,
    ).length;
  }

  private async syncLoop(): Promise<void> {
    while (this.running) await this.send('sync');
  }

  private async asyncPacer(): Promise<void> {
    const every = 1_000 / this.options.asyncPerSecond;
    const pending: Promise<void>[] = [];
    let next = Date.now();
    while (this.running) {
      pending.push(this.send('async'));
      next += every;
      await sleep(Math.max(0, next - Date.now()));
    }
    await Promise.all(pending);
  }

  private async send(kind: 'sync' | 'async'): Promise<void> {
    const n = (this.seq += 1);
    const record: RequestRecord = {
      key: `chaos-${this.runId}-${n}`,
      marker: `chaos ${this.runId} ticket ${n} `,
      kind,
      sentAt: Date.now(),
      jobIds: new Set(),
      tries: 0,
      errors: [],
    };
    this.records.push(record);
    const body = JSON.stringify({
      input: {
        subject: 'Refund',
        body: `${record.marker}: I was charged twice for my subscription`,
      },
      options: { route: this.options.route, ...(kind === 'async' ? { maxSyncMs: 0 } : {}) },
    });
    // A client keeps trying until it is accepted; after the load stops it gives a request 120 s.
    const giveUpAt = () => (this.running ? Infinity : record.sentAt + 120_000);
    while (record.acceptedAt === undefined && Date.now() < giveUpAt()) {
      const api = this.options.apis[(n + record.tries) % this.options.apis.length]!;
      record.tries += 1;
      let wait = this.options.retryMs ?? 250;
      try {
        const res = await fetch(`${api}/v1/tasks/classify-ticket`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${this.options.apiKey}`,
            'content-type': 'application/json',
            'idempotency-key': record.key,
          },
          body,
        });
        const text = await res.text();
        if (res.status === 200 || res.status === 202) {
          const jobId = (JSON.parse(text) as { jobId?: string }).jobId;
          if (jobId) record.jobIds.add(jobId);
          record.acceptedAt = Date.now();
          if (res.status === 200) record.completedAt = record.acceptedAt;
        } else if (res.status === 429 || res.status >= 500) {
          const retryAfter = Number(res.headers.get('retry-after'));
          if (retryAfter > 0) wait = Math.min(retryAfter * 1_000, 2_000);
        } else {
          record.errors.push(`${res.status} ${text.slice(0, 200)}`);
          return;
        }
      } catch {
        // refused or reset: the API is down or restarting; the same key makes the retry safe
      }
      if (record.acceptedAt === undefined) await sleep(wait);
    }
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
