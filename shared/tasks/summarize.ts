import { z } from 'zod';
import { defineTask, renderInput, type BusinessRule, type Violation } from './task-definition';
import { summarizeExtractive } from './local/summarize-extractive';
import { indexSource, unsupportedClaims } from './claims';
import { excerpt } from './grounding';

/** Longest text one call takes, in characters (about 25k tokens); longer ones are chunked. */
export { SUMMARIZE_MAX_TEXT_CHARS } from '../policy/long-document-limits';
import { SUMMARIZE_MAX_TEXT_CHARS } from '../policy/long-document-limits';
/** Word budget when the caller names none. */
export const SUMMARIZE_DEFAULT_MAX_WORDS = 60;

export const SummarizeInput = z
  .object({
    text: z.string().trim().min(1).max(SUMMARIZE_MAX_TEXT_CHARS).describe('The text to summarise.'),
    maxWords: z
      .number()
      .int()
      .min(10)
      .max(500)
      .default(SUMMARIZE_DEFAULT_MAX_WORDS)
      .describe('Upper bound on the words in the summary.'),
  })
  .strict();

export const SummarizeOutput = z
  .object({
    summary: z.string().min(1),
    keyPoints: z.array(z.string().min(1)).min(1).max(10),
  })
  .strict();

type Input = z.output<typeof SummarizeInput>;
type Output = z.output<typeof SummarizeOutput>;

/** What `\s` matches in a regular expression: the separators between words. */
function isSpace(c: number): boolean {
  if (c < 0x80) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/**
 * Words are whitespace-separated tokens, as the extractive summariser counts them
 * (`text.split(/\s+/)` without the empty ends), counted without building them.
 */
export function countWords(text: string): number {
  let words = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i += 1) {
    const space = isSpace(text.charCodeAt(i));
    if (!space && !inWord) words += 1;
    inWord = !space;
  }
  return words;
}

const withinMaxWords: BusinessRule<Input, Output> = {
  id: 'summary-within-max-words',
  description: 'The summary has at most maxWords words.',
  action: 're-ask',
  check(output, input) {
    // The input reaches rules as parsed, but a caller-built one may lack the default.
    const max = input.maxWords ?? SUMMARIZE_DEFAULT_MAX_WORDS;
    const words = countWords(output.summary);
    return words <= max
      ? []
      : [
          {
            field: 'summary',
            message: `the summary has ${words} words, more than the maximum of ${max}`,
            rule: 'summary-within-max-words',
          },
        ];
  },
};

/** Every number, date and name in the summary and key points occurs in the source. */
export function summarizeGrounding(output: Output, input: Input): Violation[] {
  const source = indexSource(input.text);
  const fields: Array<[string, string]> = [
    ['summary', output.summary],
    ...output.keyPoints.map((kp, i): [string, string] => [`keyPoints.${i}`, kp]),
  ];
  return fields.flatMap(([field, text]) =>
    unsupportedClaims(text, source).map((claim): Violation => ({
      field,
      message: `the ${claim.kind} "${excerpt(claim.text)}" does not occur in the source`,
      rule: 'grounding',
    })),
  );
}

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
  maxOutputTokens: 1536,
  fallback: (input) => summarizeExtractive(input),
  rules: [withinMaxWords],
  grounding: summarizeGrounding,
  example: {
    text: 'Keel runs every AI call as a durable workflow. Each step is visible in the Temporal Web UI. Retries and timeouts come from the engine, so a crashed worker loses nothing.',
    maxWords: 30,
  },
});
