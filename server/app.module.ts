import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { Client } from '@temporalio/client';
import type { KeelConfig } from '../shared/platform/config';
import type { Logger } from '../shared/platform/logger';
import { AdminController, UsageController } from './admin.controller';
import { AdminService } from './admin.service';
import { PromptsController } from './prompts.controller';
import { PromptsService } from './prompts.service';
import { CodecController } from './codec.controller';
import { AuditController } from './audit.controller';
import { AuditService } from './audit.service';
import { DataKeysService } from './data-keys.service';
import { ErasureService } from './erasure.service';
import { CodecService } from './codec.service';
import { ApiKeyGuard } from './auth.guard';
import { BatchEventsController } from './batch-events.controller';
import { BatchesController } from './batches.controller';
import { BatchesService } from './batches.service';
import { DocsController } from './docs.controller';
import { HealthController } from './health.controller';
import { JobsController } from './jobs.controller';
import { EventStreams } from './events/event-streams';
import { JobEventsController } from './events/job-events.controller';
import { ReviewEventsController } from './events/review-events.controller';
import { JobsService } from './jobs.service';
import { JobReader } from './job-reader';
import { MetricsController } from './metrics.controller';
import { TaskCache } from './task-cache';
import { CallMarkers } from './single-flight/call-markers';
import { Debounce } from './single-flight/debounce';
import { SingleFlight } from './single-flight/single-flight';
import { TaskStarter } from './task-starter';
import { TasksController } from './tasks.controller';
import { ChatController } from './chat/chat.controller';
import { ChatService } from './chat/chat.service';
import type { TenantDirectory } from '../shared/tenancy/directory';
import { CONFIG, LOGGER, PROVIDER_HEALTH, TEMPORAL_CLIENT, TENANCY, TENANTS } from './tokens';
import { TenancyGate } from './tenancy-gate';
import type { Tenancy } from '../shared/tenancy/open';
import { ProvidersController } from './providers.controller';
import { ReviewsController } from './reviews.controller';
import { ReviewPageController } from './review-page.controller';
import { DashboardController } from './dashboard/dashboard.controller';
import { DashboardPageController } from './dashboard/dashboard-page.controller';
import { DashboardService } from './dashboard/dashboard.service';
import { DriftController } from './drift.controller';
import { DriftService } from './drift.service';
import { DebugSamplesController } from './debug-samples.controller';
import { DebugSamplesService } from './debug-samples.service';
import { ExperimentsController } from './experiments.controller';
import { ExperimentsService } from './experiments.service';
import { EvaluationsController } from './evaluations.controller';
import { EvaluationsService } from './evaluations.service';
import { ReviewsService } from './reviews.service';
import type { ProviderHealth } from '../shared/platform/provider-health';
import { WebhooksController } from './webhooks.controller';
import { WebhooksService } from './webhooks.service';

export interface AppDeps {
  config: KeelConfig;
  client: Client;
  tenants: TenantDirectory;
  tenancy: Tenancy;
  logger: Logger;
  health: ProviderHealth;
}

@Module({})
export class AppModule {
  static register(deps: AppDeps): DynamicModule {
    return {
      module: AppModule,
      controllers: [
        TasksController,
        ChatController,
        JobsController,
        BatchesController,
        BatchEventsController,
        JobEventsController,
        ProvidersController,
        HealthController,
        DocsController,
        // Before ReviewsController: its `:jobId` would take `events`.
        ReviewEventsController,
        ReviewsController,
        ReviewPageController,
        DashboardPageController,
        DashboardController,
        DriftController,
        DebugSamplesController,
        ExperimentsController,
        EvaluationsController,
        AdminController,
        PromptsController,
        UsageController,
        WebhooksController,
        MetricsController,
        CodecController,
        AuditController,
      ],
      providers: [
        { provide: CONFIG, useValue: deps.config },
        { provide: TEMPORAL_CLIENT, useValue: deps.client },
        { provide: TENANTS, useValue: deps.tenants },
        { provide: TENANCY, useValue: deps.tenancy },
        { provide: LOGGER, useValue: deps.logger },
        { provide: PROVIDER_HEALTH, useValue: deps.health },
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        JobsService,
        ChatService,
        TenancyGate,
        BatchesService,
        AdminService,
        PromptsService,
        WebhooksService,
        TaskStarter,
        TaskCache,
        CallMarkers,
        SingleFlight,
        Debounce,
        JobReader,
        EventStreams,
        ReviewsService,
        CodecService,
        AuditService,
        ErasureService,
        DataKeysService,
        DashboardService,
        DriftService,
        DebugSamplesService,
        ExperimentsService,
        EvaluationsService,
      ],
    };
  }
}
