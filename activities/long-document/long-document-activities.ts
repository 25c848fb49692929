import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../shared/contracts/errors';
import type { Issue, ResultMeta } from '../../shared/contracts/job';
import type { Logger } from '../../shared/platform/logger';
import { findTask } from '../../shared/tasks';
import { chunkDocument } from '../../shared/tasks/long-document';
import {
  answerExcerpts,
  packAnswerPieces,
  type AnswerDocumentText,
  type AnswerExcerpts,
  type PieceRef,
} from '../../shared/tasks/long-answer';
import { jobCompleted } from '../events/job-events';
import type { PublishEvent } from '../events/publish';

/**
 * The long-document workflow's own steps (`workflows/run-long-task.ts`): split the source, check
 * the final answer against the whole source, record the parent job's end. The model calls are
 * the child jobs'. Texts travel by reference above the claim-check threshold.
 */
export function createLongDocumentActivities(deps: { publish: PublishEvent; logger: Logger }) {
  return {
    /**
     * Where the source's chunks are (`shared/tasks/chunking.ts`), each within the task's
     * single-call limit: offsets, not texts, so the history does not hold the source twice.
     */
    chunkLongDocument(args: {
      task: string;
      text: string;
    }): Promise<{ chunks: Array<{ start: number; end: number }> }> {
      return Promise.resolve({
        chunks: chunkDocument(args.task, args.text).map(({ start, end }) => ({ start, end })),
      });
    },

    /**
     * A long `answer`'s documents cut into pieces and packed into child jobs of one call's size
     * (`shared/tasks/long-answer.ts`): offsets per document, not texts.
     */
    packLongAnswer(args: { documents: AnswerDocumentText[] }): Promise<{ packs: PieceRef[][] }> {
      return Promise.resolve({ packs: packAnswerPieces(args.documents) });
    },

    /**
     * A long `answer`'s partial answers as the reduce step's documents: the answering partials'
     * quotes per original document; abstentions dropped.
     */
    longAnswerExcerpts(args: {
      documentIds: string[];
      partials: Array<{ answer: string; citations: Array<{ documentId: string; quote: string }> }>;
    }): Promise<AnswerExcerpts> {
      return Promise.resolve(answerExcerpts(args));
    },

    /**
     * The task's grounding check of the reduced answer against the whole source (the union of
     * the chunks), not only the partial summaries the reduce job read: a number, date or name
     * the source does not hold is an issue.
     */
    checkLongGrounding(args: {
      task: string;
      input: Record<string, unknown>;
      output: unknown;
    }): Promise<{ issues: Issue[] }> {
      const task = findTask(args.task);
      if (!task) throw ApplicationFailure.nonRetryable('unknown task', FailureType.UnknownTask);
      const issues = task.grounding?.(args.output, args.input) ?? [];
      return Promise.resolve({
        issues: issues.map(({ field, message, rule }) => ({ field, message, rule })),
      });
    },

    /** The parent job completed: its event (stream end, webhooks) and an audit line. */
    async recordLongResult(args: {
      jobId: string;
      tenantId: string;
      task: string;
      meta: ResultMeta;
    }): Promise<void> {
      const { meta } = args;
      await deps.publish(jobCompleted({ ...args, meta }));
      deps.logger.info(
        {
          event: 'task.completed',
          jobId: args.jobId,
          tenant: args.tenantId,
          task: args.task,
          path: meta.path,
          chunks: meta.longDocument?.chunks,
          mapCalls: meta.longDocument?.mapCalls,
          latencyMs: meta.latencyMs,
          costUsd: meta.costUsd,
        },
        'long-document task completed',
      );
    },
  };
}
