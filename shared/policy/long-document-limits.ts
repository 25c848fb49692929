/**
 * The long-document limits and the reduce step's join: what `workflows/run-long-task.ts` reads.
 * No zod and no task schema here, so the workflow bundle stays small (test/workflow/bundle.test.ts).
 */

/** One call's limit for `summarize` text, in characters (summarize.ts's schema uses it). */
export const SUMMARIZE_MAX_TEXT_CHARS = 100_000;

/** Longest text a long-document `summarize` accepts, in characters (about 500k tokens). */
export const LONG_DOCUMENT_MAX_CHARS = 2_000_000;

/** Longest document one `answer` call takes, in characters (answer.ts's schema uses it). */
export const ANSWER_MAX_DOCUMENT_CHARS = 50_000;

/**
 * One `answer` call's limit over all its documents, in characters (about 25k tokens): a request
 * past it, or with a document past ANSWER_MAX_DOCUMENT_CHARS, runs as a long document.
 */
export const ANSWER_MAX_TOTAL_CHARS = 100_000;

export interface LongDocumentLimits {
  /** Longest text one call (one child job) takes: the task's own limit (`answer`: all documents). */
  singleCallChars: number;
  /** Longest text accepted at all (`answer`: all documents together). */
  maxChars: number;
  /**
   * Chunk size: below the single-call limit, so a chunk plus the prompt fits with room
   * (`answer`: a piece of one document, at most one document's single-call limit).
   */
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
  answer: {
    singleCallChars: ANSWER_MAX_TOTAL_CHARS,
    maxChars: LONG_DOCUMENT_MAX_CHARS,
    chunkChars: ANSWER_MAX_DOCUMENT_CHARS,
    overlapChars: 1_000,
    concurrency: 4,
  },
});

/** Map rounds a long `answer` runs at most before its excerpts fit one call (each shrinks ~10×). */
export const ANSWER_MAX_ROUNDS = 4;

/** The long-document limits of a task, or undefined when it takes none. */
export function longDocumentLimits(task: string): LongDocumentLimits | undefined {
  return Object.prototype.hasOwnProperty.call(LONG_DOCUMENT_TASKS, task)
    ? LONG_DOCUMENT_TASKS[task]
    : undefined;
}

/** The partial summaries, in document order, as the text the reduce step summarises. */
export function joinPartials(outputs: ReadonlyArray<{ summary: string }>): string {
  return outputs.map((o) => o.summary.trim()).join('\n\n');
}
