import { z } from 'zod';
import { defineTask, renderInput } from './task-definition';
import { summarizeExtractive } from './local/summarize-extractive';

/** Longest text accepted, in characters (about 25k tokens). */
export const SUMMARIZE_MAX_TEXT_CHARS = 100_000;

export const SummarizeInput = z
  .object({
    text: z.string().trim().min(1).max(SUMMARIZE_MAX_TEXT_CHARS).describe('The text to summarise.'),
    maxWords: z
      .number()
      .int()
      .min(10)
      .max(500)
      .default(60)
      .describe('Upper bound on the words in the summary.'),
  })
  .strict();

export const SummarizeOutput = z
  .object({
    summary: z.string().min(1),
    keyPoints: z.array(z.string().min(1)).min(1).max(10),
  })
  .strict();

export const summarize = defineTask({
  name: 'summarize',
  description: 'Summarise a text within a word budget, with its key points.',
  input: SummarizeInput,
  output: SummarizeOutput,
  prompt: {
    version: 'summarize@1',
    system:
      'You summarise texts faithfully. Never state a number or a name that is not in the source. ' +
      'Answer with JSON: {"summary": string, "keyPoints": string[]}.',
    render: (input) =>
      `Summarise the text in <input> in at most ${input.maxWords} words, then list its key points.\n\n${renderInput(input)}`,
  },
  envelope: { fastMs: 2_000, maxSyncMs: 10_000, hardTimeoutMs: 60_000 },
  route: ['openai:gpt-4o-mini', 'anthropic:claude-haiku-4-5', 'local:keel-local-1'],
  fallback: (input) => summarizeExtractive(input),
  example: {
    text: 'Keel runs every AI call as a durable workflow. Each step is visible in the Temporal Web UI. Retries and timeouts come from the engine, so a crashed worker loses nothing.',
    maxWords: 30,
  },
});
