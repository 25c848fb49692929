import { Controller, Get, Inject } from '@nestjs/common';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { LivenessBody, ReadinessBody } from '../shared/contracts/http';
import type { KeelConfig } from '../shared/platform/config';
import { Public } from './auth.guard';
import { ProblemError } from './problem';
import { CONFIG, TEMPORAL_CLIENT } from './tokens';

const { TaskQueueType } = temporal.api.enums.v1;

@Public()
@Controller()
export class HealthController {
  constructor(
    @Inject(TEMPORAL_CLIENT) private readonly client: Client,
    @Inject(CONFIG) private readonly config: KeelConfig,
  ) {}

  /** Liveness: the process answers. */
  @Get('healthz')
  health(): LivenessBody {
    return { status: 'ok' };
  }

  /**
   * Readiness: Temporal answers, at least one worker polls Keel's task queue (workflows and
   * activities), and one polls the background queue (tasks with `maxSyncMs: 0`, batches).
   */
  @Get('readyz')
  async ready(): Promise<ReadinessBody> {
    const service = this.client.workflowService;
    const namespace = this.config.temporal.namespace;
    const checks: Record<string, string> = {};
    try {
      await service.getSystemInfo({});
      checks.temporal = 'ok';
      const { taskQueue, backgroundTaskQueue } = this.config;
      for (const [name, queueName, type] of [
        ['workflowPollers', taskQueue, TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW],
        ['activityPollers', taskQueue, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY],
        ['backgroundPollers', backgroundTaskQueue, TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW],
      ] as const) {
        const queue = await service.describeTaskQueue({
          namespace,
          taskQueue: { name: queueName },
          taskQueueType: type,
        });
        checks[name] = (queue.pollers?.length ?? 0) > 0 ? 'ok' : 'no worker polling';
      }
    } catch (err) {
      checks.temporal = `unreachable: ${(err as Error).message.split('\n')[0]}`;
    }
    const ready =
      Object.values(checks).every((v) => v === 'ok') && Object.keys(checks).length === 4;
    if (!ready) {
      throw ProblemError.of('not-ready', undefined, { checks });
    }
    return { status: 'ready', checks, taskQueue: this.config.taskQueue, namespace };
  }
}
