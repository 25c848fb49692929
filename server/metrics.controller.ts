import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { KeelConfig } from '../shared/platform/config';
import { metricsAuthorized, scrape } from '../shared/platform/metrics';
import { Public } from './auth.guard';
import { ProblemError } from './problem';
import { CONFIG } from './tokens';

/**
 * `GET /metrics`: this process's Prometheus metrics (shared/platform/metrics.ts), an embedded
 * worker's included. Not an API key route: with KEEL_METRICS_TOKEN set it needs
 * `Authorization: Bearer <that token>`, else anyone who reaches the port may read it.
 */
@Public()
@Controller()
export class MetricsController {
  constructor(@Inject(CONFIG) private readonly config: KeelConfig) {}

  @Get('metrics')
  async metrics(@Req() req: Request, @Res() res: Response): Promise<void> {
    if (!metricsAuthorized(req.header('authorization'), this.config.metrics.token)) {
      throw ProblemError.of(
        'unauthorized',
        'Send `Authorization: Bearer <KEEL_METRICS_TOKEN>`.',
        {},
        { headers: { 'www-authenticate': 'Bearer realm="keel-metrics"' } },
      );
    }
    const { contentType, body } = await scrape();
    res.status(200).setHeader('content-type', contentType).send(body);
  }
}
