import type { Client } from '@temporalio/client';
import type { RunTaskResult } from '../contracts/job';
import type { Logger } from './logger';

export interface LastGoodAnswer {
  jobId: string;
  output: unknown;
  provider: string;
  model: string;
  ageMs: number;
}

/**
 * The last good answer for the same request, found through Temporal visibility: the newest
 * completed job of the tenant with the same KeelInputKey whose path was primary or fallback. No
 * extra store: the results already live in Temporal, and the key holds no input.
 */
export class LastGoodAnswers {
  constructor(
    private readonly client: Client,
    private readonly logger: Logger,
  ) {}

  async find(args: {
    tenantId: string;
    inputKey: string;
    excludeJobId: string;
    now: number;
  }): Promise<LastGoodAnswer | undefined> {
    const query =
      `KeelTenant = ${quote(args.tenantId)} AND KeelInputKey = ${quote(args.inputKey)} ` +
      `AND KeelStatus = 'completed' AND KeelPath IN ('primary', 'fallback')`;
    try {
      for await (const wf of this.client.workflow.list({ query, pageSize: 5 })) {
        if (wf.workflowId === args.excludeJobId || !wf.closeTime) continue;
        const result = (await this.client.workflow
          .getHandle(wf.workflowId, wf.runId)
          .result()) as RunTaskResult;
        return {
          jobId: wf.workflowId,
          output: result.output,
          provider: result.meta.provider,
          model: result.meta.model,
          ageMs: Math.max(0, args.now - wf.closeTime.getTime()),
        };
      }
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'last good answer lookup failed');
    }
    return undefined;
  }
}

/** Visibility query string literal; the values are ids and hex keys, quoted defensively anyway. */
const quote = (value: string): string => `'${value.replace(/['\\]/g, '')}'`;
