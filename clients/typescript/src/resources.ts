import type { paths } from './openapi.js';
import type { RequestOptions, Transport } from './transport.js';
import type { BodyOf, QueryOf, ResponseOf } from './types.js';

const seg = encodeURIComponent;

/** `/v1/reviews`: the answers waiting for a reviewer, and the reviewer's decision. */
export class Reviews {
  constructor(private readonly http: Transport) {}

  /** The pending reviews, oldest first. */
  async list(
    query: QueryOf<'/v1/reviews', 'get'> = {},
    opts?: RequestOptions,
  ): Promise<ResponseOf<'/v1/reviews', 'get'>> {
    return this.http.body({ method: 'GET', path: '/v1/reviews', query }, opts);
  }

  /** One pending review: the input, the proposed output, the checks. */
  async get(
    jobId: string,
    opts?: RequestOptions,
  ): Promise<ResponseOf<'/v1/reviews/{jobId}', 'get'>> {
    const path = `/v1/reviews/${seg(jobId)}`;
    return this.http.body({ method: 'GET', path }, opts);
  }

  /** Approve, reject, or edit (with `output`) the answer; the task then goes on. */
  async decide(
    jobId: string,
    decision: BodyOf<'/v1/reviews/{jobId}', 'post'>,
    opts?: RequestOptions,
  ): Promise<ResponseOf<'/v1/reviews/{jobId}', 'post'>> {
    const path = `/v1/reviews/${seg(jobId)}`;
    return this.http.body({ method: 'POST', path, json: decision }, opts);
  }
}

/** One line of `GET /v1/batches/{id}/results`: an item's status, output or problem. */
export type BatchResultLine =
  paths['/v1/batches/{id}/results']['get']['responses'][200]['content']['application/x-ndjson'];
/** A batch's JSON submission: the task, its items, options. */
export type BatchRequest = BodyOf<'/v1/batches', 'post'>;
export type BatchAccepted = ResponseOf<'/v1/batches', 'post', 202>;

/** `/v1/batches`: many inputs of one task, run in the background (docs/batches.md). */
export class Batches {
  constructor(private readonly http: Transport) {}

  /** Submits the items; invalid ones are counted and recorded as failed, never run. */
  async create(
    batch: BatchRequest,
    opts: RequestOptions & { idempotencyKey?: string } = {},
  ): Promise<BatchAccepted> {
    const idempotencyKey = opts.idempotencyKey ?? globalThis.crypto.randomUUID();
    const req = { method: 'POST', path: '/v1/batches', json: batch, idempotencyKey } as const;
    return this.http.body(req, opts);
  }

  /** Submits JSONL, one task input per line (up to 100,000 lines); options as query parameters. */
  async createJsonl(
    query: QueryOf<'/v1/batches', 'post'> & { task: string },
    jsonl: string,
    opts: RequestOptions & { idempotencyKey?: string } = {},
  ): Promise<BatchAccepted> {
    const idempotencyKey = opts.idempotencyKey ?? globalThis.crypto.randomUUID();
    const raw = { body: jsonl, contentType: 'application/x-ndjson' };
    const req = { method: 'POST', path: '/v1/batches', query, raw, idempotencyKey } as const;
    return this.http.body(req, opts);
  }

  /** The batch: counts by status, cost so far. */
  async get(
    batchId: string,
    opts?: RequestOptions,
  ): Promise<ResponseOf<'/v1/batches/{id}', 'get'>> {
    const path = `/v1/batches/${seg(batchId)}`;
    return this.http.body({ method: 'GET', path }, opts);
  }

  /** Cancels the items not yet ended. 409 `ConflictError` if the batch had ended. */
  async cancel(
    batchId: string,
    opts?: RequestOptions,
  ): Promise<ResponseOf<'/v1/batches/{id}/cancel', 'post', 202>> {
    const path = `/v1/batches/${seg(batchId)}/cancel`;
    return this.http.body({ method: 'POST', path }, opts);
  }

  /** Every item's line, in order, read as the server streams them. */
  async *results(batchId: string, opts?: RequestOptions): AsyncGenerator<BatchResultLine> {
    const path = `/v1/batches/${seg(batchId)}/results`;
    const req = { method: 'GET', path, accept: 'application/x-ndjson' } as const;
    const { response, release } = await this.http.open(req, opts);
    try {
      if (!response.body) return;
      for await (const line of readLines(response.body)) {
        if (line.trim() !== '') yield JSON.parse(line) as BatchResultLine;
      }
    } finally {
      release();
    }
  }
}

/** `/v1/usage`: calls, tokens and cost, by day, task, model or key. */
export class Usage {
  constructor(private readonly http: Transport) {}

  async get(
    query: QueryOf<'/v1/usage', 'get'> = {},
    opts?: RequestOptions,
  ): Promise<ResponseOf<'/v1/usage', 'get'>> {
    return this.http.body({ method: 'GET', path: '/v1/usage', query }, opts);
  }
}

/** The lines of a byte stream (LF or CRLF), the last one even without its newline. */
export async function* readLines(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let rest = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      rest += done ? decoder.decode() : decoder.decode(value, { stream: true });
      const lines = rest.split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) yield line.endsWith('\r') ? line.slice(0, -1) : line;
      if (done) break;
    }
    if (rest !== '') yield rest;
  } finally {
    await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
