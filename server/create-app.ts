import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import express from 'express';
import { getAbsoluteFSPath } from 'swagger-ui-dist';
import { AppModule, type AppDeps } from './app.module';
import { codecCookieAuth, codecCors } from './codec-http';
import { DOCS_ASSETS } from './docs.controller';
import { jsonBody, requestId, taskMetrics } from './http-middleware';
import { nestLogger } from './nest-logger';
import { ProblemFilter } from './problem';
import { routeMethods } from './route-methods';
import { traceRequests } from './trace-requests';

/** The NestJS app, wired but not listening. Tests and `server/main.ts` both use this. */
export async function createApp(deps: AppDeps): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(deps), {
    bodyParser: false,
    logger: nestLogger(deps.logger),
  });
  app.disable('x-powered-by');
  app.set('etag', false);
  // Tracing on (OTEL_*): a span per API request, continuing the caller's traceparent.
  const traced = deps.config.tracing;
  const tracing = traced
    ? traceRequests({ followsParent: traced.followsParent, rootUnsampled: !traced.samplerFromEnv })
    : undefined;
  app.use(requestId());
  if (tracing) app.use(tracing.open);
  app.use(taskMetrics());
  app.use(codecCors(deps.config.codecCorsOrigins));
  app.use(codecCookieAuth());
  app.use(DOCS_ASSETS, express.static(getAbsoluteFSPath(), { index: false }));
  app.use(jsonBody(deps.config.maxBodyBytes));
  if (tracing) app.use(tracing.enter);
  app.useGlobalFilters(new ProblemFilter(deps.logger, routeMethods(app)));
  return app;
}
