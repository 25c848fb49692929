import { Body, Controller, Get, HttpCode, Inject, Param, Post, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { BatchAcceptedBody, BatchBody, BatchCancelBody } from '../shared/contracts/batch-http';
import type { AuthedRequest } from './auth.guard';
import { BatchesService } from './batches.service';

/** Content types of a JSONL upload. */
export const JSONL_TYPES = ['application/x-ndjson', 'application/jsonl'];

/**
 * `/v1/batches`: submit (a JSON body or a JSONL upload), read, read the results as JSONL, cancel.
 * The events stream is in `batch-events.controller.ts`.
 */
@Controller('v1/batches')
export class BatchesController {
  constructor(@Inject(BatchesService) private readonly batches: BatchesService) {}

  @Post()
  @HttpCode(202)
  async submit(
    @Body() body: unknown,
    @Req() req: AuthedRequest,
    @Res({ passthrough: true }) res: Response,
  ): Promise<BatchAcceptedBody> {
    const jsonl = typeof req.is(JSONL_TYPES) === 'string';
    const accepted = await this.batches.submit({
      tenant: req.tenant,
      requestId: String(req.headers['x-request-id']),
      idempotencyKey: req.header('idempotency-key'),
      source: jsonl ? { kind: 'jsonl', query: req.query, stream: req } : { kind: 'json', body },
    });
    res.location(`/v1/batches/${accepted.batchId}`);
    return accepted;
  }

  @Get(':id')
  get(@Param('id') id: string, @Req() req: AuthedRequest): Promise<BatchBody> {
    return this.batches.get({ tenant: req.tenant, batchId: id });
  }

  /** JSONL in item order, written as it is read (backpressure honoured). */
  @Get(':id/results')
  async results(
    @Param('id') id: string,
    @Req() req: AuthedRequest,
    @Res() res: Response,
  ): Promise<void> {
    const lines = this.batches.results({ tenant: req.tenant, batchId: id });
    // The first page is read before the headers go: a missing batch is still a 404.
    const first = await lines.next();
    res.status(200).type('application/x-ndjson');
    if (!first.done) res.write(`${JSON.stringify(first.value)}\n`);
    for await (const line of lines) {
      if (res.destroyed) return;
      if (!res.write(`${JSON.stringify(line)}\n`)) await drained(res);
    }
    res.end();
  }

  @Post(':id/cancel')
  @HttpCode(202)
  cancel(@Param('id') id: string, @Req() req: AuthedRequest): Promise<BatchCancelBody> {
    return this.batches.cancel({ tenant: req.tenant, batchId: id });
  }
}

/** The response can take more, or the client has gone. */
function drained(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
