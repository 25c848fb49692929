/**
 * Long documents: a task input whose text is longer than one model call may take runs as
 * chunk → map → reduce (`workflows/run-long-task.ts`). Which tasks may, and their limits, are
 * here; the limits the workflow reads are in long-document-limits.ts (no zod: workflow-safe).
 */
import { z } from 'zod';
import type { RunTaskRequest } from '../contracts/job';
import { chunkText, type Chunk } from './chunking';
import { longDocumentLimits, LONG_DOCUMENT_MAX_CHARS } from '../policy/long-document-limits';
import { SummarizeInput } from './summarize';
import { fitsOneAnswerCall, LongAnswerInput } from './long-answer';

export {
  joinPartials,
  longDocumentLimits,
  LONG_DOCUMENT_MAX_CHARS,
  LONG_DOCUMENT_TASKS,
  type LongDocumentLimits,
} from '../policy/long-document-limits';

/** `summarize`'s input with the long-document limit on `text` (the API checks this one). */
export const LongSummarizeInput = SummarizeInput.extend({
  text: z.string().trim().min(1).max(LONG_DOCUMENT_MAX_CHARS).describe('The text to summarise.'),
}).strict();

/** The input schema the API checks for a task: the long-document one where the task has one. */
export function longInputSchema(task: string): z.ZodType | undefined {
  if (task === 'summarize') return LongSummarizeInput;
  return task === 'answer' ? LongAnswerInput : undefined;
}

/** The text of a request's input, when it has one. */
function textOf(input: unknown): string | undefined {
  const text = (input as { text?: unknown } | null | undefined)?.text;
  return typeof text === 'string' ? text : undefined;
}

/** Whether the request's text is past its task's single-call limit: it runs as a long task. */
export function isLongDocument(request: Pick<RunTaskRequest, 'task' | 'input'>): boolean {
  if (request.task === 'answer') {
    // Past one call: over 100,000 characters in all, or one document over 50,000.
    const documents = (request.input as { documents?: unknown } | null | undefined)?.documents;
    return Array.isArray(documents) && !fitsOneAnswerCall(documents as Array<{ text: string }>);
  }
  const limits = longDocumentLimits(request.task);
  const text = textOf(request.input);
  return limits !== undefined && text !== undefined && text.length > limits.singleCallChars;
}

/** The workflow a request runs as: a long document as chunk → map → reduce, else `runTask`. */
export function taskWorkflowType(
  request: Pick<RunTaskRequest, 'task' | 'input'>,
): 'runTask' | 'runLongTask' {
  return isLongDocument(request) ? 'runLongTask' : 'runTask';
}

/** The chunks of a text under a task's limits. */
export function chunkDocument(task: string, text: string): Chunk[] {
  const limits = longDocumentLimits(task);
  if (!limits) throw new Error(`task "${task}" takes no long documents`);
  return chunkText(text, { maxChars: limits.chunkChars, overlapChars: limits.overlapChars });
}
