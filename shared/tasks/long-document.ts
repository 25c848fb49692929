/**
 * Long documents: a task input whose text is longer than one model call may take runs as
 * chunk → map → reduce (`workflows/run-long-task.ts`). Which tasks may, and their limits, are
 * here. Pure and workflow-safe.
 */
import { z } from 'zod';
import type { RunTaskRequest } from '../contracts/job';
import { chunkText, type Chunk } from './chunking';
import { SUMMARIZE_MAX_TEXT_CHARS, SummarizeInput, type SummarizeOutput } from './summarize';

/** Longest text a long-document `summarize` accepts, in characters (about 500k tokens). */
export const LONG_DOCUMENT_MAX_CHARS = 2_000_000;

export interface LongDocumentLimits {
  /** Longest text one call (one child job) takes: the task's own limit. */
  singleCallChars: number;
  /** Longest text accepted at all. */
  maxChars: number;
  /** Chunk size: below the single-call limit, so a chunk plus the prompt fits with room. */
  chunkChars: number;
  /** Characters repeated between neighbouring chunks (a sentence cut at a boundary is read whole). */
  overlapChars: number;
  /** Chunks summarised at once (child jobs running together). */
  concurrency: number;
}

/** The tasks that take long documents, by name. */
export const LONG_DOCUMENT_TASKS: Readonly<Record<string, LongDocumentLimits>> = Object.freeze({
  summarize: {
    singleCallChars: SUMMARIZE_MAX_TEXT_CHARS,
    maxChars: LONG_DOCUMENT_MAX_CHARS,
    chunkChars: 80_000,
    overlapChars: 1_000,
    concurrency: 4,
  },
});

/** `summarize`'s input with the long-document limit on `text` (the API checks this one). */
export const LongSummarizeInput = SummarizeInput.extend({
  text: z.string().trim().min(1).max(LONG_DOCUMENT_MAX_CHARS).describe('The text to summarise.'),
}).strict();

/** The input schema the API checks for a task: the long-document one where the task has one. */
export function longInputSchema(task: string): z.ZodType | undefined {
  return task === 'summarize' ? LongSummarizeInput : undefined;
}

/** The long-document limits of a task, or undefined when it takes none. */
export function longDocumentLimits(task: string): LongDocumentLimits | undefined {
  return Object.prototype.hasOwnProperty.call(LONG_DOCUMENT_TASKS, task)
    ? LONG_DOCUMENT_TASKS[task]
    : undefined;
}

/** The text of a request's input, when it has one. */
function textOf(input: unknown): string | undefined {
  const text = (input as { text?: unknown } | null | undefined)?.text;
  return typeof text === 'string' ? text : undefined;
}

/** Whether the request's text is past its task's single-call limit: it runs as a long task. */
export function isLongDocument(request: Pick<RunTaskRequest, 'task' | 'input'>): boolean {
  const limits = longDocumentLimits(request.task);
  const text = textOf(request.input);
  return limits !== undefined && text !== undefined && text.length > limits.singleCallChars;
}

/** The chunks of a text under a task's limits. */
export function chunkDocument(task: string, text: string): Chunk[] {
  const limits = longDocumentLimits(task);
  if (!limits) throw new Error(`task "${task}" takes no long documents`);
  return chunkText(text, { maxChars: limits.chunkChars, overlapChars: limits.overlapChars });
}

/** The partial summaries, in document order, as the text the reduce step summarises. */
export function joinPartials(outputs: ReadonlyArray<z.output<typeof SummarizeOutput>>): string {
  return outputs.map((o) => o.summary.trim()).join('\n\n');
}
