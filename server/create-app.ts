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

/** The NestJS app, wired but not listening. Tests and `server/main.ts` both use this. */
export async function createApp(deps: AppDeps): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(deps), {
    bodyParser: false,
    logger: nestLogger(deps.logger),
  });
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestId());
  app.use(taskMetrics());
  app.use(codecCors(deps.config.codecCorsOrigins));
  app.use(codecCookieAuth());
  app.use(DOCS_ASSETS, express.static(getAbsoluteFSPath(), { index: false }));
  app.use(jsonBody(deps.config.maxBodyBytes));
  app.useGlobalFilters(new ProblemFilter(deps.logger));
  return app;
}
